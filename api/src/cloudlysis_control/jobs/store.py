"""Jobs in a NATS KV bucket, with an in-memory index that follows the bucket.

Every write is a compare-and-set on the key's revision, so several API replicas can share one
bucket safely. The index (fed by a KV watch that survives reconnects) serves lists and filters;
`sync()` first waits until the watch has delivered every revision the bucket holds at that
moment, so every replica lists the same jobs (a job just created through another replica
included) instead of what this one happened to have loaded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import msgspec

from cloudlysis_control.core.clock import cancel_and_wait
from cloudlysis_control.core.errors import StateUnavailable
from cloudlysis_control.core.logging import get_logger
from cloudlysis_control.jobs.schemas import Job
from cloudlysis_control.ports import KeyValue, KVEntry

_log = get_logger("control.jobs.store")
_decoder = msgspec.json.Decoder(Job)


class StoredJob(msgspec.Struct):
    job: Job
    revision: int


class JobStore:
    def __init__(self, kv: KeyValue) -> None:
        self.kv = kv
        self._index: dict[str, StoredJob] = {}
        self._watch_task: asyncio.Task[None] | None = None
        self._listeners: list[Callable[[Job], None]] = []
        self._seen = 0  # the newest revision the watch delivered
        self._delivered = asyncio.Condition()

    def on_change(self, listener: Callable[[Job], None]) -> None:
        self._listeners.append(listener)

    async def start(self) -> None:
        self._watch_task = asyncio.create_task(self._watch(), name="jobs-watch")

    async def stop(self) -> None:
        if self._watch_task is not None and await cancel_and_wait([self._watch_task]):
            _log.error("jobs watch did not stop in time")

    async def _watch(self) -> None:
        async for entry in self.kv.watch_all():
            self._apply(entry)
            if entry.revision > self._seen:
                self._seen = entry.revision
                async with self._delivered:
                    self._delivered.notify_all()

    async def sync(self, timeout_s: float) -> bool:
        """Wait until the index holds everything the bucket holds now. False when that cannot
        be known or does not happen within `timeout_s` (NATS unreachable, the watch behind):
        the caller answers from the index and says it may be stale."""
        if self._watch_task is None or self._watch_task.done():
            return False  # nothing follows the bucket: the index is all there is
        try:
            target = await self.kv.last_revision()
        except StateUnavailable:
            return False
        if self._seen >= target:
            return True
        try:
            async with asyncio.timeout(timeout_s), self._delivered:
                await self._delivered.wait_for(lambda: self._seen >= target)
        except TimeoutError:
            return False
        return True

    def _apply(self, entry: KVEntry) -> None:
        if entry.value is None:
            self._index.pop(entry.key, None)
            return
        current = self._index.get(entry.key)
        if current is not None and current.revision >= entry.revision:
            return
        try:
            job = _decoder.decode(entry.value)
        except msgspec.DecodeError:
            _log.warning("undecodable job skipped", key=entry.key)
            return
        self._remember(job, entry.revision)

    def _remember(self, job: Job, revision: int) -> None:
        current = self._index.get(job.id)
        if current is not None and current.revision >= revision:
            return
        self._index[job.id] = StoredJob(job, revision)
        for listener in self._listeners:
            listener(job)

    # The index keeps its own copy of what was written (decoded from the bytes), never the
    # caller's object: the engine goes on changing its job between writes, and a replica must
    # list what the bucket holds, as every other replica does.

    async def create(self, job: Job) -> int:
        data = msgspec.json.encode(job)
        rev = await self.kv.create(job.id, data)
        self._remember(_decoder.decode(data), rev)
        return rev

    async def get(self, job_id: str) -> StoredJob | None:
        entry = await self.kv.get(job_id)
        if entry is None or entry.value is None:
            return None
        self._remember(_decoder.decode(entry.value), entry.revision)
        return StoredJob(_decoder.decode(entry.value), entry.revision)

    async def update(self, job: Job, revision: int) -> int:
        """CAS write; raises ports.RevisionMismatch when someone else wrote first."""
        data = msgspec.json.encode(job)
        rev = await self.kv.update(job.id, data, revision)
        self._remember(_decoder.decode(data), rev)
        return rev

    def cached(self, job_id: str) -> StoredJob | None:
        return self._index.get(job_id)

    def all(self) -> Iterator[Job]:
        return (s.job for s in self._index.values())
