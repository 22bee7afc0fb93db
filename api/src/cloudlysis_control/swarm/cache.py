"""The Swarm kept in memory, current from the engine's event stream.

Services and nodes have Swarm events; tasks have none. So:
- a service event (create/update) re-reads that service and its tasks at once; `remove` drops it;
- a node event re-reads the nodes;
- the tasks are re-read every `tasks_interval_s`;
- everything is re-read every `resync_interval_s`, and as soon as the event stream comes back
  after an outage (what happened meanwhile is repaired there, whatever the engine kept).

`stale` is true while the event stream is down, or when no read of the engine has succeeded for
`stale_after_s`. Until the first full read has succeeded `ready` is unset and readers ask the
engine themselves (so nothing answers empty by mistake, and an unreachable engine is still 503).

Reads race: a full list that started before a service event's read can land after it. Every key
(a service id for services and for their tasks, `nodes` for the nodes) remembers when the read
that last set it started, and an older read never overwrites a newer one. The cached dicts are
the engine's own JSON, replaced and never changed in place, so a snapshot (lists of them) stays
consistent; readers must not mutate it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from cloudlysis_control.core.clock import cancel_and_wait
from cloudlysis_control.core.errors import ControlError, NotFound
from cloudlysis_control.core.logging import get_logger
from cloudlysis_control.core.staleness import Staleness
from cloudlysis_control.swarm.ports import Raw, SwarmEngine

_log = get_logger("control.swarm.cache")
_NODES = "nodes"
_TOMBSTONE_S = 600.0  # how long a removed service's read time is kept (longer than any read)
_READ_CONCURRENCY = 8


@dataclass(frozen=True)
class SwarmSnapshot:
    services: list[Raw]
    tasks: list[Raw]
    nodes: list[Raw]
    observed_at: float  # epoch seconds: now while following, else the last full read
    stale: bool
    generation: int  # changes whenever the content does


class _Keyed:
    """Values by key, each with the start time of the read that set it."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.read_at: dict[str, float] = {}

    def put(self, key: str, value: Any, started: float) -> bool:
        """Set (or drop, `value is None`) unless a newer read set it; True when it changed."""
        if self.read_at.get(key, float("-inf")) > started:
            return False
        self.read_at[key] = started
        if value is None:
            return self.values.pop(key, None) is not None
        changed = bool(self.values.get(key) != value)
        self.values[key] = value
        return changed

    def replace_all(self, new: dict[str, Any], started: float) -> bool:
        """A full list: every key it has is set, every key it lacks is dropped (each unless a
        newer read set it)."""
        changed = False
        for key in set(self.values) | set(new):
            changed |= self.put(key, new.get(key), started)
        expired = started - _TOMBSTONE_S
        for key in [k for k, at in self.read_at.items() if k not in self.values and at < expired]:
            del self.read_at[key]
        return changed


class SwarmCache:
    def __init__(
        self,
        engine: SwarmEngine,
        *,
        tasks_interval_s: float = 2.0,
        resync_interval_s: float = 30.0,
        stale_after_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.tasks_interval_s = tasks_interval_s
        self.resync_interval_s = resync_interval_s
        self.stale_after_s = stale_after_s
        self.reconnect_delay_s = 0.5
        self.clock = clock
        self.wall = wall
        self._services = _Keyed()  # id → service
        self._tasks = _Keyed()  # service id → its tasks
        self._nodes = _Keyed()  # "nodes" → every node
        self._stream = Staleness(clock)
        self._stream.set_live(False)  # not following until the stream says it is connected
        self._followed = False  # the stream has been connected once (its return is a reconnect)
        self._last_ok: float | None = None  # clock() of the last read that succeeded
        self._synced_wall = 0.0  # wall() of the last full read that succeeded
        self._dirty: set[str] = set()
        self._nodes_dirty = False
        self._wake = asyncio.Event()
        self._resync_now = asyncio.Event()
        self._limit = asyncio.Semaphore(_READ_CONCURRENCY)
        self._snapshot: SwarmSnapshot | None = None
        self._running: list[asyncio.Task[None]] = []
        self.generation = 0
        self.full_reads = 0  # full reads that succeeded
        self.ready = asyncio.Event()  # set after the first full read

    # -- what readers see -------------------------------------------------------------------------

    @property
    def stale(self) -> bool:
        if self._stream.stale or self._last_ok is None:
            return True
        return self.clock() - self._last_ok > self.stale_after_s

    def snapshot(self) -> SwarmSnapshot:
        stale = self.stale
        observed_at = self._synced_wall if stale else self.wall()
        cached = self._snapshot
        if cached is None or cached.generation != self.generation:
            cached = SwarmSnapshot(
                services=list(self._services.values.values()),
                tasks=[t for group in self._tasks.values.values() for t in group],
                nodes=list(self._nodes.values.get(_NODES) or []),
                observed_at=observed_at,
                stale=stale,
                generation=self.generation,
            )
            self._snapshot = cached
        return SwarmSnapshot(
            cached.services, cached.tasks, cached.nodes, observed_at, stale, cached.generation
        )

    def find(self, name_or_id: str) -> Raw | None:
        """A cached service by id or name."""
        found = self._services.values.get(name_or_id)
        if found is not None:
            return found  # type: ignore[no-any-return]
        for s in self._services.values.values():
            if (s.get("Spec") or {}).get("Name") == name_or_id:
                return s  # type: ignore[no-any-return]
        return None

    def tasks_of(self, service_id: str) -> list[Raw]:
        return list(self._tasks.values.get(service_id) or [])

    # -- applying reads ---------------------------------------------------------------------------

    def _changed(self, changed: bool) -> None:
        if changed:
            self.generation += 1
        self._last_ok = self.clock()

    async def resync(self) -> None:
        """Read services, tasks and nodes in full (raises ControlError when the engine fails)."""
        started = self.clock()
        services, tasks, nodes = await asyncio.gather(
            self.engine.services(), self.engine.tasks(), self.engine.nodes()
        )
        changed = self._services.replace_all({str(s.get("ID")): s for s in services}, started)
        changed |= self._tasks.replace_all(_by_service(tasks), started)
        changed |= self._nodes.put(_NODES, nodes, started)
        self._changed(changed)
        self._synced_wall = self.wall()
        self.full_reads += 1
        self.ready.set()

    async def refresh_tasks(self) -> None:
        started = self.clock()
        tasks = await self.engine.tasks()
        self._changed(self._tasks.replace_all(_by_service(tasks), started))

    async def refresh_service(self, service_id: str) -> None:
        started = self.clock()
        service, tasks = await asyncio.gather(
            self.engine.service(service_id), self.engine.tasks(service_id), return_exceptions=True
        )
        if isinstance(service, NotFound):
            self._drop(service_id, started)
            return
        if isinstance(service, BaseException):
            raise service
        if isinstance(tasks, NotFound):
            tasks = []
        elif isinstance(tasks, BaseException):
            raise tasks
        # an event names the service by id; a read by id answers that same id
        sid = str(service.get("ID") or service_id)
        changed = self._services.put(sid, service, started)
        changed |= self._tasks.put(sid, tasks or None, started)
        self._changed(changed)

    async def refresh_nodes(self) -> None:
        started = self.clock()
        nodes = await self.engine.nodes()
        self._changed(self._nodes.put(_NODES, nodes, started))

    def _drop(self, service_id: str, started: float) -> None:
        changed = self._services.put(service_id, None, started)
        changed |= self._tasks.put(service_id, None, started)
        if changed:
            self.generation += 1

    def on_event(self, event: Raw) -> None:
        """A service or node event: what to read again (done by the reader task)."""
        kind, action = event.get("Type"), event.get("Action")
        actor = str((event.get("Actor") or {}).get("ID") or "")
        if kind == "service" and actor:
            if action == "remove":
                self._drop(actor, self.clock())
                self._dirty.discard(actor)
            else:
                self._dirty.add(actor)
        elif kind == "node":
            self._nodes_dirty = True
        else:
            return
        self._wake.set()

    def _on_stream(self, live: bool) -> None:
        was_lost = self._stream.stale and self._followed
        self._stream.set_live(live)
        self._followed |= live
        if live and was_lost and self.ready.is_set():
            self._resync_now.set()  # the stream was lost: read everything once it is back

    # -- running ----------------------------------------------------------------------------------

    async def start(self) -> None:
        loops: list[tuple[str, Callable[[], Coroutine[Any, Any, None]]]] = [
            ("swarm-cache-events", self._follow),
            ("swarm-cache-reads", self._read_dirty),
            ("swarm-cache-resync", self._resync_every),
            ("swarm-cache-tasks", self._tasks_every),
        ]
        for name, loop in loops:
            self._running.append(asyncio.create_task(loop(), name=name))

    async def stop(self) -> None:
        if self._running:
            await cancel_and_wait(self._running)
            self._running = []

    async def _follow(self) -> None:
        since = self.wall() - 1  # the first full read starts after this: nothing falls between
        while True:
            try:
                async for event in self.engine.events(
                    since, ("service", "node"), on_stream=self._on_stream
                ):
                    nano = event.get("timeNano")
                    if isinstance(nano, int):
                        since = nano / 1e9
                    self.on_event(event)
            except ControlError as e:
                _log.warning("swarm event stream failed", error=e.detail)
            except Exception as e:  # a bad event must not end the following
                _log.error("swarm event stream broke", error=f"{type(e).__name__}: {e}")
            self._on_stream(False)
            await asyncio.sleep(self.reconnect_delay_s)

    async def _read_dirty(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            dirty, self._dirty = self._dirty, set()
            reads = [self._limited(self.refresh_service(sid)) for sid in dirty]
            if self._nodes_dirty:
                self._nodes_dirty = False
                reads.append(self._limited(self.refresh_nodes()))
            for outcome in await asyncio.gather(*reads, return_exceptions=True):
                if isinstance(outcome, ControlError):
                    # the next tasks read or full read repairs it
                    _log.warning("swarm cache read after an event failed", error=outcome.detail)
                elif isinstance(outcome, Exception):
                    _log.error("swarm cache read broke", error=f"{type(outcome).__name__}")

    async def _limited(self, read: Coroutine[Any, Any, None]) -> None:
        async with self._limit:
            await read

    async def _resync_every(self) -> None:
        delay = self.reconnect_delay_s
        while True:
            try:
                await self.resync()
                delay = self.reconnect_delay_s
                wait = self.resync_interval_s
            except ControlError as e:
                _log.warning("swarm cache full read failed", error=e.detail)
                wait = min(delay, self.resync_interval_s)
                delay = min(delay * 2, self.resync_interval_s)
            try:
                async with asyncio.timeout(wait):
                    await self._resync_now.wait()
            except TimeoutError:
                pass
            self._resync_now.clear()

    async def _tasks_every(self) -> None:
        while True:
            await asyncio.sleep(self.tasks_interval_s)
            if not self.ready.is_set():
                continue  # the full read (retrying) brings the tasks
            try:
                await self.refresh_tasks()
            except ControlError as e:
                _log.warning("swarm cache tasks read failed", error=e.detail)


def _by_service(tasks: list[Raw]) -> dict[str, list[Raw]]:
    groups: dict[str, list[Raw]] = {}
    for t in tasks:
        groups.setdefault(str(t.get("ServiceID") or ""), []).append(t)
    return groups
