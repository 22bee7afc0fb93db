"""An open event stream is not a pass for life, and its ids name the process that made them.

- Every `recheck_s` the stream asks again who its caller is: a session that ended (revoked,
  disabled, token expired) gets `session_ended` and the stream closes; rights changed at the
  Gateway apply to the open stream (found by review: rights were taken once, at connect).
- `Last-Event-ID` from another replica, an earlier run or a bare number is a `resync`, never a
  silent replay from the wrong buffer (found by review: ids counted from 1 on every replica).
"""

from __future__ import annotations

import asyncio

from cloudlysis_control.live.bus import EventBus
from cloudlysis_control.live.service import Grant, LiveService, Resync, SessionEnded

JOBS = "control.jobs.read"


async def test_a_session_that_ends_ends_the_stream() -> None:
    bus = EventBus()
    live = LiveService(bus, heartbeat_s=60, recheck_s=0.01)
    answers: list[Grant | str] = [Grant(frozenset({JOBS}), {}), "session is revoked"]

    async def recheck() -> Grant | str:
        return answers.pop(0) if len(answers) > 1 else answers[0]

    stream = live.stream(frozenset({JOBS}), None, None, recheck)
    assert isinstance(await anext(stream), Resync)
    bus.publish("job", {"id": "j1"}, JOBS)
    first = await asyncio.wait_for(anext(stream), 2)
    ended = first if isinstance(first, SessionEnded) else await asyncio.wait_for(anext(stream), 2)
    assert ended == SessionEnded("session is revoked")
    try:
        extra = await asyncio.wait_for(anext(stream), 2)
    except StopAsyncIteration:
        extra = None
    assert extra is None, "the stream goes on after session_ended"
    assert bus.subscribers == 0


async def test_rights_changed_at_the_gateway_apply_to_the_open_stream() -> None:
    bus = EventBus()
    live = LiveService(bus, heartbeat_s=60, recheck_s=0.01)
    grant = Grant(frozenset({JOBS}), {})
    checked = asyncio.Event()

    async def recheck() -> Grant | str:
        checked.set()
        return grant

    stream = live.stream(frozenset({JOBS}), None, None, recheck)
    assert isinstance(await anext(stream), Resync)
    bus.publish("job", {"id": "j1", "tenant": "globex"}, JOBS, "globex")
    seen = await asyncio.wait_for(anext(stream), 2)
    assert seen.data["id"] == "j1"  # type: ignore[union-attr]
    # Narrowed to one tenant: the next recheck applies it.
    grant = Grant(frozenset(), {JOBS: frozenset({"acme"})})
    checked.clear()
    next_item = asyncio.ensure_future(anext(stream))
    await asyncio.wait_for(checked.wait(), 2)
    checked.clear()
    await asyncio.wait_for(checked.wait(), 2)  # a whole recheck happened after the change
    bus.publish("job", {"id": "j2"}, JOBS, "globex")
    bus.publish("job", {"id": "j3"}, JOBS, "acme")
    item = await asyncio.wait_for(next_item, 2)
    assert item.data["id"] == "j3"  # type: ignore[union-attr]
    await stream.aclose()


async def test_without_a_recheck_the_stream_only_heartbeats() -> None:
    bus = EventBus()
    live = LiveService(bus, heartbeat_s=0.01, recheck_s=0.01)
    stream = live.stream(frozenset({JOBS}), None)
    assert isinstance(await anext(stream), Resync)
    item = await asyncio.wait_for(anext(stream), 2)
    assert type(item).__name__ == "Heartbeat"
    await stream.aclose()


def test_ids_name_their_bus_and_foreign_ids_mean_resync() -> None:
    bus = EventBus()
    other = EventBus()
    assert bus.epoch != other.epoch
    for _ in range(3):
        bus.publish("job", {}, JOBS)
        other.publish("job", {}, JOBS)
    assert bus.last_event_id == f"{bus.epoch}-3"
    assert [e.id for e in bus.since(f"{bus.epoch}-1") or []] == [2, 3]
    assert bus.since(bus.last_event_id) == []
    assert bus.since(f"{other.epoch}-1") is None  # another replica's id, in range: not replayed
    assert bus.since("1") is None  # a bare number (a client from before epochs)
    assert bus.since(f"{bus.epoch}-9") is None  # ahead of this bus
    assert bus.since(f"{bus.epoch}-x") is None
