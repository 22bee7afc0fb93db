"""The audit stream's bounded reads on a real nats-server (issue 19): a sequence range, a time
seek, and audit queries over them answering what the in-memory cache answers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from cloudlysis_control.adapters.nats.state import STREAM_AUDIT, NatsEventLog, NatsState
from cloudlysis_control.audit.schemas import AuditEvent, AuditFilter, AuditPage
from cloudlysis_control.audit.service import AuditService
from cloudlysis_control.core.metrics import Metrics

pytestmark = pytest.mark.integration


async def _log(url: str) -> tuple[NatsState, NatsEventLog]:
    state = NatsState(url=url)
    await state.connect()
    await state.provision([], [STREAM_AUDIT])
    return state, NatsEventLog(state, STREAM_AUDIT, "control.audit.events")


async def test_read_a_range_and_seek_by_time(own_nats: str) -> None:
    state, log = await _log(own_nats)
    try:
        assert await log.bounds() == (0, 0)
        assert await log.seq_at(datetime.now(UTC)) == 1
        for i in range(40):
            await log.append(f'{{"n":{i}}}'.encode(), msg_id=f"m{i}")
        await state.js.publish("control.audit.other", b"{}", stream=STREAM_AUDIT.name)
        middle = datetime.now(UTC)
        await asyncio.sleep(0.05)
        for i in range(40, 60):
            await log.append(f'{{"n":{i}}}'.encode(), msg_id=f"m{i}")
        assert await log.bounds() == (1, 61)
        got = [m async for m in log.read(10, 20, batch=3)]
        assert [m.seq for m in got] == list(range(10, 21))
        assert got[0].data == b'{"n":9}'
        # Other subjects of the stream are not audit events; a range past the end just stops.
        tail = [m.seq async for m in log.read(39, 100)]
        assert tail == [39, 40, *range(42, 62)]
        assert [m async for m in log.read(5, 4)] == []
        assert await log.seq_at(middle - timedelta(hours=1)) == 1
        assert await log.seq_at(middle) == 42
        assert await log.seq_at(middle + timedelta(hours=1)) == 62
        info = await state.js.stream_info(STREAM_AUDIT.name)
        assert info.state.consumer_count == 0  # every reader was removed again
    finally:
        await state.close()


async def _walk(service: AuditService, flt: AuditFilter, limit: int) -> list[AuditPage]:
    pages = [await service.query(flt, None, limit)]
    while pages[-1].next_cursor is not None:
        pages.append(await service.query(flt, pages[-1].next_cursor, limit))
    return pages


async def test_a_small_cache_answers_what_a_full_one_answers(own_nats: str) -> None:
    state, log = await _log(own_nats)
    writer = AuditService(log, Metrics())
    for i in range(300):
        await writer.record(
            actor=("alice", "bob", "mallory")[i % 3],
            action=("authz.deny", "iam.post")[i % 2],
            target=f"x:{i}",
            outcome=("denied", "accepted", "failed")[i % 3],
            tenant_id=("t-1", None)[i % 2],
        )
    full, small = AuditService(log, Metrics()), AuditService(log, Metrics(), max_indexed=16)
    await full.start()
    await small.start()
    try:
        for _ in range(200):
            if full._cover_hi >= 300 and small._cover_hi >= 300:
                break
            await asyncio.sleep(0.02)
        assert len(small._events) <= 17
        events = [msgspec.json.decode(m.data, type=AuditEvent) async for m in log.read(1, 300)]
        for flt in (
            AuditFilter(),
            AuditFilter(actor="mallory", tenant_id="t-1"),
            AuditFilter(since=events[20].at, until=events[60].at),
        ):
            pages = await _walk(full, flt, 9)
            assert await _walk(small, flt, 9) == pages
            expected = [e.id for e in reversed(events) if flt.matches(e)]
            assert [r.id for p in pages for r in p.items] == expected
            exported = [e.id async for e in await small.export(flt)]
            assert exported == expected
    finally:
        await full.stop()
        await small.stop()
        await state.close()
