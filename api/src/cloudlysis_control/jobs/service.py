"""Jobs: create (through JobCreation), read, list and cancel."""

from __future__ import annotations

import msgspec

from cloudlysis_control.auth.denials import record_denial
from cloudlysis_control.auth.principal import Principal
from cloudlysis_control.core.clock import rfc3339
from cloudlysis_control.core.errors import (
    Conflict,
    NotFound,
    PlanStale,
    PreflightRefused,
)
from cloudlysis_control.core.pagination import decode_cursor, encode_cursor
from cloudlysis_control.core.scope import PLATFORM, TenantScope, in_scope
from cloudlysis_control.core.staleness import Staleness
from cloudlysis_control.core.validation import JOB_ID_RE
from cloudlysis_control.jobs.creation import JobCreation
from cloudlysis_control.jobs.kinds import (
    JobKind,
    Params,
    sorted_locks,
)
from cloudlysis_control.jobs.schemas import Job, JobKindInfo, JobPage
from cloudlysis_control.ports import RevisionMismatch

# Refusals a preflight or the lock check may raise: audited, nothing created.
REFUSALS = (PreflightRefused, PlanStale, Conflict)
_POLL_S = 0.02
CANCEL_RIGHT = "control.jobs.run"


class JobFilter(msgspec.Struct, kw_only=True):
    kind: str | None = None
    status: str | None = None
    tenant_id: str | None = None
    since: str | None = None
    until: str | None = None
    correlation_id: str | None = None
    request_id: str | None = None
    trace_id: str | None = None
    # The caller's tenants (None: platform-wide): a job of another tenant, or of none, is hidden.
    scope: TenantScope = PLATFORM

    def matches(self, j: Job) -> bool:
        return (
            in_scope(self.scope, j.tenant_id)
            and (self.kind is None or j.kind == self.kind)
            and (self.status is None or j.status == self.status)
            and (self.tenant_id is None or j.tenant_id == self.tenant_id)
            and (self.since is None or j.created_at >= self.since)
            and (self.until is None or j.created_at < self.until)
            and (self.correlation_id is None or j.correlation_id == self.correlation_id)
            and (self.request_id is None or j.request_id == self.request_id)
            and (self.trace_id is None or j.trace_id == self.trace_id)
        )


# How long a list waits for this replica's index to hold what the bucket holds; past it the list
# is answered from the index and says `stale`.
SYNC_TIMEOUT_S = 5.0


class JobService:
    def __init__(self, creation: JobCreation, staleness: Staleness | None = None) -> None:
        self.creation = creation
        self.store = creation.store
        self.kinds = creation.kinds
        self.audit = creation.audit
        self.staleness = staleness or Staleness()

    def kind(self, kind_name: str) -> JobKind:
        return self.creation.kind(kind_name)

    async def create(
        self,
        *,
        kind_name: str,
        reason: str,
        params: Params,
        principal: Principal,
        idempotency_key: str | None,
        tenant_id: str | None = None,
    ) -> Job:
        """The one way a job comes to exist (jobs.creation)."""
        return await self.creation.create(
            kind_name=kind_name,
            reason=reason,
            params=params,
            principal=principal,
            idempotency_key=idempotency_key,
            tenant_id=tenant_id,
        )

    # -- reading ------------------------------------------------------------------------------

    async def get_for(self, job_id: str, principal: Principal, right: str) -> Job:
        """A job the principal may see (or act on) with `right`: on the job's tenant, or
        platform-wide for a job of no tenant. Otherwise 403, audited."""
        job = await self.get(job_id)
        if not principal.holds(right, job.tenant_id):
            raise await record_denial(
                self.audit,
                actor=principal.id,
                target=f"job:{job.id}",
                right=right,
                tenant_id=job.tenant_id,
            )
        return job

    async def get(self, job_id: str) -> Job:
        if not JOB_ID_RE.match(job_id):
            raise NotFound(f"no job {job_id[:80]}")
        cached = self.store.cached(job_id)
        if cached is not None and cached.job.terminal:
            return cached.job
        stored = await self.store.get(job_id)
        if stored is None:
            raise NotFound(f"no job {job_id}")
        return stored.job

    async def page(self, flt: JobFilter, cursor: str | None, limit: int) -> JobPage:
        synced = await self.store.sync(SYNC_TIMEOUT_S)
        after = decode_cursor(cursor)
        jobs = sorted(
            (j for j in self.store.all() if flt.matches(j)),
            key=lambda j: (j.created_at, j.id),
            reverse=True,
        )
        if after is not None:
            jobs = [j for j in jobs if f"{j.created_at}|{j.id}" < after]
        page = jobs[:limit]
        more = len(jobs) > limit
        stale_for = self.staleness.stale_for_s()
        return JobPage(
            items=page,
            next_cursor=encode_cursor(f"{page[-1].created_at}|{page[-1].id}") if more else None,
            stale=self.staleness.stale or not synced,
            stale_for_s=stale_for if stale_for is not None or synced else 0.0,
        )

    async def find(self, flt: JobFilter, limit: int = 100) -> list[Job]:
        return (await self.page(flt, None, limit)).items

    def kind_info(self) -> list[JobKindInfo]:
        return [
            JobKindInfo(k.name, k.description, k.right, k.tenant_scoped, k.endpoint)
            for k in self.kinds.kinds.values()
        ]

    # -- cancelling ---------------------------------------------------------------------------

    async def cancel(self, job_id: str, principal: Principal) -> Job:
        await self.get_for(job_id, principal, CANCEL_RIGHT)
        principal_id = principal.id
        for _ in range(20):
            stored = await self.store.get(job_id)
            if stored is None:
                raise NotFound(f"no job {job_id}")
            job = stored.job
            if job.terminal or job.status == "cancelling":
                return job
            # Never started (leased to its creator at most): cancelled at once. Its creator's
            # first write (a CAS on the revision it created) then fails and it drops the job.
            if job.status == "pending" and job.runs == 0:
                job.status = "cancelled"
                job.finished_at = rfc3339()
                for s in job.steps:
                    s.status = "cancelled"
            else:
                job.status = "cancelling"
            job.cancel_requested_by = principal_id
            try:
                await self.audit.record(
                    actor=principal_id,
                    action="job.cancel",
                    target=f"job:{job.id}",
                    outcome="accepted",
                    tenant_id=job.tenant_id,
                    job_id=job.id,
                    event_id=f"{job.id}.cancel",
                )
                await self.store.update(job, stored.revision)
            except RevisionMismatch:
                continue
            if job.status == "cancelled":
                # Never claimed, so no runner will release its locks: do it here.
                kind = self.kinds.get(job.kind)
                if kind is not None:
                    await self.creation.release_locks(job.id, sorted_locks(kind.locks(job.params)))
            return job
        raise Conflict("job changed too often to cancel; retry")
