"""Locks per tenant, per config domain and per service, held by jobs.

A lock is one key in the `control_locks` KV bucket (`{scope}.{name}`) whose value names the job
holding it, the replica that wrote it and when it expires. Every change is a compare-and-set on
the key's revision, so two replicas can never both believe they hold a lock. A lock whose
holder died is reclaimed only once `expires_at` has passed — never earlier — and the job that
holds a lock may always take it again (after a takeover the new runner re-acquires it).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime

import msgspec

from cloudlysis_control.core.clock import rfc3339
from cloudlysis_control.core.errors import Conflict, LockHeld, ValidationFailed
from cloudlysis_control.core.scope import PLATFORM, TenantScope, in_scope
from cloudlysis_control.locks.schemas import LockRecord, LockView
from cloudlysis_control.ports import KeyExists, KeyValue, RevisionMismatch

SCOPES = ("tenant", "config", "service")
NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
DEFAULT_TTL_S = 60.0
_ATTEMPTS = 10


class LockLost(Conflict):
    code = "lock_lost"
    title = "The job no longer holds its lock"


def _at(ts: float) -> str:
    if ts == float("inf"):
        return "never"
    return rfc3339(datetime.fromtimestamp(ts, UTC))


def lock_key(scope: str, name: str) -> str:
    if scope not in SCOPES:
        raise ValidationFailed(f"lock scope must be one of {', '.join(SCOPES)}")
    if not NAME_RE.match(name):
        raise ValidationFailed("lock name must be 1-128 characters of [A-Za-z0-9_-]")
    return f"{scope}.{name}"


class LockService:
    def __init__(
        self,
        kv: KeyValue,
        instance_id: str,
        ttl_s: float = DEFAULT_TTL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.kv = kv
        self.instance_id = instance_id
        self.ttl_s = ttl_s
        self.clock = clock

    def _record(self, scope: str, name: str, job_id: str, ttl_s: float | None) -> bytes:
        rec = LockRecord(
            scope=scope,
            name=name,
            job_id=job_id,
            owner=self.instance_id,
            acquired_at=rfc3339(),
            expires_at=self.clock() + (ttl_s if ttl_s is not None else self.ttl_s),
        )
        return msgspec.json.encode(rec)

    async def _read(self, key: str) -> tuple[LockRecord | None, int]:
        entry = await self.kv.get(key)
        if entry is None or entry.value is None:
            return None, 0  # absent or deleted: create() claims it
        try:
            return msgspec.json.decode(entry.value, type=LockRecord), entry.revision
        except msgspec.DecodeError:
            # An unreadable lock is treated as held until someone repairs it: never guess.
            return (
                LockRecord(
                    scope="?",
                    name=key,
                    job_id="unknown",
                    owner="unknown",
                    acquired_at="",
                    expires_at=float("inf"),
                ),
                entry.revision,
            )

    async def acquire(
        self, scope: str, name: str, job_id: str, ttl_s: float | None = None
    ) -> LockRecord:
        """Take the lock for `job_id`, or raise LockHeld naming the job that holds it."""
        record, _ = await self.take(scope, name, job_id, ttl_s)
        return record

    async def take(
        self, scope: str, name: str, job_id: str, ttl_s: float | None = None
    ) -> tuple[LockRecord, int]:
        """`acquire`, also returning the lock's revision: a holder that keeps it refreshes and
        releases the lock with one compare-and-set each (`refresh`/`release` with `revision`).

        The first attempt is a blind create (one round trip when the lock is free); only when
        the key exists is it read to see who holds it."""
        key = lock_key(scope, name)
        blind = True
        for _ in range(_ATTEMPTS):
            value = self._record(scope, name, job_id, ttl_s)
            try:
                if blind:
                    blind = False
                    revision = await self.kv.create(key, value)
                else:
                    current, revision = await self._read(key)
                    if current is None:
                        revision = await self.kv.create(key, value)
                    elif current.job_id == job_id or current.expires_at <= self.clock():
                        revision = await self.kv.update(key, value, revision)
                    else:
                        raise LockHeld(
                            f"{scope} {name} is locked by job {current.job_id} until "
                            f"{_at(current.expires_at)}",
                            job_id=current.job_id,
                            lock=f"{scope}:{name}",
                            expires_at=_at(current.expires_at),
                        )
            except (KeyExists, RevisionMismatch):
                continue  # someone else moved first: look again
            return msgspec.json.decode(value, type=LockRecord), revision
        raise LockHeld(f"{scope} {name} is contended; retry", lock=f"{scope}:{name}")

    async def refresh(
        self,
        scope: str,
        name: str,
        job_id: str,
        ttl_s: float | None = None,
        revision: int | None = None,
    ) -> LockRecord:
        """Extend a lock this job holds; LockLost when it is no longer the holder."""
        record, _ = await self.renew(scope, name, job_id, ttl_s, revision)
        return record

    async def renew(
        self,
        scope: str,
        name: str,
        job_id: str,
        ttl_s: float | None = None,
        revision: int | None = None,
    ) -> tuple[LockRecord, int]:
        """`refresh`, returning the new revision. With the revision the holder last wrote, one
        compare-and-set; read only when someone else wrote the key since."""
        key = lock_key(scope, name)
        for _ in range(_ATTEMPTS):
            if revision is None:
                current, revision = await self._read(key)
                if current is None or current.job_id != job_id:
                    raise LockLost(
                        f"job {job_id} no longer holds {scope} {name}", lock=f"{scope}:{name}"
                    )
            value = self._record(scope, name, job_id, ttl_s)
            try:
                new_revision = await self.kv.update(key, value, revision)
            except RevisionMismatch:
                revision = None
                continue
            return msgspec.json.decode(value, type=LockRecord), new_revision
        raise LockLost(f"could not refresh {scope} {name}", lock=f"{scope}:{name}")

    async def release(
        self, scope: str, name: str, job_id: str, revision: int | None = None
    ) -> None:
        """Give the lock up if this job holds it; anything else is left alone. With the
        revision the holder last wrote, one compare-and-set delete."""
        key = lock_key(scope, name)
        for _ in range(_ATTEMPTS):
            if revision is None:
                current, revision = await self._read(key)
                if current is None or current.job_id != job_id:
                    return
            try:
                await self.kv.delete(key, revision)
            except RevisionMismatch:
                revision = None
                continue
            return

    async def get(self, scope: str, name: str) -> LockRecord | None:
        current, _ = await self._read(lock_key(scope, name))
        return current

    async def held(self) -> list[LockRecord]:
        out: list[LockRecord] = []
        for key in await self.kv.keys():
            current, _ = await self._read(key)
            if current is not None:
                out.append(current)
        return sorted(out, key=lambda r: (r.scope, r.name))

    async def views(self, scope: TenantScope = PLATFORM) -> list[LockView]:
        """The locks held now, each saying whether it is past its expiry. Within a tenant
        scope only those tenants' locks (a config or service lock belongs to no tenant)."""
        now = self.clock()
        return [
            LockView(
                **{
                    **msgspec.structs.asdict(r),
                    # An unreadable record never expires (float("inf")): null in JSON anyway,
                    # which the schema now says (it answered null against "number" before).
                    "expires_at": None if math.isinf(r.expires_at) else r.expires_at,
                },
                expired=r.expires_at <= now,
            )
            for r in await self.held()
            if in_scope(scope, r.name if r.scope == "tenant" else None)
        ]
