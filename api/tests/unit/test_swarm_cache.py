"""SwarmCache and SwarmView over an in-memory engine: events keep services and nodes current, a
remove drops a service, the tasks interval and the full resync repair what no event said, a lost
event stream makes the answers `stale` until it is back, and before the first full read the view
asks the engine (503 when there is none)."""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from cloudlysis_control.core.errors import NotFound, SwarmUnavailable
from cloudlysis_control.swarm.cache import SwarmCache
from cloudlysis_control.swarm.ports import Raw, StreamState
from cloudlysis_control.swarm.service import SwarmView
from tests.support.wait import eventually


def _service(sid: str, name: str, replicas: int = 1, image: str = "app:v1") -> Raw:
    return {
        "ID": sid,
        "Version": {"Index": 1},
        "Spec": {
            "Name": name,
            "Labels": {},
            "Mode": {"Replicated": {"Replicas": replicas}},
            "TaskTemplate": {"ContainerSpec": {"Image": image}},
        },
    }


def _task(tid: str, sid: str, state: str = "running", node: str = "n1") -> Raw:
    return {
        "ID": tid,
        "ServiceID": sid,
        "NodeID": node,
        "DesiredState": "running",
        "Status": {"State": state},
    }


def _node(nid: str, hostname: str) -> Raw:
    return {"ID": nid, "Description": {"Hostname": hostname}, "Spec": {"Role": "manager"}}


class MemoryEngine:
    """The SwarmEngine port in memory. Changing `service_docs`, `task_docs` or `node_docs` is a
    change no event announces; `emit` announces one; `break_stream`/`restore_stream` take the
    event stream down and bring it back (as DockerEngine reconnecting would); `down` makes every
    read fail as an unreachable engine does."""

    source = "engine"

    def __init__(self) -> None:
        self.service_docs: dict[str, Raw] = {}
        self.task_docs: list[Raw] = []
        self.node_docs: list[Raw] = [_node("n1", "host-1")]
        self.calls: list[str] = []
        self.down = False
        self.hold_services: asyncio.Event | None = None  # a full list waits for this
        self._events: asyncio.Queue[Raw | str] = asyncio.Queue()
        self._stream_up = asyncio.Event()
        self._stream_up.set()
        self.types: tuple[str, ...] = ()

    def _read(self, what: str) -> None:
        if self.down:
            raise SwarmUnavailable("the Docker engine is unreachable (test)")
        self.calls.append(what)

    async def ping(self) -> None:
        self._read("ping")

    async def services(self) -> list[Raw]:
        self._read("services")
        answer = copy.deepcopy(list(self.service_docs.values()))
        if self.hold_services is not None:
            await self.hold_services.wait()  # the answer is as old as the call
        return answer

    async def service(self, name_or_id: str) -> Raw:
        self._read(f"service {name_or_id}")
        for s in self.service_docs.values():
            if name_or_id in (s["ID"], s["Spec"]["Name"]):
                return copy.deepcopy(s)
        raise NotFound(f"no such service: {name_or_id}")

    async def tasks(self, service: str | None = None) -> list[Raw]:
        self._read(f"tasks {service}" if service else "tasks")
        return copy.deepcopy([t for t in self.task_docs if service in (None, t["ServiceID"])])

    async def nodes(self) -> list[Raw]:
        self._read("nodes")
        return copy.deepcopy(self.node_docs)

    async def image_exists(self, reference: str) -> bool | None:
        return True

    async def update(self, service_id: str, version: int, spec: Raw) -> None:
        raise NotImplementedError

    async def rollback(self, service_id: str, version: int) -> None:
        raise NotImplementedError

    def emit(self, kind: str, action: str, actor: str) -> None:
        now = time.time_ns()
        self._events.put_nowait(
            {"Type": kind, "Action": action, "Actor": {"ID": actor}, "timeNano": now}
        )

    def break_stream(self) -> None:
        self._stream_up.clear()
        self._events.put_nowait("break")

    def restore_stream(self) -> None:
        self._stream_up.set()

    async def events(
        self,
        since: float | None,
        types: tuple[str, ...] = ("service",),
        on_stream: StreamState | None = None,
    ) -> AsyncIterator[Raw]:
        self.types = types
        notify = on_stream or (lambda live: None)
        notify(True)
        while True:
            item = await self._events.get()
            if item == "break":
                notify(False)
                await self._stream_up.wait()
                notify(True)
                continue
            assert isinstance(item, dict)
            if item["Type"] in types:
                yield item

    async def close(self) -> None:
        return None


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def engine() -> MemoryEngine:
    e = MemoryEngine()
    e.service_docs["s1"] = _service("s1", "platform_gateway")
    e.task_docs.append(_task("t1", "s1"))
    return e


@pytest.fixture
async def started(engine: MemoryEngine) -> AsyncIterator[tuple[SwarmCache, SwarmView]]:
    # long intervals: what a test sees came from an event, unless it says otherwise
    cache = SwarmCache(engine, tasks_interval_s=3600, resync_interval_s=3600)
    cache.reconnect_delay_s = 0.01
    await cache.start()
    try:
        await asyncio.wait_for(cache.ready.wait(), 5)
        yield cache, SwarmView(engine, cache)
    finally:
        await cache.stop()


def _replicas(view_items: list[Any]) -> dict[str, int | None]:
    return {s.service: s.replicas_desired for s in view_items}


async def test_before_the_first_full_read_the_view_asks_the_engine(engine: MemoryEngine) -> None:
    cache = SwarmCache(engine)  # never started: never ready
    view = SwarmView(engine, cache)
    listed = await view.list_services()
    assert [s.service for s in listed.items] == ["platform_gateway"]
    assert listed.items[0].replicas_running == 1 and listed.stale is False
    assert {"services", "tasks", "nodes"} <= set(engine.calls)
    observed = await view.observe()
    assert [s["ID"] for s in observed.services] == ["s1"] and not observed.stale


async def test_an_unreachable_engine_with_nothing_cached_is_503(engine: MemoryEngine) -> None:
    engine.down = True
    cache = SwarmCache(engine, tasks_interval_s=3600, resync_interval_s=3600)
    await cache.start()
    try:
        view = SwarmView(engine, cache)
        with pytest.raises(SwarmUnavailable):
            await view.list_services()
        with pytest.raises(SwarmUnavailable):
            await view.observe()
        assert not cache.ready.is_set()
    finally:
        await cache.stop()


async def test_once_synced_reads_come_from_memory(
    engine: MemoryEngine, started: tuple[SwarmCache, SwarmView]
) -> None:
    _, view = started
    assert engine.types == ("service", "node")
    engine.calls.clear()
    listed = await view.list_services()
    nodes = await view.list_nodes()
    one = await view.get_service("platform_gateway")
    observed = await view.observe()
    assert engine.calls == []
    assert [s.service for s in listed.items] == ["platform_gateway"] and not listed.stale
    assert [n.hostname for n in nodes.items] == ["host-1"] and not nodes.stale
    assert one.replicas_running == 1 and one.tasks[0].node == "host-1"
    assert [t["ID"] for t in observed.tasks] == ["t1"] and observed.stale is False


async def test_service_events_update_add_and_remove_services(
    engine: MemoryEngine, started: tuple[SwarmCache, SwarmView]
) -> None:
    _, view = started
    engine.service_docs["s1"]["Spec"]["Mode"]["Replicated"]["Replicas"] = 3
    engine.task_docs.append(_task("t2", "s1", state="starting"))
    engine.emit("service", "update", "s1")
    engine.service_docs["s2"] = _service("s2", "platform_runner")
    engine.emit("service", "create", "s2")

    async def both() -> dict[str, int | None] | None:
        got = _replicas((await view.list_services()).items)
        return got if got == {"platform_gateway": 3, "platform_runner": 1} else None

    await eventually(both, 5, "the update and the create")
    gateway = await view.get_service("platform_gateway")
    assert sorted(t.id for t in gateway.tasks) == ["t1", "t2"]  # its tasks were read at once

    del engine.service_docs["s2"]
    engine.emit("service", "remove", "s2")

    async def removed() -> bool:
        return [s.service for s in (await view.list_services()).items] == ["platform_gateway"]

    await eventually(removed, 5, "the remove")
    engine.calls.clear()
    with pytest.raises(NotFound):  # not cached: the engine is asked, and it does not know it
        await view.get_service("platform_runner")
    assert engine.calls == ["service platform_runner"]


async def test_node_events_read_the_nodes_again(
    engine: MemoryEngine, started: tuple[SwarmCache, SwarmView]
) -> None:
    _, view = started
    engine.node_docs.append(_node("n2", "host-2"))
    engine.emit("node", "create", "n2")

    async def two() -> bool:
        return [n.hostname for n in (await view.list_nodes()).items] == ["host-1", "host-2"]

    await eventually(two, 5, "the new node")


async def test_tasks_are_read_again_on_their_interval(engine: MemoryEngine) -> None:
    cache = SwarmCache(engine, tasks_interval_s=0.05, resync_interval_s=3600)
    await cache.start()
    try:
        await asyncio.wait_for(cache.ready.wait(), 5)
        view = SwarmView(engine, cache)
        engine.task_docs[0]["Status"]["State"] = "failed"  # no event says so

        async def not_running() -> bool:
            return (await view.list_services()).items[0].replicas_running == 0

        await eventually(not_running, 5, "the task state change")
        # the services were not listed again for it
        assert engine.calls.count("services") == 1
    finally:
        await cache.stop()


async def test_the_full_resync_repairs_a_missed_event(engine: MemoryEngine) -> None:
    cache = SwarmCache(engine, tasks_interval_s=3600, resync_interval_s=0.1)
    await cache.start()
    try:
        await asyncio.wait_for(cache.ready.wait(), 5)
        view = SwarmView(engine, cache)
        engine.service_docs["s1"]["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"] = "app:v2"
        engine.service_docs["s9"] = _service("s9", "orphan")  # created, its event lost

        async def repaired() -> bool:
            items = {s.service: s.image_tag for s in (await view.list_services()).items}
            return items == {"platform_gateway": "v2", "orphan": "v1"}

        await eventually(repaired, 5, "the resync")
    finally:
        await cache.stop()


async def test_a_lost_stream_makes_answers_stale_and_its_return_resyncs(
    engine: MemoryEngine, started: tuple[SwarmCache, SwarmView]
) -> None:
    _, view = started
    engine.break_stream()

    async def stale() -> bool:
        listed, nodes, observed = (
            await view.list_services(),
            await view.list_nodes(),
            await view.observe(),
        )
        return listed.stale and nodes.stale and observed.stale

    await eventually(stale, 5, "stale while the stream is down")
    engine.service_docs["s1"]["Spec"]["Mode"]["Replicated"]["Replicas"] = 5  # its event is lost
    engine.restore_stream()

    async def fresh_and_repaired() -> bool:
        listed = await view.list_services()
        return not listed.stale and _replicas(listed.items) == {"platform_gateway": 5}

    await eventually(fresh_and_repaired, 5, "fresh and repaired after the stream is back")


async def test_no_successful_read_for_too_long_is_stale(engine: MemoryEngine) -> None:
    clock = Clock()
    cache = SwarmCache(engine, tasks_interval_s=3600, resync_interval_s=3600, stale_after_s=60)
    cache.clock = clock
    await cache.start()
    try:
        await asyncio.wait_for(cache.ready.wait(), 5)
        await eventually(lambda: _true(not cache.stale), 5, "fresh after the first read")
        engine.down = True
        clock.now += 61
        assert cache.stale
        view = SwarmView(engine, cache)
        listed = await view.list_services()  # still answers, from memory, marked stale
        assert listed.stale and [s.service for s in listed.items] == ["platform_gateway"]
        engine.down = False
        await cache.refresh_tasks()
        assert not cache.stale
    finally:
        await cache.stop()


async def test_an_older_full_read_never_overwrites_a_newer_event_read(
    engine: MemoryEngine,
) -> None:
    cache = SwarmCache(engine)
    await cache.resync()
    engine.hold_services = asyncio.Event()
    slow = asyncio.create_task(cache.resync())  # lists services now, answers later
    await eventually(lambda: _true(engine.calls.count("services") == 2), 5, "the slow list")
    engine.service_docs["s1"]["Spec"]["Mode"]["Replicated"]["Replicas"] = 7
    await cache.refresh_service("s1")  # the event's read, newer than the slow list
    engine.hold_services.set()
    await slow
    services = cache.snapshot().services
    assert [s["Spec"]["Mode"]["Replicated"]["Replicas"] for s in services] == [7]


async def _true(value: bool) -> bool:
    return value
