"""Probes a service's /health, /ready and /metrics (docs/contracts/service-admin.md)."""

from __future__ import annotations

import asyncio
import time

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from cloudlysis_control.adapters.http import PooledSession, aio_get
from cloudlysis_control.core.errors import UpstreamError
from cloudlysis_control.core.metrics import Metrics
from cloudlysis_control.fleet.ports import ProbeResult

# Metric family suffix (docs/observability/metrics-contract.yaml) → (selected name, aggregation).
# Suffixes, not full names, so every service kind's own prefix is covered by one table.
SELECTED_METRICS: tuple[tuple[str, str, str], ...] = (
    ("_http_requests_in_flight", "http_requests_in_flight", "sum"),
    ("_http_requests", "http_requests_total", "sum"),
    ("_tenant_inflight_commands", "tenant_inflight", "sum"),
    ("_tenant_jobs_inflight", "tenant_inflight", "sum"),
    ("_tenant_inflight_requests", "tenant_inflight", "sum"),
    ("projection_lag_events", "lag_events", "sum"),
    ("projection_lag_seconds", "lag_seconds", "max"),
    ("runner_queue_depth", "queue_depth", "sum"),
    ("runner_workers_busy", "workers_busy", "sum"),
    ("runner_workers_capacity", "workers_capacity", "sum"),
)


_SUFFIXES = (*(suffix for suffix, _, _ in SELECTED_METRICS), "_build_info")


def _wanted(name: str) -> bool:
    if name.endswith("_created"):  # counters' creation timestamps: never read
        return False
    if name.endswith("_total"):
        name = name[: -len("_total")]
    return name.endswith(_SUFFIXES)


def select_families(text: str) -> str:
    """Only the lines of the families we read (build info + SELECTED_METRICS).

    prometheus_client's parser costs ≈ 35 µs per line and a service exposes hundreds of lines we
    never look at; dropping them by metric name first (a string prefix test, no value parsing)
    keeps a 1,000-instance snapshot from spending seconds in the parser.
    """
    keep = []
    for line in text.splitlines():
        if not line:
            continue
        if line[0] == "#":
            parts = line.split(None, 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE") and _wanted(parts[2]):
                keep.append(line)
            continue
        end = len(line)
        for stop in ("{", " "):
            at = line.find(stop)
            if 0 <= at < end:
                end = at
        if _wanted(line[:end]):
            keep.append(line)
    return "\n".join(keep) + "\n"


def parse_exposition(
    text: str,
) -> tuple[tuple[str | None, str | None, str | None], dict[str, float]]:
    """Build info (metric name, version, git_sha) and the selected metrics of one exposition.

    Parsed with prometheus_client's parser (the selected families only, see select_families);
    raises ValueError on text it cannot parse.
    """
    text = select_families(text)
    build: tuple[str | None, str | None, str | None] = (None, None, None)
    selected: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        if family.name.endswith("_build_info"):
            if build[0] is None and family.samples:
                labels = family.samples[0].labels
                build = (family.name, labels.get("version"), labels.get("git_sha"))
            continue
        for suffix, key, how in SELECTED_METRICS:
            if not family.name.endswith(suffix):
                continue
            values = [
                s.value for s in family.samples if s.name in (family.name, family.name + "_total")
            ]
            if not values:
                break
            if how == "max":
                total = max([*values, selected.get(key, float("-inf"))])
            else:
                total = sum(values) + selected.get(key, 0.0)
            selected[key] = total
            break
    return build, selected


class ProbeClient:
    """Concurrent health/readiness/metrics probes over one pooled aiohttp session.

    aiohttp, not httpx, because a fleet snapshot is thousands of small requests to as many hosts:
    measured here, httpx spent ≈ 15x more CPU per probe request (docs/decisions/0005).
    Requests carry the caller's x-request-id, x-correlation-id and traceparent like every other
    outbound call; failures are translated into UpstreamTimeout / UpstreamUnavailable.
    """

    def __init__(self, metrics: Metrics | None, timeout_s: float, max_connections: int = 0) -> None:
        self.metrics = metrics
        self.timeout_s = timeout_s
        self.max_connections = max_connections
        # No pool-wide cap by default: callers bound what is in flight (the snapshot's
        # concurrency), and up to 3 idle connections per instance are kept between
        # snapshots (≈ 7 % less CPU per snapshot than re-connecting; docs/performance.md).
        self._pool = PooledSession(
            timeout_s,
            lambda: aiohttp.TCPConnector(
                limit=self.max_connections, limit_per_host=3, keepalive_timeout=60
            ),
            auto_decompress=False,
        )

    def _client(self) -> aiohttp.ClientSession:
        return self._pool.get()

    async def aclose(self) -> None:
        await self._pool.aclose()

    async def _get(self, url: str) -> tuple[int, bytes]:
        return await aio_get(
            self._client(),
            url,
            metrics=self.metrics,
            upstream="probe",
            timeout_detail="probe did not answer in time",
            unreachable_detail="probe target is unreachable",
        )

    async def probe(self, base_url: str, metrics: bool = True) -> ProbeResult:
        base = base_url.rstrip("/")
        started = time.perf_counter()
        result = ProbeResult(url=base)
        health, ready, *rest = await asyncio.gather(
            self._get(f"{base}/health"),
            self._get(f"{base}/ready"),
            *([self._get(f"{base}/metrics")] if metrics else []),
            return_exceptions=True,
        )
        errors: list[str] = []
        if not isinstance(health, BaseException):
            result.health = health[0]
        else:
            errors.append(f"health: {_describe(health)}")
        if not isinstance(ready, BaseException):
            result.ready = ready[0]
        else:
            errors.append(f"ready: {_describe(ready)}")
        if not rest:
            pass  # figures come from the metrics store (fleet/snapshot.py)
        elif not isinstance(rest[0], BaseException):
            status, body = rest[0]
            if status == 200:
                try:
                    text = body.decode("utf-8")
                    (name, version, sha), selected = parse_exposition(text)
                    result.metrics_ok = True
                    result.build_info_metric, result.version, result.git_sha = name, version, sha
                    result.selected = selected
                except ValueError as e:  # UnicodeDecodeError is a ValueError too
                    errors.append(f"metrics: unparseable exposition ({str(e)[:120]})")
            else:
                errors.append(f"metrics: HTTP {status}")
        else:
            errors.append(f"metrics: {_describe(rest[0])}")
        result.latency_ms = round((time.perf_counter() - started) * 1000, 3)
        result.error = "; ".join(errors) or None
        return result


def _describe(exc: BaseException) -> str:
    if isinstance(exc, UpstreamError):
        return exc.detail
    return type(exc).__name__
