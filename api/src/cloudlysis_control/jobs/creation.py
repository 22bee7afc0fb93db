"""Creating a job: the one way a job comes to exist.

The generic endpoint, every dedicated endpoint and every idempotent replay go through
`JobCreation.create`: right, tenant scope, Idempotency-Key, pre-create preflight, locks, the
`accepted` audit event, then the job. A refusal is audited once here (`job.create.<kind>`,
outcome `refused`, target `job:<id it would have had>`).

Idempotency is per (principal, kind, Idempotency-Key), and the job's id is derived from those
three (`job_id_for`), so the job's own KV create is the idempotency claim: one winner among any
number of concurrent requests and replicas, and a replay finds the job under the same id. The
job records the digest of its request (`request_hash`); a replay with another body is refused
naming the job. Creation costs two NATS KV round trips (docs/jobs-and-locks.md, "Cost of a job"):

1. the job's locks, each a blind KV create naming the job (read only when the key exists);
2. after the `accepted` audit event, the job itself — pending, its lease already held by this
   replica, which runs it with the revision the create returned (no claim read, no re-read
   of the locks: their revisions travel with the hand-over).

A lock naming the job's own id belongs to the same request (a concurrent or earlier attempt
with the same key), so a retry after a failure half-way re-takes it at once; nothing is left
that blocks the retry, and no refusal names a job that does not exist.
"""

from __future__ import annotations

import contextlib
import hashlib
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
from cloudlysis_control.ports import KeyExists, KeyValue

# Refusals a preflight or the lock check may raise: audited, nothing created.
REFUSALS = (PreflightRefused, PlanStale, Conflict)


class Runner(Protocol):
    """What creation needs from the engine that will run the job."""

    instance_id: str

    def enqueue(self, job_id: str) -> None: ...

    def creation_lease(self) -> float:
        """Epoch seconds until which a job created now is leased to this replica."""
        ...

    def hand_over(self, job: Job, revision: int, locks: dict[LockSpec, int]) -> None:
        """Run `job`, just created at `revision` holding `locks` (lock → revision)."""
        ...


def request_hash(kind: str, tenant_id: str | None, reason: str, params: Params) -> str:
    canonical = msgspec.json.encode(
        {"kind": kind, "tenant_id": tenant_id, "reason": reason, "params": params},
        order="sorted",
    )
    return hashlib.sha256(canonical).hexdigest()


def key_digest(principal_id: str, kind_name: str, idempotency_key: str) -> str:
    return hashlib.sha256(f"{principal_id}\0{kind_name}\0{idempotency_key}".encode()).hexdigest()


def job_id_for(principal_id: str, kind_name: str, idempotency_key: str) -> str:
    """The id of the job a (principal, kind, Idempotency-Key) creates: the same for a replay."""
    return f"j_{key_digest(principal_id, kind_name, idempotency_key)[:32]}"


class LegacyRecord(msgspec.Struct):
    """What this version reads of an idempotency record written before issue 19."""

    job_id: str
    request_hash: str


class JobCreation:
    def __init__(
        self,
        store: JobStore,
        kinds: KindRegistry,
        engine: Runner,
        audit: AuditService,
        locks: LockService | None = None,
        legacy: KeyValue | None = None,
    ) -> None:
        self.store = store
        self.kinds = kinds
        self.engine = engine
        self.audit = audit
        self.locks = locks
        # control_idempotency, written before issue 19: a retry across the upgrade still finds
        # the job its key made. Its keys are listed once (on the first creation).
        self.legacy = legacy
        self._legacy_keys: set[str] | None = None

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
        job_id = job_id_for(principal.id, kind.name, idempotency_key)
        # A replay: the index that follows the bucket knows the job (no NATS round trip).
        cached = self.store.cached(job_id)
        if cached is not None:
            return self._replayed(cached.job, digest)
        legacy = await self._legacy_replay(
            key_digest(principal.id, kind.name, idempotency_key), digest
        )
        if legacy is not None:
            return legacy

        job_params = request_params
        if kind.checks_world:
            # A repeated request gets its job without a second preflight: the world has
            # legitimately moved on once the first request's job ran.
            replay = await self._replay(job_id, digest)
            if replay is not None:
                return replay
            ctx = PreflightContext(job_id=job_id, tenant_id=tenant_id, principal_id=principal.id)
            try:
                job_params = await kind.preflight(request_params, ctx)
            except REFUSALS as refusal:
                # Identical requests at once: the slow ones must get the job, not a refusal
                # caused by the job's own placement write.
                replay = await self._replay(job_id, digest)
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
            # Leased to this replica from the start: it runs the job it creates, and another
            # replica takes it over only if this one dies before finishing it.
            lease_owner=self.engine.instance_id,
            lease_expires_at=self.engine.creation_lease(),
            request_hash=digest,
        )
        # Round trip 1: the locks.
        try:
            held = await self._acquire_locks(job.id, sorted_locks(kind.locks(job.params)))
        except REFUSALS as refusal:
            await self._audit_refusal(
                kind, job.id, principal, job.tenant_id, job.reason, params, refusal
            )
            raise
        try:
            await self.audit.record(
                actor=principal.id,
                action=f"job.create.{kind.name}",
                target=f"job:{job.id}",
                outcome="accepted",
                tenant_id=job.tenant_id,
                reason=job.reason,
                job_id=job.id,
                detail={"params": job.params},
                event_id=f"{job.id}.create",  # a replay's second append is dropped as a duplicate
            )
        except ControlError:
            # Fail closed: no audit, no job. Free the locks so the client can retry.
            await self._release(job.id, held)
            raise
        # Round trip 2: the job, which is also the idempotency claim.
        try:
            revision = await self.store.create(job)
        except KeyExists:
            return await self._lost_race(kind, job, digest, held)
        except StateUnavailable as e:
            # The write may have landed with its acknowledgement lost: keep the locks (they
            # name the job, and a retry with the same key takes them again at once).
            raise StateUnavailable(
                f"{e.detail}; the job may or may not exist: retry with the same Idempotency-Key"
            ) from e
        self.engine.hand_over(job, revision, held)
        return job

    def _replayed(self, existing: Job, digest: str) -> Job:
        if existing.request_hash is not None and existing.request_hash != digest:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was used for a different request", job_id=existing.id
            )
        return existing

    async def _replay(self, job_id: str, digest: str) -> Job | None:
        """The job an earlier request with this key made, or None when there is none yet."""
        stored = await self.store.get(job_id)
        return None if stored is None else self._replayed(stored.job, digest)

    async def _legacy_replay(self, record_key: str, digest: str) -> Job | None:
        if self.legacy is None:
            return None
        if self._legacy_keys is None:
            with contextlib.suppress(ControlError):
                self._legacy_keys = set(await self.legacy.keys())
        if not self._legacy_keys or record_key not in self._legacy_keys:
            return None
        entry = await self.legacy.get(record_key)
        if entry is None or entry.value is None:
            return None
        try:
            record = msgspec.json.decode(entry.value, type=LegacyRecord)
        except msgspec.DecodeError:
            return None
        stored = await self.store.get(record.job_id)
        if stored is None:
            return None  # abandoned before it was written: create it now
        if record.request_hash != digest:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was used for a different request", job_id=record.job_id
            )
        return stored.job

    async def _lost_race(
        self, kind: JobKind, job: Job, digest: str, held: dict[LockSpec, int]
    ) -> Job:
        """The job exists already (an earlier or concurrent request with the same key): answer
        with it. Locks this request took are given back unless the job itself holds them."""
        stored = await self.store.get(job.id)
        if stored is None:
            await self._release(job.id, held)
            raise Conflict("the job for this Idempotency-Key is changing; retry")
        existing = stored.job
        keep = set() if existing.terminal else set(sorted_locks(kind.locks(existing.params)))
        await self._release(job.id, {lk: rev for lk, rev in held.items() if lk not in keep})
        return self._replayed(existing, digest)

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

    async def _acquire_locks(self, job_id: str, needed: list[LockSpec]) -> dict[LockSpec, int]:
        """Take every lock (sorted: replicas take locks in one global order); the revisions."""
        if not needed:
            return {}
        if self.locks is None:
            raise StateUnavailable("this job kind needs locks but no lock service is running")
        taken: dict[LockSpec, int] = {}
        try:
            for scope, name in needed:
                _, revision = await self.locks.take(scope, name, job_id)
                taken[(scope, name)] = revision
        except ControlError:
            await self._release(job_id, taken)
            raise
        return taken

    async def _release(self, job_id: str, held: dict[LockSpec, int]) -> None:
        if self.locks is None:
            return
        for (scope, name), revision in held.items():
            with contextlib.suppress(ControlError):
                await self.locks.release(scope, name, job_id, revision)

    async def release_locks(self, job_id: str, held: list[LockSpec]) -> None:
        if self.locks is None:
            return
        for scope, name in held:
            with contextlib.suppress(ControlError):
                await self.locks.release(scope, name, job_id)
