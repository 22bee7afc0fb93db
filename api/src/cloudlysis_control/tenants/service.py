"""Tenants as the placement maps know them: a searchable list and a per-tenant detail view.

The list pages over the tenant index PlacementService rebuilds on each swap (never per request).
The detail asks every shard endpoint serving the tenant for its status, concurrently and each
within a timeout; an endpoint that fails gets its own error and the rest of the answer stands.
"""

from __future__ import annotations

import asyncio
import bisect
from collections import OrderedDict
from collections.abc import Coroutine
from typing import Any

from cloudlysis_control.audit.schemas import AuditFilter
from cloudlysis_control.audit.service import AuditService
from cloudlysis_control.core.errors import UpstreamError
from cloudlysis_control.core.pagination import decode_cursor, encode_cursor
from cloudlysis_control.core.scope import PLATFORM, TenantScope
from cloudlysis_control.core.validation import check_tenant_id
from cloudlysis_control.fleet.snapshot import FleetSnapshotService
from cloudlysis_control.jobs.service import JobFilter, JobService
from cloudlysis_control.placement.schemas import KINDS
from cloudlysis_control.placement.service import PlacementService, TenantIndex
from cloudlysis_control.tenants.ports import ServiceAdmin
from cloudlysis_control.tenants.schemas import (
    EndpointStatus,
    KindDetail,
    KindPlacement,
    TenantDetail,
    TenantPage,
    TenantSummary,
)
from cloudlysis_control.tenants.state import TenantLag, TenantOperations, worst_health

MATCH_CACHE = 16  # searches remembered per index (each at most the whole id list)


def _hit(tenant: str, q: str | None, match: str) -> bool:
    if q is None:
        return True
    return tenant.startswith(q) if match == "prefix" else q in tenant


class TenantService:
    def __init__(
        self,
        placement: PlacementService,
        fleet: FleetSnapshotService | None,
        status: ServiceAdmin,
        jobs: JobService | None,
        audit: AuditService | None,
        status_timeout_s: float = 2.0,
        *,
        operations: TenantOperations | None = None,
        lag: TenantLag | None = None,
    ) -> None:
        self.placement = placement
        self.operations = operations or TenantOperations()
        self.lag = lag
        self._matches_of: TenantIndex | None = None
        self._match_cache: OrderedDict[tuple[str, str], tuple[str, ...]] = OrderedDict()
        self.fleet = fleet
        self.status = status
        self.jobs = jobs
        self.audit = audit
        self.status_timeout_s = status_timeout_s

    def _matches(self, index: TenantIndex, q: str, match: str) -> tuple[str, ...]:
        """Every id matching a search, computed once per index and search (the index is
        replaced, never changed, on each placement swap); pages and the total read it."""
        key = (q, match)
        if self._matches_of is not index:
            self._matches_of, self._match_cache = index, OrderedDict()
        found = self._match_cache.get(key)
        if found is None:
            found = tuple(index.iter_from(None, q, match))
            self._match_cache[key] = found
            if len(self._match_cache) > MATCH_CACHE:
                self._match_cache.popitem(last=False)
        else:
            self._match_cache.move_to_end(key)
        return found

    def page(
        self,
        q: str | None,
        match: str,
        cursor: str | None,
        limit: int,
        scope: TenantScope = PLATFORM,
    ) -> TenantPage:
        state = self.placement.state
        index = state.index
        after = decode_cursor(cursor)  # a position in the sorted ids: any string will do
        q = (q or "").strip().lower() or None
        if scope is not None:  # a tenant operator (PLATFORM is None): their tenants only
            ids = tuple(t for t in sorted(scope) if index.known(t) and _hit(t, q, match))
        else:
            ids = index.tenants if q is None else self._matches(index, q, match)
        start = 0 if after is None else bisect.bisect_right(ids, after)
        window = ids[start : start + limit + 1]
        health = worst_health(self.placement, self.fleet)
        lag, lag_age = self.lag.current() if self.lag is not None else ({}, None)
        items = []
        for t in window[:limit]:
            op_state, op_job = self.operations.state(t)
            items.append(
                TenantSummary(
                    tenant_id=t,
                    placement={
                        k: KindPlacement(p.shard, p.explicit)
                        for k in KINDS
                        for p in (index.placement(t, k),)
                    },
                    state=op_state,
                    state_job_id=op_job,
                    health=health(state, t),
                    lag=lag.get(t),
                )
            )
        return TenantPage(
            items=items,
            next_cursor=encode_cursor(window[limit - 1]) if len(window) > limit else None,
            total=len(ids),
            revisions={k: state.maps[k].revision for k in KINDS},
            stale=self.placement.stale,
            lag_age_s=lag_age,
        )

    async def _endpoint(self, url: str, tenant_id: str) -> EndpointStatus:
        out = EndpointStatus(url=url)
        seen = self.fleet.instance_by_url(url) if self.fleet is not None else None
        if seen is not None:
            out.instance, out.health, out.ready, out.version = (
                seen.instance,
                seen.health,
                seen.ready,
                seen.version,
            )
        try:
            status = await asyncio.wait_for(
                self.status.tenant_status(url, tenant_id), self.status_timeout_s
            )
        except TimeoutError:
            out.error = f"tenant status did not answer within {self.status_timeout_s:g} s"
            return out
        except UpstreamError as e:
            out.error = e.detail
            return out
        except Exception as e:  # partial results, never a 500
            out.error = f"tenant status failed: {type(e).__name__}"
            return out
        out.inflight, out.lag, out.lag_seconds = status.inflight, status.lag, status.lag_seconds
        out.draining, out.drained, out.accepting = status.draining, status.drained, status.accepting
        return out

    async def detail(self, tenant_id: str) -> TenantDetail:
        check_tenant_id(tenant_id)
        state = self.placement.state
        index = state.index
        snapshot_age = None
        if self.fleet is not None and self.fleet.fleet:
            snapshot_age = (await self.fleet.snapshot()).age_s
        kinds = []
        calls: list[Coroutine[Any, Any, EndpointStatus]] = []
        for kind in KINDS:
            p = index.placement(tenant_id, kind)
            urls = self.placement.shard_endpoints(kind, p.shard, state)
            kinds.append((kind, p, urls, state.maps[kind].revision))
            calls.extend(self._endpoint(u, tenant_id) for u in urls)
        results = iter(await asyncio.gather(*calls))
        placement = [
            KindDetail(
                kind=kind,
                shard=p.shard,
                explicit=p.explicit,
                revision=revision,
                endpoints=[next(results) for _ in urls],
            )
            for kind, p, urls, revision in kinds
        ]
        return TenantDetail(
            tenant_id=tenant_id,
            known=index.known(tenant_id),
            stale=self.placement.stale,
            fleet_snapshot_age_s=snapshot_age,
            placement=placement,
            recent_jobs=(
                await self.jobs.find(JobFilter(tenant_id=tenant_id), 20) if self.jobs else []
            ),
            recent_audit_events=(
                await self.audit.recent(AuditFilter(tenant_id=tenant_id), 20) if self.audit else []
            ),
        )
