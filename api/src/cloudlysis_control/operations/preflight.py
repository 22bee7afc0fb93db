"""Reusable preflight checks: each one measures an invariant and says whether it holds.

Every check runs (none short-circuits the others), so a refusal lists every failed invariant with
its measured value and threshold. Checks only read: running them never changes anything.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

from cloudlysis_control.core.checks import CheckResult
from cloudlysis_control.core.errors import ControlError, LockHeld, PreflightRefused
from cloudlysis_control.fleet.ports import Prober, ProbeResult
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
        thresholds: Thresholds,
        timeout_s: float = 2.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.placement = placement
        self.probe = probe
        self.status = status
        self.locks = locks
        self.thresholds = thresholds
        self.timeout_s = timeout_s
        self.clock = clock

    # -- single checks ------------------------------------------------------------------------

    async def lock_free(self, scope: str, name: str, job_id: str | None) -> CheckResult:
        holder = None
        if self.locks is not None:
            record = await self.locks.get(scope, name)
            if record is not None and record.job_id != job_id and record.expires_at > self.clock():
                holder = str(record.job_id)
        return CheckResult(
            check="no_conflicting_lock",
            ok=holder is None,
            value=holder,
            threshold=None,
            detail=f"job {holder} holds the {scope} lock on {name}"
            if holder
            else f"no other job holds the {scope} lock on {name}",
        )

    def revision(self, kind: PlacementKind, expected: str | None) -> CheckResult:
        current = self.placement.state.maps[kind].revision
        return CheckResult(
            check="placement_revision",
            ok=current == expected,
            value=current,
            threshold=expected,
            detail="placement unchanged since the plan"
            if current == expected
            else f"the {kind} placement changed since the plan (revision {current}, "
            f"planned {expected}): plan again",
        )

    async def shard_ready(self, kind: PlacementKind, shard: str, role: str) -> list[CheckResult]:
        doc = self.placement.state.maps[kind].value
        exists = isinstance(doc, PlacementMap) and shard in doc.shards
        checks = [
            CheckResult(
                check=f"{role}_shard_exists",
                ok=exists,
                value=shard,
                threshold=None,
                detail=f"shard {shard} is in the {kind} shard directory"
                if exists
                else f"shard {shard} is not in the {kind} shard directory",
            )
        ]
        urls = self.placement.shard_endpoints(kind, shard)
        results = await asyncio.gather(*(self._probe(u) for u in urls))
        healthy = sum(1 for r in results if r.health == 200)
        ready = sum(1 for r in results if r.ready == 200)
        total = len(urls)
        bad_health = [r.url for r in results if r.health != 200]
        bad_ready = [r.url for r in results if r.ready != 200]
        checks.append(
            CheckResult(
                check=f"{role}_healthy",
                ok=total > 0 and healthy == total,
                value=f"{healthy}/{total}",
                threshold=f"{total}/{total}",
                detail=f"every {shard} instance answers /health"
                if total and not bad_health
                else f"{shard}: not healthy: {', '.join(bad_health) or 'no endpoints'}",
            )
        )
        checks.append(
            CheckResult(
                check=f"{role}_ready",
                ok=total > 0 and ready == total,
                value=f"{ready}/{total}",
                threshold=f"{total}/{total}",
                detail=f"every {shard} instance is ready"
                if total and not bad_ready
                else f"{shard}: not ready: {', '.join(bad_ready) or 'no endpoints'}",
            )
        )
        return checks

    async def tenant_load(
        self, kind: PlacementKind, tenant_id: str, shard: str | None
    ) -> list[CheckResult]:
        urls = self.placement.shard_endpoints(kind, shard)
        answers = await asyncio.gather(*(self._status(u, tenant_id) for u in urls))
        errors = [a for a in answers if isinstance(a, str)]
        statuses = [a for a in answers if isinstance(a, TenantStatus)]
        if errors or not urls:
            detail = "; ".join(errors) or f"shard {shard} has no endpoints"
            return [
                CheckResult(
                    check=f"{name}",
                    ok=False,
                    value=None,
                    threshold=limit,
                    detail=f"cannot measure {name.removeprefix('source_')} on {shard}: {detail}",
                )
                for name, limit in (
                    ("source_lag", self.thresholds.max_lag),
                    ("source_inflight", self.thresholds.max_inflight),
                )
            ]
        lag = max((s.lag or 0 for s in statuses), default=0)
        inflight = sum(s.inflight for s in statuses)
        t = self.thresholds
        return [
            CheckResult(
                check="source_lag",
                ok=lag <= t.max_lag,
                value=lag,
                threshold=t.max_lag,
                detail=f"lag {lag} on {shard} (at most {t.max_lag})",
            ),
            CheckResult(
                check="source_inflight",
                ok=inflight <= t.max_inflight,
                value=inflight,
                threshold=t.max_inflight,
                detail=f"{inflight} inflight on {shard} (at most {t.max_inflight})",
            ),
        ]

    async def endpoints_reachable(
        self, kinds: Sequence[PlacementKind], tenant_id: str
    ) -> list[CheckResult]:
        checks = []
        for kind in kinds:
            shard = self.placement.state.index.placement(tenant_id, kind).shard
            urls = self.placement.shard_endpoints(kind, shard)
            answers = await asyncio.gather(*(self._status(u, tenant_id) for u in urls))
            errors = [a for a in answers if isinstance(a, str)]
            ok = bool(urls) and not errors
            checks.append(
                CheckResult(
                    check=f"{kind}_reachable",
                    ok=ok,
                    value=f"{len(urls) - len(errors)}/{len(urls)}",
                    threshold=f"{len(urls)}/{len(urls)}",
                    detail=f"every {kind} instance of {shard} answers for {tenant_id}"
                    if ok
                    else f"{kind} shard {shard}: {'; '.join(errors) or 'no endpoints'}",
                )
            )
        return checks

    # -- check sets ---------------------------------------------------------------------------

    async def for_migrate(
        self,
        tenant_id: str,
        kind: PlacementKind,
        source: str | None,
        target: str,
        planned_revision: str | None,
        job_id: str | None = None,
    ) -> PreflightReport:
        different = CheckResult(
            check="target_differs",
            ok=source != target,
            value=source,
            threshold=f"!= {target}",
            detail=f"{tenant_id} is on {source}; target is {target}"
            if source != target
            else f"{tenant_id} is already on {target}",
        )
        lock, ready, load = await asyncio.gather(
            self.lock_free("tenant", tenant_id, job_id),
            self.shard_ready(kind, target, "target"),
            self.tenant_load(kind, tenant_id, source),
        )
        checks = [
            self.revision(kind, planned_revision),
            different,
            lock,
            *ready,
            *load,
        ]
        return PreflightReport(ok=all(c.ok for c in checks), checks=checks)

    async def for_drain(
        self, tenant_id: str, kinds: Sequence[PlacementKind], job_id: str | None = None
    ) -> PreflightReport:
        lock = await self.lock_free("tenant", tenant_id, job_id)
        checks = [lock, *await self.endpoints_reachable(kinds, tenant_id)]
        return PreflightReport(ok=all(c.ok for c in checks), checks=checks)

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
    if report.ok:
        return
    failures = report.failures()
    holder = next((c.value for c in failures if c.check == "no_conflicting_lock"), None)
    if holder is not None:
        raise LockHeld(
            f"job {holder} holds the tenant lock on {tenant_id}",
            job_id=str(holder),
            failures=failures,
        )
    raise PreflightRefused("; ".join(c.detail for c in failures), failures=failures)
