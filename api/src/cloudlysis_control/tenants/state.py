"""What the tenants list shows beside each id without asking any service per row.

- The operation state comes from Control's own jobs: the latest drain, resume or migration of the
  tenant (its status says draining, drained, migrating...). The services are the truth; the
  detail view asks them. A drain done around Control is not seen here.
- Health is the worst health of the instances serving the tenant's shards, from the fleet
  snapshot the fleet view already keeps (no probe per request).
- Lag comes from the metrics store (the same query as the dashboards' "Projection lag by
  tenant"), refreshed in the background at most every `lag_ttl_s`: the list never waits on the
  store, and a tenant outside the bounded tenant series has no figure (the detail has the exact
  one).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from cloudlysis_control.core.errors import ControlError
from cloudlysis_control.core.logging import get_logger
from cloudlysis_control.fleet.snapshot import FleetSnapshotService
from cloudlysis_control.jobs.schemas import Job
from cloudlysis_control.metrics.service import MetricsService
from cloudlysis_control.placement.schemas import KINDS, PlacementKind
from cloudlysis_control.placement.service import PlacementService, PlacementState
from cloudlysis_control.tenants.schemas import TenantHealth, TenantOpState

_log = get_logger("control.tenants")

TRACKED_KINDS = frozenset({"tenant.drain", "tenant.resume", "tenant.migrate"})
_ACTIVE: dict[str, TenantOpState] = {
    "tenant.drain": "draining",
    "tenant.resume": "resuming",
    "tenant.migrate": "migrating",
}
_DONE: dict[str, TenantOpState] = {
    "tenant.drain": "drained",
    "tenant.resume": "serving",
    "tenant.migrate": "serving",
}
LAG_QUERY = "tenant_projection_lag"


class TenantOperations:
    """The latest drain/resume/migrate job per tenant, kept from the jobs every replica watches."""

    def __init__(self) -> None:
        self._latest: dict[str, Job] = {}

    def on_job(self, job: Job) -> None:
        if job.kind not in TRACKED_KINDS or not job.tenant_id:
            return
        current = self._latest.get(job.tenant_id)
        if current is None or current.id == job.id or job.created_at >= current.created_at:
            self._latest[job.tenant_id] = job

    def state(self, tenant_id: str) -> tuple[TenantOpState, str | None]:
        job = self._latest.get(tenant_id)
        if job is None:
            return "serving", None
        if job.status in ("pending", "running"):
            return _ACTIVE[job.kind], job.id
        if job.status == "succeeded":
            return _DONE[job.kind], job.id
        # failed, cancelled or timed out: what the services hold is not known from here
        return "attention", job.id


def worst_health(
    placement: PlacementService, fleet: FleetSnapshotService | None
) -> Callable[[PlacementState, str], TenantHealth]:
    """A per-request health function over the tenant's shards (memoised per kind and shard)."""
    memo: dict[tuple[PlacementKind, str | None], TenantHealth] = {}

    def shard_health(state: PlacementState, kind: PlacementKind, shard: str | None) -> TenantHealth:
        key = (kind, shard)
        if key not in memo:
            seen = [
                fleet.instance_by_url(u) if fleet is not None else None
                for u in placement.shard_endpoints(kind, shard, state)
            ]
            known = [s for s in seen if s is not None]
            if not known:
                memo[key] = "unknown"
            else:
                ok = sum(1 for s in known if s.health == "ok" and s.ready == "ready")
                memo[key] = "ok" if ok == len(known) else "down" if ok == 0 else "degraded"
        return memo[key]

    order = {"down": 0, "degraded": 1, "unknown": 2, "ok": 3}

    def health(state: PlacementState, tenant_id: str) -> TenantHealth:
        index = state.index
        found = [shard_health(state, k, index.placement(tenant_id, k).shard) for k in KINDS]
        return min(found, key=order.__getitem__)

    return health


class TenantLag:
    """Projection lag by tenant from the metrics store, refreshed in the background."""

    def __init__(
        self,
        metrics: MetricsService,
        ttl_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.metrics = metrics
        self.ttl_s = ttl_s
        self.clock = clock
        self._values: dict[str, int] = {}
        self._at: float | None = None
        self._refresh: asyncio.Task[None] | None = None

    @property
    def configured(self) -> bool:
        return self.metrics.store is not None

    def current(self) -> tuple[dict[str, int], float | None]:
        """The last figures and their age in seconds (None: none yet); starts a refresh when
        they are older than the TTL (the caller never waits for it)."""
        now = self.clock()
        if self.configured and (self._at is None or now - self._at >= self.ttl_s):
            self._start_refresh()
        return self._values, (None if self._at is None else round(now - self._at, 1))

    def _start_refresh(self) -> None:
        if self._refresh is not None and not self._refresh.done():
            return
        with contextlib.suppress(RuntimeError):  # no running loop (sync callers in tests)
            self._refresh = asyncio.get_running_loop().create_task(self._load(), name="tenant-lag")

    async def _load(self) -> None:
        try:
            answer = await self.metrics.range(LAG_QUERY, 60, 15, {})
        except ControlError as e:
            _log.info("tenant lag unavailable", error=e.detail)
            return
        values: dict[str, int] = {}
        for series in answer.series:
            tenant = series.labels.get("tenant")
            latest = next((v for _, v in reversed(series.points) if v is not None), None)
            if tenant and tenant != "__other__" and latest is not None:
                values[tenant] = int(latest)
        self._values, self._at = values, self.clock()

    async def stop(self) -> None:
        if self._refresh is not None:
            self._refresh.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._refresh
