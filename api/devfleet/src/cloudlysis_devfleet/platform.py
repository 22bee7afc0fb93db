"""Simulated Aggregate, Projection and Runner instances (docs/contracts/service-admin.md).

Each instance serves the shared operational surface (``/health``, ``/ready``, ``/metrics`` with
``<kind>_build_info``, request ids, problem+json, ``/_devfleet/switches``) plus the service admin
API: per-tenant status, drain and resume, and config reload.

Activity is simulated lazily from the clock, so no background task is needed: each tenant the
instance has seen gets a deterministic, slowly varying inflight count (and lag for Projection and
Runner). Draining a tenant makes the instance refuse its new work (``POST
/v1/tenants/{tenant_id}/work`` answers 409) and its inflight and lag decay to zero; ``drained``
turns true once both are zero. Tenant-labelled metrics are bounded as the metrics contract says:
the top ``top_k`` tenants by activity, everything else folded into ``tenant="__other__"``.

``platform_host`` runs many of these instances in one process.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec
from litestar import Litestar, Request, Response, get, post
from litestar.handlers import BaseRouteHandler
from litestar.params import FromPath
from litestar.types import Scope
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from cloudlysis_control.core.errors import StateUnavailable
from cloudlysis_devfleet import definitions
from cloudlysis_devfleet.common import (
    Problem,
    ServiceKit,
    build_service_app,
    json_response,
)
from cloudlysis_devfleet.config_reader import ConfigReader

PlatformKind = Literal["aggregate", "projection", "runner"]
PLATFORM_KINDS: tuple[PlatformKind, ...] = ("aggregate", "projection", "runner")
OTHER_TENANT = "__other__"
MAX_TRACKED_TENANTS = 100_000
_TENANT_RE_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-")


@dataclass
class PlatformConfig:
    kind: PlatformKind
    shard: str
    instance: str
    version: str = "1.4.2"
    git_sha: str = "d3v7f1e"
    tenants: Sequence[str] = ()
    top_k: int = 20
    drain_tau_s: float = 0.4  # time constant of the inflight/lag decay after a drain
    workers: int = 16
    projection: str = "orders_by_customer"
    baseline_error_ratio: float = 0.0  # share of tenant work a good build fails


@dataclass
class _Tenant:
    base: float
    phase: float
    drained_at: float | None = None
    inflight_at_drain: float = 0.0
    lag_at_drain: float = 0.0
    work_until: list[float] = field(default_factory=list)
    backlog: int = 0  # extra lag queued by POST /v1/tenants/{id}/work (Projection, Runner)


def _seed(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("/".join(parts).encode()).digest()[:8], "big")


def valid_tenant_id(tenant_id: str) -> bool:
    return (
        0 < len(tenant_id) <= 63
        and tenant_id[0] != "-"
        and all(c in _TENANT_RE_CHARS for c in tenant_id)
    )


class PlatformInstance:
    def __init__(
        self,
        config: PlatformConfig,
        clock: Callable[[], float] = time.monotonic,
        reader: ConfigReader | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.reader = reader  # None: no NATS, the instance reports no config revisions
        self.revisions: dict[str, str | None] = {}
        self.kit = ServiceKit(
            config.kind, config.version, config.git_sha, config.baseline_error_ratio
        )
        self.started = clock()
        self.config_generation = 1
        self.reloaded_at: float | None = None
        self.tenants: dict[str, _Tenant] = {}
        # Admin calls received, by "<op>:<tenant>" ("drain", "drain_started": a drain that
        # changed the state, "resume", "resume_started"), for tests that count effects.
        self.admin_calls: Counter[str] = Counter()
        for tenant in config.tenants:
            self.tenant(tenant)
        self.kit.registry.register(_Collector(self))

    # -- simulated state --------------------------------------------------------------------------

    def tenant(self, tenant_id: str) -> _Tenant:
        t = self.tenants.get(tenant_id)
        if t is None:
            if len(self.tenants) >= MAX_TRACKED_TENANTS:
                raise Problem(503, "too_many_tenants", "Too many tenants", "simulator limit")
            seed = _seed(self.config.instance, tenant_id)
            t = _Tenant(base=1 + seed % 7, phase=(seed >> 8) % 628 / 100)
            self.tenants[tenant_id] = t
        return t

    def _wave(self, t: _Tenant, now: float, scale: float) -> float:
        return max(0.0, scale * (t.base + 2.5 * math.sin((now - self.started) / 5 + t.phase)))

    def _work(self, t: _Tenant, now: float) -> int:
        t.work_until = [u for u in t.work_until if u > now]
        return len(t.work_until)

    def inflight(self, t: _Tenant, now: float) -> int:
        if t.drained_at is not None:
            decayed = t.inflight_at_drain * math.exp(
                -(now - t.drained_at) / self.config.drain_tau_s
            )
            return int(decayed) + self._work(t, now)
        return round(self._wave(t, now, 1.0)) + self._work(t, now)

    def lag(self, t: _Tenant, now: float) -> int | None:
        if self.config.kind == "aggregate":
            return None
        if t.drained_at is not None:
            return int(t.lag_at_drain * math.exp(-(now - t.drained_at) / self.config.drain_tau_s))
        return round(self._wave(t, now, 12.0)) + t.backlog

    def status(self, tenant_id: str) -> dict[str, Any]:
        now = self.clock()
        t = self.tenant(tenant_id)
        inflight, lag = self.inflight(t, now), self.lag(t, now)
        draining = t.drained_at is not None
        return {
            "tenant_id": tenant_id,
            "service": self.config.kind,
            "instance": self.config.instance,
            "shard": self.config.shard,
            "inflight": inflight,
            "lag": lag,
            "lag_seconds": None if lag is None else round(lag * 0.05, 3),
            "draining": draining,
            "drained": draining and inflight == 0 and not lag,
            "accepting": not draining,
        }

    def drain(self, tenant_id: str) -> dict[str, Any]:
        now = self.clock()
        t = self.tenant(tenant_id)
        self.admin_calls[f"drain:{tenant_id}"] += 1
        if t.drained_at is None:
            self.admin_calls[f"drain_started:{tenant_id}"] += 1
            t.inflight_at_drain = float(self.inflight(t, now) - self._work(t, now))
            t.lag_at_drain = float(self.lag(t, now) or 0)
            t.drained_at = now
        return self.status(tenant_id)

    def resume(self, tenant_id: str) -> dict[str, Any]:
        t = self.tenant(tenant_id)
        self.admin_calls[f"resume:{tenant_id}"] += 1
        if t.drained_at is not None:
            self.admin_calls[f"resume_started:{tenant_id}"] += 1
        t.drained_at = None
        t.backlog = 0  # the backlog was worked off during the drain
        return self.status(tenant_id)

    def submit_work(self, tenant_id: str, duration_ms: int, backlog: int = 0) -> dict[str, Any]:
        t = self.tenant(tenant_id)
        if t.drained_at is not None:
            raise Problem(
                409,
                "tenant_draining",
                "Tenant is draining",
                f"{self.config.instance} takes no new work for {tenant_id}",
            )
        t.work_until.append(self.clock() + duration_ms / 1000)
        t.backlog += backlog
        return self.status(tenant_id)

    async def reload(self) -> dict[str, Any]:
        if self.reader is not None:
            try:
                self.revisions = await self.reader.revisions(self.config.kind)
            except StateUnavailable as e:
                raise Problem(503, "config_unavailable", "Config unavailable", e.detail) from e
        self.config_generation += 1
        self.reloaded_at = time.time()
        return {
            "service": self.config.kind,
            "instance": self.config.instance,
            "config_generation": self.config_generation,
            "reloaded_at": self.reloaded_at,
            "revisions": self.revisions,
        }

    def definitions(self) -> dict[str, Any]:
        if self.config.kind != "runner":
            raise Problem(404, "not_found", "Not found", "only Runners hold definitions")
        return definitions.report(self.revisions)

    def bounded(self, values: Iterable[tuple[str, float]]) -> list[tuple[str, float]]:
        """Top-K tenants by value plus one `__other__` series for the rest (metrics contract)."""
        ranked = sorted(values, key=lambda kv: (-kv[1], kv[0]))
        top = ranked[: self.config.top_k]
        rest = ranked[self.config.top_k :]
        if rest:
            top.append((OTHER_TENANT, sum(v for _, v in rest)))
        return top


class _Collector(Collector):
    """Computes the simulated per-tenant metrics at scrape time from the lazy state."""

    def __init__(self, instance: PlatformInstance) -> None:
        self.instance = instance

    def collect(self) -> Iterable[Metric]:
        inst = self.instance
        kind = inst.config.kind
        now = inst.clock()
        elapsed = now - inst.started
        inflight = [(tid, float(inst.inflight(t, now))) for tid, t in inst.tenants.items()]
        if kind == "aggregate":
            g = GaugeMetricFamily(
                "aggregate_tenant_inflight_commands",
                "Commands in flight per bounded tenant.",
                labels=["tenant"],
            )
            for tenant, value in inst.bounded(inflight):
                g.add_metric([tenant], value)
            yield g
            c = CounterMetricFamily(
                "aggregate_commands", "Commands handled.", labels=["command", "outcome"]
            )
            c.add_metric(["CreateOrder", "ok"], round(elapsed * 40))
            c.add_metric(["CreateOrder", "error"], round(elapsed * 0.4))
            yield c
        elif kind == "projection":
            p = inst.config.projection
            lag = [(tid, float(inst.lag(t, now) or 0)) for tid, t in inst.tenants.items()]
            g = GaugeMetricFamily(
                "projection_lag_events",
                "Events not yet applied, per projection and bounded tenant.",
                labels=["projection", "tenant"],
            )
            for tenant, value in inst.bounded(lag):
                g.add_metric([p, tenant], value)
            yield g
            secs = GaugeMetricFamily(
                "projection_lag_seconds",
                "Age of the oldest unapplied event.",
                labels=["projection"],
            )
            secs.add_metric([p], round(max((v for _, v in lag), default=0.0) * 0.05, 3))
            yield secs
            c = CounterMetricFamily(
                "projection_events_processed",
                "Events applied to projections.",
                labels=["projection", "outcome"],
            )
            c.add_metric([p, "ok"], round(elapsed * 120))
            yield c
        else:
            g = GaugeMetricFamily(
                "runner_tenant_jobs_inflight", "Running jobs per bounded tenant.", labels=["tenant"]
            )
            for tenant, value in inst.bounded(inflight):
                g.add_metric([tenant], value)
            yield g
            busy = min(inst.config.workers, int(sum(v for _, v in inflight)))
            yield GaugeMetricFamily("runner_workers_busy", "Worker slots busy.", value=busy)
            yield GaugeMetricFamily(
                "runner_workers_capacity", "Worker slots configured.", value=inst.config.workers
            )
            q = GaugeMetricFamily(
                "runner_queue_depth", "Jobs waiting in a queue.", labels=["queue"]
            )
            q.add_metric(
                ["default"], sum(float(inst.lag(t, now) or 0) for t in inst.tenants.values())
            )
            yield q
            c = CounterMetricFamily("runner_jobs", "Jobs finished.", labels=["job_type", "outcome"])
            c.add_metric(["export", "ok"], round(elapsed * 8))
            yield c


class WorkRequest(msgspec.Struct, forbid_unknown_fields=True):
    duration_ms: int = 500
    backlog: int = 0  # also queue this many items (lag) for the tenant


InstanceResolver = Callable[[Scope], PlatformInstance]


def _tenant_or_404(tenant_id: str) -> str:
    if not valid_tenant_id(tenant_id):
        raise Problem(400, "invalid_tenant_id", "Invalid tenant id", "tenant id is malformed")
    return tenant_id


def platform_handlers(instance_for: InstanceResolver) -> list[BaseRouteHandler]:
    def inst(request: Request[Any, Any, Any]) -> PlatformInstance:
        return instance_for(request.scope)

    @get("/admin/v1/instance", operation_id="GetInstance", sync_to_thread=False)
    def instance_info(request: Request[Any, Any, Any]) -> Response[bytes]:
        i = inst(request)
        return json_response(
            {
                "service": i.config.kind,
                "instance": i.config.instance,
                "shard": i.config.shard,
                "version": i.kit.switches.version,
                "git_sha": i.kit.git_sha,
                "config_generation": i.config_generation,
                "revisions": i.revisions,
                "admin_calls": dict(i.admin_calls),
            }
        )

    @get(
        "/admin/v1/tenants/{tenant_id:str}/status",
        operation_id="GetTenantStatus",
        sync_to_thread=False,
    )
    def tenant_status(request: Request[Any, Any, Any], tenant_id: FromPath[str]) -> Response[bytes]:
        return json_response(inst(request).status(_tenant_or_404(tenant_id)))

    @post("/admin/v1/tenants/{tenant_id:str}/drain", operation_id="DrainTenant", status_code=202)
    async def drain(request: Request[Any, Any, Any], tenant_id: FromPath[str]) -> Response[bytes]:
        return json_response(inst(request).drain(_tenant_or_404(tenant_id)), status=202)

    @post("/admin/v1/tenants/{tenant_id:str}/resume", operation_id="ResumeTenant")
    async def resume(request: Request[Any, Any, Any], tenant_id: FromPath[str]) -> Response[bytes]:
        return json_response(inst(request).resume(_tenant_or_404(tenant_id)))

    @post("/admin/v1/config/reload", operation_id="ReloadConfig")
    async def reload(request: Request[Any, Any, Any]) -> Response[bytes]:
        return json_response(await inst(request).reload())

    @post("/v1/tenants/{tenant_id:str}/work", operation_id="SubmitWork", status_code=202)
    async def work(request: Request[Any, Any, Any], tenant_id: FromPath[str]) -> Response[bytes]:
        raw = await request.body()
        body = msgspec.json.decode(raw, type=WorkRequest) if raw else WorkRequest()
        if not 0 <= body.duration_ms <= 60_000 or not 0 <= body.backlog <= 1_000_000:
            raise Problem(
                422, "invalid_request", "Invalid request body", "duration_ms 0..60000, backlog >= 0"
            )
        instance = inst(request)
        tenant = _tenant_or_404(tenant_id)
        if await instance.kit.serve_traffic():
            raise Problem(
                500, "bad_build", "Internal error", f"{instance.kit.switches.version} failed"
            )
        status = instance.submit_work(tenant, body.duration_ms, body.backlog)
        return json_response(status, status=202)

    return [
        instance_info,
        tenant_status,
        drain,
        resume,
        reload,
        work,
        *definitions.handlers(inst),
    ]


def create_platform_app(
    instances: PlatformInstance | Callable[[Scope], PlatformInstance],
) -> Litestar:
    """One app for one instance, or for many (a resolver that picks one per request)."""
    instance_for: InstanceResolver
    service: str
    if isinstance(instances, PlatformInstance):
        single = instances
        instance_for, service = (lambda _scope: single), single.config.kind
    else:
        instance_for, service = instances, "platform"
    return build_service_app(
        lambda scope: instance_for(scope).kit,
        platform_handlers(instance_for),
        service=service,
    )
