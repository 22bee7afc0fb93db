"""Creating, reading, listing and cancelling jobs.

Creation is idempotent per (principal, kind, Idempotency-Key): the key is claimed with a KV
create (one winner among any number of concurrent requests and replicas); the record carries the
whole job so any replica can finish materialising it if the creator died half-way.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import uuid

import msgspec

from cloudlysis_control.audit.service import AuditService
from cloudlysis_control.core.clock import rfc3339
from cloudlysis_control.core.errors import (
    Conflict,
    ControlError,
    IdempotencyKeyInvalid,
    IdempotencyKeyMissing,
    IdempotencyKeyReused,
    NotFound,
    StateUnavailable,
    ValidationFailed,
)
from cloudlysis_control.core.identity import current_identity
from cloudlysis_control.core.pagination import decode_cursor, encode_cursor
from cloudlysis_control.jobs.engine import JobEngine, new_steps
from cloudlysis_control.jobs.kinds import KindRegistry, required_locks
from cloudlysis_control.jobs.schemas import Job, JobCreate, JobKindInfo, JobPage
from cloudlysis_control.jobs.store import JobStore
from cloudlysis_control.locks.service import LockService
from cloudlysis_control.ports import KeyExists, KeyValue, RevisionMismatch

JOB_ID_RE = re.compile(r"^j_[0-9a-f]{32}$")
IDEMPOTENCY_KEY_RE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
MAX_REASON = 2000


class IdempotencyRecord(msgspec.Struct):
    job_id: str
    request_hash: str
    job: Job


class JobFilter(msgspec.Struct, kw_only=True):
    kind: str | None = None
    status: str | None = None
    tenant_id: str | None = None
    since: str | None = None
    until: str | None = None
    correlation_id: str | None = None
    request_id: str | None = None
    trace_id: str | None = None

    def matches(self, j: Job) -> bool:
        return (
            (self.kind is None or j.kind == self.kind)
            and (self.status is None or j.status == self.status)
            and (self.tenant_id is None or j.tenant_id == self.tenant_id)
            and (self.since is None or j.created_at >= self.since)
            and (self.until is None or j.created_at < self.until)
            and (self.correlation_id is None or j.correlation_id == self.correlation_id)
            and (self.request_id is None or j.request_id == self.request_id)
            and (self.trace_id is None or j.trace_id == self.trace_id)
        )


def request_hash(kind: str, tenant_id: str | None, body: JobCreate) -> str:
    canonical = msgspec.json.encode(
        {"kind": kind, "tenant_id": tenant_id, "reason": body.reason, "params": body.params},
        order="sorted",
    )
    return hashlib.sha256(canonical).hexdigest()


class JobService:
    def __init__(
        self,
        store: JobStore,
        idempotency: KeyValue,
        kinds: KindRegistry,
        engine: JobEngine,
        audit: AuditService,
        locks: LockService | None = None,
    ) -> None:
        self.locks = locks
        self.store = store
        self.idempotency = idempotency
        self.kinds = kinds
        self.engine = engine
        self.audit = audit

    async def create(
        self,
        *,
        kind_name: str,
        body: JobCreate,
        principal_id: str,
        idempotency_key: str | None,
        tenant_id: str | None = None,
    ) -> Job:
        if idempotency_key is None or idempotency_key == "":
            raise IdempotencyKeyMissing("send an Idempotency-Key header (e.g. a UUID)")
        if not IDEMPOTENCY_KEY_RE.match(idempotency_key):
            raise IdempotencyKeyInvalid("Idempotency-Key must be 1-128 chars of [A-Za-z0-9._:-]")
        kind = self.kinds.get(kind_name)
        if kind is None:
            raise NotFound(f"unknown job kind {kind_name!r}")
        reason = body.reason.strip()
        if not reason:
            raise ValidationFailed("reason must not be empty: say why you run this job")
        if len(reason) > MAX_REASON:
            raise ValidationFailed(f"reason must be at most {MAX_REASON} characters")
        params = kind.validate(body.params)
        steps = kind.plan(params)
        digest = request_hash(kind_name, tenant_id, body)
        ident = current_identity.get()
        job = Job(
            id=f"j_{uuid.uuid4().hex}",
            kind=kind_name,
            status="pending",
            reason=reason,
            params=params,
            tenant_id=tenant_id,
            created_by=principal_id,
            created_at=rfc3339(),
            request_id=ident.request_id if ident else None,
            correlation_id=ident.correlation_id if ident else None,
            trace_id=ident.trace_id if ident else None,
            steps=new_steps(steps),
        )
        key = hashlib.sha256(f"{principal_id}\0{kind_name}\0{idempotency_key}".encode()).hexdigest()
        record = IdempotencyRecord(job.id, digest, job)
        try:
            await self.idempotency.create(key, msgspec.json.encode(record))
        except KeyExists:
            return await self._replay(key, digest)
        needed = required_locks(kind, params)
        try:
            await self._acquire_locks(job, needed)
        except ControlError as refusal:
            await self._release_key(key)
            await self.audit.record(
                actor=principal_id,
                action=f"job.create.{kind_name}",
                target=f"job:{job.id}",
                outcome="refused",
                tenant_id=tenant_id,
                reason=reason,
                detail={"params": params, "code": refusal.code, "refusal": refusal.detail},
            )
            raise
        try:
            await self.audit.record(
                actor=principal_id,
                action=f"job.create.{kind_name}",
                target=f"job:{job.id}",
                outcome="accepted",
                tenant_id=tenant_id,
                reason=reason,
                job_id=job.id,
                detail={"params": params},
                event_id=f"{job.id}.create",
            )
        except ControlError:
            # Fail closed: no audit, no job. Free the key and the locks so the client can retry.
            await self._release_locks(job.id, needed)
            await self._release_key(key)
            raise
        await self.store.create(job)
        self.engine.enqueue(job.id)
        return job

    async def _acquire_locks(self, job: Job, needed: list[tuple[str, str]]) -> None:
        if not needed:
            return
        if self.locks is None:
            raise StateUnavailable("this job kind needs locks but no lock service is running")
        taken: list[tuple[str, str]] = []
        try:
            for scope, name in needed:  # sorted: replicas take locks in one global order
                await self.locks.acquire(scope, name, job.id)
                taken.append((scope, name))
        except ControlError:
            await self._release_locks(job.id, taken)
            raise

    async def _release_locks(self, job_id: str, held: list[tuple[str, str]]) -> None:
        if self.locks is None:
            return
        for scope, name in held:
            with contextlib.suppress(ControlError):
                await self.locks.release(scope, name, job_id)

    async def _release_key(self, key: str) -> None:
        try:
            entry = await self.idempotency.get(key)
            if entry is not None:
                await self.idempotency.delete(key, entry.revision)
        except (StateUnavailable, RevisionMismatch):
            pass

    async def _replay(self, key: str, digest: str) -> Job:
        entry = await self.idempotency.get(key)
        if entry is None or entry.value is None:
            raise Conflict("the idempotency key is being released; retry")
        record = msgspec.json.decode(entry.value, type=IdempotencyRecord)
        if record.request_hash != digest:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was used for a different request", job_id=record.job_id
            )
        for _ in range(50):
            stored = await self.store.get(record.job_id)
            if stored is not None:
                return stored.job
            await asyncio.sleep(0.02)
        # The creator died between claiming the key and writing the job: finish its work.
        with contextlib.suppress(KeyExists):
            await self.store.create(record.job)
        stored = await self.store.get(record.job_id)
        if stored is None:
            raise StateUnavailable("job could not be read back")
        self.engine.enqueue(record.job_id)
        return stored.job

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

    def page(self, flt: JobFilter, cursor: str | None, limit: int) -> JobPage:
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
        return JobPage(
            page, encode_cursor(f"{page[-1].created_at}|{page[-1].id}") if more else None
        )

    def find(self, flt: JobFilter, limit: int = 100) -> list[Job]:
        return self.page(flt, None, limit).items

    async def cancel(self, job_id: str, principal_id: str) -> Job:
        if not JOB_ID_RE.match(job_id):
            raise NotFound(f"no job {job_id[:80]}")
        for _ in range(20):
            stored = await self.store.get(job_id)
            if stored is None:
                raise NotFound(f"no job {job_id}")
            job = stored.job
            if job.terminal or job.status == "cancelling":
                return job
            if job.status == "pending" and job.lease_owner is None:
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
                    await self._release_locks(job.id, required_locks(kind, job.params))
            return job
        raise Conflict("job changed too often to cancel; retry")

    def kind_info(self) -> list[JobKindInfo]:
        return [
            JobKindInfo(k.name, k.description, k.right, k.tenant_scoped)
            for k in self.kinds.kinds.values()
        ]
