"""Creating a job: the one way a job comes to exist.

The generic endpoint, every dedicated endpoint and every idempotent replay go through
`JobCreation.create`: right, tenant scope, Idempotency-Key, pre-create preflight, locks, the
`accepted` audit event, then the job. A refusal is audited once here (`job.create.<kind>`,
outcome `refused`, target `job:<id it would have had>`).

Idempotency is per (principal, kind, Idempotency-Key): the key is claimed with a KV create (one
winner among any number of concurrent requests and replicas). The record names its job and a
deadline by which its creator must have written the job. A record whose job does not exist after
the deadline is abandoned (its creator failed or died before anything started): it is cleared,
with the locks it took, and the request is created afresh — never a job without its audit event
and lock check, never a 409 naming a job that does not exist.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
import uuid
from collections.abc import Callable
from typing import Protocol

import msgspec

from cloudlysis_control.audit.service import AuditService
from cloudlysis_control.auth.denials import record_denial
from cloudlysis_control.auth.principal import Principal
from cloudlysis_control.core.clock import rfc3339
from cloudlysis_control.core.errors import (
    Conflict,
    ControlError,
    IdempotencyKeyInvalid,
    IdempotencyKeyMissing,
    IdempotencyKeyReused,
    NotFound,
    PlanStale,
    PreflightRefused,
    StateUnavailable,
    TenantRequired,
)
from cloudlysis_control.core.identity import current_identity
from cloudlysis_control.core.validation import IDEMPOTENCY_KEY_RE, check_reason
from cloudlysis_control.jobs.kinds import (
    JobKind,
    KindRegistry,
    LockSpec,
    Params,
    PreflightContext,
    sorted_locks,
)
from cloudlysis_control.jobs.schemas import Job, new_steps
from cloudlysis_control.jobs.store import JobStore
from cloudlysis_control.locks.service import LockService
from cloudlysis_control.ports import KeyExists, KeyValue, RevisionMismatch

# Refusals a preflight or the lock check may raise: audited, nothing created.
REFUSALS = (PreflightRefused, PlanStale, Conflict)
_POLL_S = 0.02


class Enqueuer(Protocol):
    def enqueue(self, job_id: str) -> None: ...


class IdempotencyRecord(msgspec.Struct):
    job_id: str
    request_hash: str
    job: Job
    owner: str = ""
    # Epoch seconds by which the creator writes the job; a record whose job does not exist
    # after it (plus a grace for clock skew between replicas) is abandoned.
    deadline: float = 0.0


def request_hash(kind: str, tenant_id: str | None, reason: str, params: Params) -> str:
    canonical = msgspec.json.encode(
        {"kind": kind, "tenant_id": tenant_id, "reason": reason, "params": params},
        order="sorted",
    )
    return hashlib.sha256(canonical).hexdigest()


def idempotency_record_key(principal_id: str, kind_name: str, idempotency_key: str) -> str:
    return hashlib.sha256(f"{principal_id}\0{kind_name}\0{idempotency_key}".encode()).hexdigest()


def new_job_id() -> str:
    return f"j_{uuid.uuid4().hex}"


class JobCreation:
    def __init__(
        self,
        store: JobStore,
        idempotency: KeyValue,
        kinds: KindRegistry,
        engine: Enqueuer,
        audit: AuditService,
        locks: LockService | None = None,
        *,
        instance_id: str = "control",
        creation_window_s: float = 10.0,
        skew_grace_s: float = 2.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.idempotency = idempotency
        self.kinds = kinds
        self.engine = engine
        self.audit = audit
        self.locks = locks
        self.instance_id = instance_id
        self.creation_window_s = creation_window_s
        self.skew_grace_s = skew_grace_s
        self.clock = clock
        self._creating: set[str] = set()  # record keys this process is materialising now

    # -- creation -----------------------------------------------------------------------------

    def kind(self, kind_name: str) -> JobKind:
        kind = self.kinds.get(kind_name)
        if kind is None:
            raise NotFound(f"unknown job kind {kind_name!r}")
        return kind

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
        if not idempotency_key:
            raise IdempotencyKeyMissing("send an Idempotency-Key header (e.g. a UUID)")
        if not IDEMPOTENCY_KEY_RE.match(idempotency_key):
            raise IdempotencyKeyInvalid("Idempotency-Key must be 1-128 chars of [A-Za-z0-9._:-]")
        kind = self.kind(kind_name)
        # The kind's right, where the job acts: platform-wide for a platform kind, on the tenant
        # for a tenant kind (docs/decisions/0011-tenant-scoped-rights.md).
        if not kind.tenant_scoped:
            tenant_id = None
            if not principal.holds(kind.right):
                await self._deny(principal, kind, None)
        elif not principal.holds_anywhere(kind.right):
            await self._deny(principal, kind, tenant_id)
        elif tenant_id is None:
            raise TenantRequired(
                f"{kind.name} acts on one tenant: send x-tenant-id (or use its own endpoint)"
            )
        elif not principal.holds(kind.right, tenant_id):
            await self._deny(principal, kind, tenant_id)
        reason = check_reason(reason)
        request_params = kind.validate(params, tenant_id)
        digest = request_hash(kind.name, tenant_id, reason, request_params)
        key = idempotency_record_key(principal.id, kind.name, idempotency_key)
        job_id = new_job_id()

        job_params = request_params
        if kind.checks_world:
            # A repeated request gets its job without a second preflight: the world has
            # legitimately moved on once the first request's job ran.
            replay = await self._replay(key, digest)
            if replay is not None:
                return replay
            ctx = PreflightContext(job_id=job_id, tenant_id=tenant_id, principal_id=principal.id)
            try:
                job_params = await kind.preflight(request_params, ctx)
            except REFUSALS as refusal:
                # 50 identical requests at once: the slow ones must get the job, not a refusal
                # caused by the job's own lock or its own placement write.
                replay = await self._replay(key, digest)
                if replay is not None:
                    return replay
                await self._audit_refusal(
                    kind, job_id, principal, tenant_id, reason, params, refusal
                )
                raise
        ident = current_identity.get()
        job = Job(
            id=job_id,
            kind=kind.name,
            status="pending",
            reason=reason,
            params=job_params,
            tenant_id=tenant_id,
            created_by=principal.id,
            created_at=rfc3339(),
            request_id=ident.request_id if ident else None,
            correlation_id=ident.correlation_id if ident else None,
            trace_id=ident.trace_id if ident else None,
            steps=new_steps(kind.steps(job_params)),
        )
        for _ in range(5):
            record = IdempotencyRecord(
                job.id, digest, job, self.instance_id, self.clock() + self.creation_window_s
            )
            try:
                revision = await self.idempotency.create(key, msgspec.json.encode(record))
            except KeyExists:
                replay = await self._replay(key, digest)
                if replay is not None:
                    return replay
                continue  # the abandoned record was cleared: claim the key again
            self._creating.add(key)
            try:
                return await self._materialise(kind, key, revision, record, principal, params)
            finally:
                self._creating.discard(key)
        raise Conflict("the Idempotency-Key kept changing hands; retry")

    async def _materialise(
        self,
        kind: JobKind,
        key: str,
        revision: int,
        record: IdempotencyRecord,
        principal: Principal,
        raw_params: Params,
    ) -> Job:
        job = record.job
        needed = sorted_locks(kind.locks(job.params))
        try:
            await self._acquire_locks(job.id, needed)
        except ControlError as refusal:
            await self._release_key(key, revision)
            if isinstance(refusal, REFUSALS):
                await self._audit_refusal(
                    kind, job.id, principal, job.tenant_id, job.reason, raw_params, refusal
                )
            raise
        try:
            self._within(record)
            await self.audit.record(
                actor=principal.id,
                action=f"job.create.{kind.name}",
                target=f"job:{job.id}",
                outcome="accepted",
                tenant_id=job.tenant_id,
                reason=job.reason,
                job_id=job.id,
                detail={"params": job.params},
                event_id=f"{job.id}.create",
            )
            self._within(record)
        except ControlError:
            # Fail closed: no audit, no job. Free the key and the locks so the client can retry.
            await self.release_locks(job.id, needed)
            await self._release_key(key, revision)
            raise
        try:
            await self.store.create(job)
        except KeyExists:
            pass  # written by this creator before a lost answer: it is the same job
        except StateUnavailable as e:
            # The write may have landed with its acknowledgement lost: keep the record and the
            # locks (they belong to that job if it exists); a retry with the same key finds the
            # job, or clears the abandoned record once its deadline has passed.
            raise StateUnavailable(
                f"{e.detail}; the job may or may not exist: retry with the same Idempotency-Key"
            ) from e
        self.engine.enqueue(job.id)
        return job

    def _within(self, record: IdempotencyRecord) -> None:
        """A creator past its deadline stops: another request may be clearing its record."""
        if self.clock() > record.deadline:
            raise StateUnavailable("creating the job took too long; nothing was started")

    async def _replay(self, key: str, digest: str) -> Job | None:
        """The job an earlier request with this key made, or None when the key is free (an
        abandoned record is cleared first). Waits while another creator may still finish."""
        while True:
            entry = await self.idempotency.get(key)
            if entry is None or entry.value is None:
                return None
            record = msgspec.json.decode(entry.value, type=IdempotencyRecord)
            stored = await self.store.get(record.job_id)
            if stored is not None:
                if record.request_hash != digest:
                    raise IdempotencyKeyReused(
                        "this Idempotency-Key was used for a different request",
                        job_id=record.job_id,
                    )
                return stored.job
            if not self._abandoned(key, record):
                await asyncio.sleep(_POLL_S)
                continue
            try:
                await self.idempotency.delete(key, entry.revision)
            except RevisionMismatch:
                continue  # someone else cleared or claimed it meanwhile: look again
            await self._clear_abandoned(record)
            return None

    def _abandoned(self, key: str, record: IdempotencyRecord) -> bool:
        if record.owner == self.instance_id and key not in self._creating:
            return True  # our own earlier attempt, and it is no longer running
        return self.clock() > record.deadline + self.skew_grace_s

    async def _clear_abandoned(self, record: IdempotencyRecord) -> None:
        """Undo what a failed creation left: its locks, and say so in the audit trail (its
        `accepted` event may have been written before it failed)."""
        job = record.job
        kind = self.kinds.get(job.kind)
        if kind is not None:
            await self.release_locks(job.id, sorted_locks(kind.locks(job.params)))
        with contextlib.suppress(ControlError):
            await self.audit.record(
                actor=job.created_by,
                action=f"job.create.{job.kind}",
                target=f"job:{job.id}",
                outcome="failed",
                tenant_id=job.tenant_id,
                reason=job.reason,
                detail={"why": "abandoned: the job was never written, nothing was started"},
                event_id=f"{job.id}.abandoned",
            )

    async def _deny(self, principal: Principal, kind: JobKind, tenant_id: str | None) -> None:
        raise await record_denial(
            self.audit,
            actor=principal.id,
            target=f"job.create.{kind.name}",
            right=kind.right,
            tenant_id=tenant_id,
        )

    async def _audit_refusal(
        self,
        kind: JobKind,
        job_id: str,
        principal: Principal,
        tenant_id: str | None,
        reason: str,
        params: Params,
        refusal: ControlError,
    ) -> None:
        await self.audit.record(
            actor=principal.id,
            action=f"job.create.{kind.name}",
            target=f"job:{job_id}",
            outcome="refused",
            tenant_id=tenant_id,
            reason=reason,
            detail={
                "params": params,
                "code": refusal.code,
                "refusal": refusal.detail,
                "failures": refusal.extra.get("failures"),
                "holder_job_id": refusal.extra.get("job_id"),
            },
        )

    async def _acquire_locks(self, job_id: str, needed: list[LockSpec]) -> None:
        if not needed:
            return
        if self.locks is None:
            raise StateUnavailable("this job kind needs locks but no lock service is running")
        taken: list[LockSpec] = []
        try:
            for scope, name in needed:  # sorted: replicas take locks in one global order
                await self.locks.acquire(scope, name, job_id)
                taken.append((scope, name))
        except ControlError:
            await self.release_locks(job_id, taken)
            raise

    async def release_locks(self, job_id: str, held: list[LockSpec]) -> None:
        if self.locks is None:
            return
        for scope, name in held:
            with contextlib.suppress(ControlError):
                await self.locks.release(scope, name, job_id)

    async def _release_key(self, key: str, revision: int) -> None:
        with contextlib.suppress(StateUnavailable, RevisionMismatch):
            await self.idempotency.delete(key, revision)
