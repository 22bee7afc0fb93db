"""In-memory fakes of the domain ports, for unit tests: no NATS, no sockets.

They keep the ports' contracts (a KV create fails when the key exists, an update is a
compare-and-set on the revision, an event log dedups by message id) so the services under test
meet the same rules as against the real adapters; integration tests use the real adapters.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from cloudlysis_control.core.errors import UpstreamUnavailable
from cloudlysis_control.fleet.ports import ProbeResult
from cloudlysis_control.ports import KeyExists, KVEntry, RevisionMismatch, StreamMessage
from cloudlysis_control.tenants.ports import ReloadResult, TenantStatus

T = TypeVar("T")


class MemoryKeyValue:
    """The KeyValue port (ports.KeyValue) in memory: revisions grow by one per write."""

    def __init__(self) -> None:
        self.entries: dict[str, KVEntry] = {}
        self.revision = 0
        self.writes = 0
        self._changed = asyncio.Condition()

    async def _write(self, key: str, value: bytes | None) -> int:
        self.revision += 1
        self.writes += 1
        self.entries[key] = KVEntry(key, value, self.revision)
        async with self._changed:
            self._changed.notify_all()
        return self.revision

    async def get(self, key: str) -> KVEntry | None:
        entry = self.entries.get(key)
        return None if entry is None or entry.value is None else entry

    async def create(self, key: str, value: bytes) -> int:
        if await self.get(key) is not None:
            raise KeyExists(key)
        return await self._write(key, value)

    async def update(self, key: str, value: bytes, revision: int) -> int:
        current = await self.get(key)
        if current is None or current.revision != revision:
            raise RevisionMismatch(key)
        return await self._write(key, value)

    async def put(self, key: str, value: bytes) -> int:
        return await self._write(key, value)

    async def delete(self, key: str, revision: int | None = None) -> None:
        current = await self.get(key)
        if revision is not None and (current is None or current.revision != revision):
            raise RevisionMismatch(key)
        await self._write(key, None)

    async def keys(self) -> list[str]:
        return [k for k, e in self.entries.items() if e.value is not None]

    async def last_revision(self) -> int:
        return self.revision

    async def watch_all(self) -> AsyncIterator[KVEntry]:
        seen = 0
        while True:
            for entry in sorted(self.entries.values(), key=lambda e: e.revision):
                if entry.revision > seen:
                    seen = entry.revision
                    yield entry
            async with self._changed:
                await self._changed.wait_for(lambda seen=seen: self.revision > seen)


class CountingKeyValue:
    """Wraps a KeyValue port and counts every operation: `ops` (one per call, by name) and
    `calls` (the operations in order), so a test can assert what a code path costs in KV
    operations and how many of them had to wait on each other (round trips)."""

    def __init__(self, inner: MemoryKeyValue, name: str = "kv") -> None:
        self.inner = inner
        self.name = name
        self.calls: list[str] = []
        self.in_flight = 0
        self.rounds: list[int] = []  # for every call: how many were in flight when it started

    async def _count(self, op: str, coro: Awaitable[T]) -> T:
        self.calls.append(f"{self.name}.{op}")
        self.in_flight += 1
        self.rounds.append(self.in_flight)
        try:
            return await coro
        finally:
            self.in_flight -= 1

    async def get(self, key: str) -> KVEntry | None:
        return await self._count("get", self.inner.get(key))

    async def create(self, key: str, value: bytes) -> int:
        return await self._count("create", self.inner.create(key, value))

    async def update(self, key: str, value: bytes, revision: int) -> int:
        return await self._count("update", self.inner.update(key, value, revision))

    async def put(self, key: str, value: bytes) -> int:
        return await self._count("put", self.inner.put(key, value))

    async def delete(self, key: str, revision: int | None = None) -> None:
        return await self._count("delete", self.inner.delete(key, revision))

    async def keys(self) -> list[str]:
        return await self._count("keys", self.inner.keys())

    def watch_all(self) -> AsyncIterator[KVEntry]:
        return self.inner.watch_all()  # a subscription, not a request


class RecordingRunner:
    """The engine as JobCreation sees it (jobs.creation.Runner), recording what it is given."""

    def __init__(self, instance_id: str = "r1", lease_s: float = 15.0) -> None:
        self.instance_id = instance_id
        self.lease_s = lease_s
        self.ids: list[str] = []
        self.handed: list[tuple[Any, int, dict[Any, int]]] = []

    def enqueue(self, job_id: str) -> None:
        self.ids.append(job_id)

    def creation_lease(self) -> float:
        return time.time() + self.lease_s

    def hand_over(self, job: Any, revision: int, locks: dict[Any, int]) -> None:
        self.handed.append((job, revision, locks))
        self.enqueue(job.id)


class MemoryEventLog:
    """The EventLog port in memory: appends dedup by message id, followers see every event,
    bounded reads and time seeks as the stream answers them (`now` stamps each append)."""

    def __init__(self, now: Callable[[], datetime] | None = None) -> None:
        self.messages: list[StreamMessage] = []
        self.times: list[datetime] = []
        self._ids: dict[str, int] = {}
        self._changed = asyncio.Condition()
        self._now = now or (lambda: datetime.now(UTC))
        self.reads = 0  # bounded reads started (how often a query went past the cache)

    async def publish(self, data: bytes, msg_id: str) -> tuple[int, bool]:
        if msg_id in self._ids:
            return self._ids[msg_id], True
        seq = len(self.messages) + 1
        self.messages.append(StreamMessage(seq, data))
        self.times.append(self._now())
        self._ids[msg_id] = seq
        async with self._changed:
            self._changed.notify_all()
        return seq, False

    async def append(self, data: bytes, msg_id: str) -> int:
        return (await self.publish(data, msg_id))[0]

    async def last_seq(self) -> int:
        return len(self.messages)

    async def bounds(self) -> tuple[int, int]:
        return (1 if self.messages else 0), len(self.messages)

    async def read(
        self, start_seq: int, end_seq: int, batch: int = 1024
    ) -> AsyncIterator[StreamMessage]:
        self.reads += 1
        for seq in range(max(1, start_seq), min(end_seq, len(self.messages)) + 1):
            yield self.messages[seq - 1]

    async def seq_at(self, at: datetime) -> int:
        return bisect.bisect_left(self.times, at) + 1

    async def follow(self, from_seq: int) -> AsyncIterator[StreamMessage]:
        next_seq = max(1, from_seq)
        while True:
            while next_seq <= len(self.messages):
                yield self.messages[next_seq - 1]
                next_seq += 1
            async with self._changed:
                await self._changed.wait_for(lambda n=next_seq: len(self.messages) >= n)


class FakeProber:
    """The Prober port: answers from a table of URL → ProbeResult (unknown URLs unreachable)."""

    def __init__(self, answers: dict[str, ProbeResult] | None = None) -> None:
        self.answers = dict(answers or {})
        self.calls: list[str] = []

    async def probe(self, base_url: str, metrics: bool = True) -> ProbeResult:
        self.calls.append(base_url)
        return self.answers.get(base_url) or ProbeResult(url=base_url, error="unreachable")


class FakeServiceAdmin:
    """The ServiceAdmin port: tenant status per (endpoint, tenant), drain/resume flip it."""

    def __init__(self, unreachable: set[str] | None = None) -> None:
        self.status: dict[tuple[str, str], TenantStatus] = {}
        self.calls: list[tuple[str, str, str]] = []
        self.unreachable = set(unreachable or ())

    def _get(self, endpoint: str, tenant_id: str) -> TenantStatus:
        if endpoint in self.unreachable:
            raise UpstreamUnavailable(f"{endpoint} is unreachable")
        return self.status.setdefault(
            (endpoint, tenant_id), TenantStatus(tenant_id=tenant_id, inflight=0)
        )

    async def tenant_status(self, endpoint: str, tenant_id: str) -> TenantStatus:
        self.calls.append(("status", endpoint, tenant_id))
        return self._get(endpoint, tenant_id)

    async def drain(self, endpoint: str, tenant_id: str) -> TenantStatus:
        self.calls.append(("drain", endpoint, tenant_id))
        s = self._get(endpoint, tenant_id)
        s.draining, s.accepting = True, False
        return s

    async def resume(self, endpoint: str, tenant_id: str) -> TenantStatus:
        self.calls.append(("resume", endpoint, tenant_id))
        s = self._get(endpoint, tenant_id)
        s.draining, s.drained, s.accepting = False, False, True
        return s

    async def reload(self, endpoint: str) -> ReloadResult:
        self.calls.append(("reload", endpoint, ""))
        return ReloadResult(service="fake", instance=endpoint, config_generation=1)
