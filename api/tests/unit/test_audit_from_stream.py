"""Audit queries answer the same from the stream as from the cache (issue 19): a replica whose
cache holds every event, one whose cache holds a few, and one with no cache walk the same pages
(same rows, same cursors), count the same and export the same, for any time range."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from cloudlysis_control.audit.export import as_csv, as_ndjson
from cloudlysis_control.audit.schemas import AuditEvent, AuditFilter, AuditPage
from cloudlysis_control.audit.service import AuditService
from cloudlysis_control.core.clock import rfc3339
from cloudlysis_control.core.metrics import Metrics
from tests.support.fakes import MemoryEventLog

START = datetime(2026, 12, 1, tzinfo=UTC)
N = 600


class SteppingClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def _event(i: int, at: datetime) -> AuditEvent:
    denial = i % 7 in (3, 4, 5)
    return AuditEvent(
        id=f"a_{i:05d}",
        at=rfc3339(at),
        actor="mallory" if denial else ("alice", "bob", "carol")[i % 3],
        action="authz.deny" if denial else ("job.create.tenant.drain", "iam.post")[i % 2],
        target=f"job:j{i}",
        tenant_id=("t-1", "t-2", None)[i % 3],
        outcome="denied" if denial else ("accepted", "succeeded", "failed")[i % 3],
        detail={"missing_right": "control.jobs.run"} if denial else None,
    )


@pytest.fixture
async def log() -> MemoryEventLog:
    clock = SteppingClock()
    log = MemoryEventLog(now=clock)
    for i in range(N):
        clock.now = START + timedelta(minutes=i)
        await log.append(msgspec.json.encode(_event(i, clock.now)), msg_id=f"a_{i:05d}")
    await log.append(b"not json", msg_id="junk")  # skipped the same way by every path
    return log


async def _replica(log: MemoryEventLog, cache: int) -> AuditService:
    service = AuditService(log, Metrics(), max_indexed=cache)
    await service.start()
    for _ in range(200):
        if service._cover_hi >= len(log.messages):
            break
        await asyncio.sleep(0)
    return service


async def _walk(service: AuditService, flt: AuditFilter, limit: int, **kw: bool) -> list[AuditPage]:
    pages = [await service.query(flt, None, limit, **kw)]
    while pages[-1].next_cursor is not None:
        pages.append(await service.query(flt, pages[-1].next_cursor, limit, **kw))
    return pages


def _at(minutes: int) -> str:
    return rfc3339(START + timedelta(minutes=minutes))


FILTERS = [
    AuditFilter(),
    AuditFilter(actor="mallory"),
    AuditFilter(text="IAM.P", outcomes=frozenset({"failed", "accepted"})),
    AuditFilter(tenant_id="t-2", exclude_outcomes=frozenset({"denied"})),
    AuditFilter(since=_at(100), until=_at(130)),  # far older than the small caches
    AuditFilter(since=_at(590)),
    AuditFilter(until=_at(5), actor="alice"),
    AuditFilter(since=_at(2000)),  # after the newest: nothing
]


@pytest.mark.parametrize("flt", FILTERS, ids=lambda f: repr(msgspec.structs.asdict(f))[:60])
async def test_every_cache_size_walks_the_same_pages(log: MemoryEventLog, flt: AuditFilter) -> None:
    full, small, none = [await _replica(log, c) for c in (10_000, 25, 0)]
    try:
        for kw in ({}, {"collapse_denials": True}):
            expected = await _walk(full, flt, 7, **kw)
            assert await _walk(small, flt, 7, **kw) == expected
            assert await _walk(none, flt, 7, **kw) == expected
        counted = [(await s.query(flt, None, 5, count=True)).total for s in (full, small, none)]
        assert counted[0] == counted[1] == counted[2]
        exports = [[e async for e in await s.export(flt)] for s in (full, small, none)]
        assert exports[0] == exports[1] == exports[2]
        # The answer is what the filter says over every event of the stream, newest first.
        every = [_event(i, START + timedelta(minutes=i)) for i in range(N)]
        assert exports[0] == [e for e in reversed(every) if flt.matches(e)]
        assert counted[0] == len(exports[0])
    finally:
        for s in (full, small, none):
            await s.stop()


async def test_a_page_inside_the_cache_does_not_read_the_stream(log: MemoryEventLog) -> None:
    service = await _replica(log, 50)
    try:
        before = log.reads
        newest = await service.query(AuditFilter(), None, 20)
        assert log.reads == before  # the newest 20 are cached
        assert [r.id for r in newest.items] == [f"a_{i:05d}" for i in range(N - 1, N - 21, -1)]
        old = await service.query(AuditFilter(until=_at(10)), None, 5)
        assert log.reads > before  # an old range comes from the stream
        assert [r.id for r in old.items] == [f"a_{i:05d}" for i in range(9, 4, -1)]
    finally:
        await service.stop()


async def test_the_cache_keeps_the_newest_events_only(log: MemoryEventLog) -> None:
    service = await _replica(log, 40)
    try:
        assert len(service._events) <= 40 + 40 // 16
        assert min(service._events) > N - 50
        await service.record(actor="dave", action="x.y", target="t", outcome="accepted")
        newest = (await service.query(AuditFilter(), None, 1)).items
        assert newest[0].actor == "dave"  # a replica reads its own write at once
    finally:
        await service.stop()


async def test_a_search_for_something_rare_stops_with_a_cursor_to_continue(
    log: MemoryEventLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("cloudlysis_control.audit.service.SCAN_BUDGET", 100)
    service = await _replica(log, 0)
    try:
        flt = AuditFilter(text="job:j0")  # the oldest event only
        first = await service.query(flt, None, 10)
        assert first.items == [] and first.next_cursor is not None
        pages = await _walk(service, flt, 10)
        assert len(pages) == 6  # 600 events, 100 a page
        assert [r.id for p in pages for r in p.items] == ["a_00000"]
    finally:
        await service.stop()


async def test_exports_are_streamed_in_chunks_whatever_the_source(log: MemoryEventLog) -> None:
    full, none = await _replica(log, 10_000), await _replica(log, 0)
    try:
        ndjson = [
            b"".join([c async for c in as_ndjson(await s.export(AuditFilter()))])
            for s in (full, none)
        ]
        assert ndjson[0] == ndjson[1]
        assert ndjson[0].count(b"\n") == N
        assert msgspec.json.decode(ndjson[0].split(b"\n")[0], type=AuditEvent).id == "a_00599"
        csvs = [
            b"".join([c async for c in as_csv(await s.export(AuditFilter()))]) for s in (full, none)
        ]
        assert csvs[0] == csvs[1]
        assert csvs[0].count(b"\r\n") == N + 1  # header + one row per event
    finally:
        await full.stop()
        await none.stop()


async def test_listeners_hear_each_event_once_whatever_the_cache(log: MemoryEventLog) -> None:
    for cache in (0, 1, 10_000):
        service = await _replica(log, cache)
        heard: list[str] = []
        service.on_event(lambda e, heard=heard: heard.append(e.id))
        try:
            for i in range(3):
                await service.record(actor="dave", action="x.y", target=f"t{i}", outcome="accepted")
            await log.append(b"{}", msg_id=f"other-{cache}")  # the follower passes its writes
            for _ in range(100):
                await asyncio.sleep(0)
            assert len(heard) == len(set(heard)) == 3, (cache, heard)
        finally:
            await service.stop()
