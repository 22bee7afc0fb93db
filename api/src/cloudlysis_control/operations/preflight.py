"""The tenant operations' preflights, composed from the guardrails (cloudlysis_control.guardrails):
this module measures (placement, probes, the services' tenant status, locks) and the guardrails
judge, with thresholds from the flags.

Every check runs (none short-circuits the others), so a refusal lists every failed invariant with
its measured value and threshold. Checks only read: running them never changes anything.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

from cloudlysis_control.core.checks import CheckResult
from cloudlysis_control.core.errors import ControlError
from cloudlysis_control.fleet.ports import Prober, ProbeResult
from cloudlysis_control.guardrails import checks
from cloudlysis_control.guardrails.limits import Limits, LimitsSource
from cloudlysis_control.locks.service import LockService
from cloudlysis_control.operations.schemas import PreflightReport, Thresholds
from cloudlysis_control.placement.schemas import PlacementKind, PlacementMap
from cloudlysis_control.placement.service import PlacementService
from cloudlysis_control.tenants.ports import ServiceAdmin, TenantStatus


class Preflight:
    def __init__(
        self,
        placement: PlacementService,
        probe: Prober,
        status: ServiceAdmin,
        locks: LockService | None,
        limits: LimitsSource,
        timeout_s: float = 2.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.placement = placement
        self.probe = probe
        self.status = status
        self.locks = locks
        self.limits = limits
        self.timeout_s = timeout_s
        self.clock = clock

    async def thresholds(self) -> Thresholds:
        """The tenant-load thresholds now (a migration plan's hash covers them)."""
        limits = await self.limits.limits()
        return Thresholds(max_lag=limits.max_tenant_lag, max_inflight=limits.max_tenant_inflight)

    # -- measuring the guardrails' inputs -----------------------------------------------------

    async def lock_free(self, scope: str, name: str, job_id: str | None) -> CheckResult:
        return await checks.lock_free(self.locks, scope, name, job_id, self.clock)

    def revision(self, kind: PlacementKind, expected: str | None) -> CheckResult:
        return checks.placement_revision(kind, self.placement.state.maps[kind].revision, expected)

    async def shard_ready(self, kind: PlacementKind, shard: str, role: str) -> list[CheckResult]:
        doc = self.placement.state.maps[kind].value
        exists = isinstance(doc, PlacementMap) and shard in doc.shards
        urls = self.placement.shard_endpoints(kind, shard)
        results = await asyncio.gather(*(self._probe(u) for u in urls))
        return [
            checks.shard_exists(role, kind, shard, exists),
            checks.instances_answer(
                f"{role}_healthy",
                "answers /health",
                "not healthy",
                shard,
                len(urls),
                [r.url for r in results if r.health != 200],
            ),
            checks.instances_answer(
                f"{role}_ready",
                "is ready",
                "not ready",
                shard,
                len(urls),
                [r.url for r in results if r.ready != 200],
            ),
        ]

    async def tenant_load(
        self, kind: PlacementKind, tenant_id: str, shard: str | None, limits: Limits
    ) -> list[CheckResult]:
        urls = self.placement.shard_endpoints(kind, shard)
        answers = await asyncio.gather(*(self._status(u, tenant_id) for u in urls))
        errors = [a for a in answers if isinstance(a, str)]
        statuses = [a for a in answers if isinstance(a, TenantStatus)]
        if errors or not urls:
            why = "; ".join(errors) or f"shard {shard} has no endpoints"
            return [
                checks.tenant_lag(None, shard, limits, why),
                checks.tenant_inflight(None, shard, limits, why),
            ]
        lag = max((s.lag or 0 for s in statuses), default=0)
        inflight = sum(s.inflight for s in statuses)
        return [
            checks.tenant_lag(lag, shard, limits),
            checks.tenant_inflight(inflight, shard, limits),
        ]

    async def endpoints_reachable(
        self, kinds: Sequence[PlacementKind], tenant_id: str
    ) -> list[CheckResult]:
        out = []
        for kind in kinds:
            shard = self.placement.state.index.placement(tenant_id, kind).shard
            urls = self.placement.shard_endpoints(kind, shard)
            answers = await asyncio.gather(*(self._status(u, tenant_id) for u in urls))
            errors = [a for a in answers if isinstance(a, str)]
            out.append(
                checks.instances_answer(
                    f"{kind}_reachable",
                    f"answers for {tenant_id}",
                    f"{kind} unreachable",
                    shard,
                    len(urls),
                    errors,
                )
            )
        return out

    # -- each workflow's preflight, composed from the guardrails ------------------------------

    async def for_migrate(
        self,
        tenant_id: str,
        kind: PlacementKind,
        source: str | None,
        target: str,
        planned_revision: str | None,
        job_id: str | None = None,
    ) -> PreflightReport:
        limits = await self.limits.limits()
        lock, ready, load = await asyncio.gather(
            self.lock_free("tenant", tenant_id, job_id),
            self.shard_ready(kind, target, "target"),
            self.tenant_load(kind, tenant_id, source, limits),
        )
        results = [
            self.revision(kind, planned_revision),
            checks.target_differs(tenant_id, source, target),
            lock,
            *ready,
            *load,
        ]
        return PreflightReport(ok=all(c.ok for c in results), checks=results)

    async def for_drain(
        self, tenant_id: str, kinds: Sequence[PlacementKind], job_id: str | None = None
    ) -> PreflightReport:
        lock = await self.lock_free("tenant", tenant_id, job_id)
        results = [lock, *await self.endpoints_reachable(kinds, tenant_id)]
        return PreflightReport(ok=all(c.ok for c in results), checks=results)

    async def for_resume(self, tenant_id: str, job_id: str | None = None) -> PreflightReport:
        """A resume undoes a drain: only the lock guards it (it must work on a sick shard)."""
        lock = await self.lock_free("tenant", tenant_id, job_id)
        return PreflightReport(ok=lock.ok, checks=[lock])

    # -- measuring ----------------------------------------------------------------------------

    async def _probe(self, url: str) -> ProbeResult:
        try:
            return await asyncio.wait_for(self.probe.probe(url), self.timeout_s)
        except TimeoutError:
            return ProbeResult(url=url, error=f"no answer within {self.timeout_s:g} s")

    async def _status(self, url: str, tenant_id: str) -> TenantStatus | str:
        try:
            return await asyncio.wait_for(self.status.tenant_status(url, tenant_id), self.timeout_s)
        except TimeoutError:
            return f"{url}: no answer within {self.timeout_s:g} s"
        except ControlError as e:
            return f"{url}: {e.detail}"


def raise_refusal(tenant_id: str, report: PreflightReport) -> None:
    """409 lock_held when another job holds the tenant lock, else 422 listing every failure."""
    checks.refuse(report.checks)
