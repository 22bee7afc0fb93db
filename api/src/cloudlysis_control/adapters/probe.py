"""Probes a service's /health, /ready and /metrics (docs/contracts/service-admin.md)."""

from __future__ import annotations

import asyncio
import time

import httpx
import msgspec
from prometheus_client.parser import text_string_to_metric_families

from cloudlysis_control.adapters.http import upstream_call
from cloudlysis_control.core.errors import UpstreamError
from cloudlysis_control.core.metrics import Metrics


class ProbeResult(msgspec.Struct, kw_only=True):
    url: str
    health: int | None = None
    ready: int | None = None
    metrics_ok: bool = False
    version: str | None = None
    git_sha: str | None = None
    build_info_metric: str | None = None
    latency_ms: float | None = None
    error: str | None = None


def parse_build_info(text: str) -> tuple[str | None, str | None, str | None]:
    """Return (metric name, version, git_sha) of the first `*_build_info` sample."""
    for family in text_string_to_metric_families(text):
        if family.name.endswith("_build_info"):
            for sample in family.samples:
                return family.name, sample.labels.get("version"), sample.labels.get("git_sha")
    return None, None, None


class ProbeClient:
    def __init__(
        self, client: httpx.AsyncClient, metrics: Metrics | None, timeout_s: float
    ) -> None:
        self.client = client
        self.metrics = metrics
        self.timeout_s = timeout_s

    async def _get(self, url: str) -> httpx.Response:
        with upstream_call(self.metrics, "probe"):
            return await self.client.get(url, timeout=self.timeout_s)

    async def probe(self, base_url: str) -> ProbeResult:
        base = base_url.rstrip("/")
        started = time.perf_counter()
        result = ProbeResult(url=base)
        health, ready, metrics = await asyncio.gather(
            self._get(f"{base}/health"),
            self._get(f"{base}/ready"),
            self._get(f"{base}/metrics"),
            return_exceptions=True,
        )
        errors: list[str] = []
        if isinstance(health, httpx.Response):
            result.health = health.status_code
        else:
            errors.append(f"health: {_describe(health)}")
        if isinstance(ready, httpx.Response):
            result.ready = ready.status_code
        else:
            errors.append(f"ready: {_describe(ready)}")
        if isinstance(metrics, httpx.Response):
            if metrics.status_code == 200:
                try:
                    name, version, sha = parse_build_info(metrics.text)
                    result.metrics_ok = True
                    result.build_info_metric, result.version, result.git_sha = name, version, sha
                except ValueError as e:
                    errors.append(f"metrics: unparseable exposition ({str(e)[:120]})")
            else:
                errors.append(f"metrics: HTTP {metrics.status_code}")
        else:
            errors.append(f"metrics: {_describe(metrics)}")
        result.latency_ms = round((time.perf_counter() - started) * 1000, 3)
        result.error = "; ".join(errors) or None
        return result


def _describe(exc: BaseException) -> str:
    if isinstance(exc, UpstreamError):
        return exc.detail
    return type(exc).__name__
