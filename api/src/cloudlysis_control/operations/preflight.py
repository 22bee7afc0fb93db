"""Reusable preflight checks: each one measures an invariant and says whether it holds.

Every check runs (none short-circuits the others), so a refusal lists every failed invariant with
its measured value and threshold. Checks only read: running them never changes anything.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from cloudlysis_control.adapters.probe import ProbeResult
from cloudlysis_control.adapters.service_admin import TenantStatus
from cloudlysis_control.core.errors import ControlError
from cloudlysis_control.operations.schemas import CheckResult, PreflightReport, Thresholds
from cloudlysis_control.placement.schemas import PlacementKind, PlacementMap
from cloudlysis_control.placement.service import PlacementService


class LockInfo(Protocol):
    job_id: str
    expires_at: float


class LockReader(Protocol):
    async def get(self, scope: str, name: str) -> Any: ...


class Prober(Protocol):
    async def probe(self, base_url: str) -> ProbeResult: ...


class StatusReader(Protocol):
    async def tenant_status(self, endpoint: str, tenant_id: str) -> TenantStatus: ...


class Preflight:
    def __init__(
        self,
        placement: PlacementService,
        probe: Prober,
        status: StatusReader,
        locks: LockReader | None,
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
            name="no_conflicting_lock",
            ok=holder is None,
            measured=holder,
            threshold=None,
            message=f"job {holder} holds the {scope} lock on {name}"
            if holder
            else f"no other job holds the {scope} lock on {name}",
        )

    def revision(self, kind: PlacementKind, expected: str | None) -> CheckResult:
        current = self.placement.state.maps[kind].revision
        return CheckResult(
            name="placement_revision",
            ok=current == expected,
            measured=current,
            threshold=expected,
            message="placement unchanged since the plan"
            if current == expected
            else f"the {kind} placement changed since the plan (revision {current}, "
            f"planned {expected}): plan again",
        )

    async def shard_ready(self, kind: PlacementKind, shard: str, role: str) -> list[CheckResult]:
        doc = self.placement.state.maps[kind].value
        exists = isinstance(doc, PlacementMap) and shard in doc.shards
        checks = [
            CheckResult(
                name=f"{role}_shard_exists",
                ok=exists,
                measured=shard,
                threshold=None,
                message=f"shard {shard} is in the {kind} shard directory"
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
                name=f"{role}_healthy",
                ok=total > 0 and healthy == total,
                measured=f"{healthy}/{total}",
                threshold=f"{total}/{total}",
                message=f"every {shard} instance answers /health"
                if total and not bad_health
                else f"{shard}: not healthy: {', '.join(bad_health) or 'no endpoints'}",
            )
        )
        checks.append(
            CheckResult(
                name=f"{role}_ready",
                ok=total > 0 and ready == total,
                measured=f"{ready}/{total}",
                threshold=f"{total}/{total}",
                message=f"every {shard} instance is ready"
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
                    name=f"{name}",
                    ok=False,
                    measured=None,
                    threshold=limit,
                    message=f"cannot measure {name.removeprefix('source_')} on {shard}: {detail}",
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
                name="source_lag",
                ok=lag <= t.max_lag,
                measured=lag,
                threshold=t.max_lag,
                message=f"lag {lag} on {shard} (at most {t.max_lag})",
            ),
            CheckResult(
                name="source_inflight",
                ok=inflight <= t.max_inflight,
                measured=inflight,
                threshold=t.max_inflight,
                message=f"{inflight} inflight on {shard} (at most {t.max_inflight})",
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
                    name=f"{kind}_reachable",
                    ok=ok,
                    measured=f"{len(urls) - len(errors)}/{len(urls)}",
                    threshold=f"{len(urls)}/{len(urls)}",
                    message=f"every {kind} instance of {shard} answers for {tenant_id}"
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
            name="target_differs",
            ok=source != target,
            measured=source,
            threshold=f"!= {target}",
            message=f"{tenant_id} is on {source}; target is {target}"
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
