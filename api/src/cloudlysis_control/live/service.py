"""One principal's stream of live events: what it may see, resumed after `Last-Event-ID`, with
a heartbeat so proxies and clients know the stream is alive.

An open stream is not a pass for life: every `recheck_s` (the rights cache's TTL) it asks again
who the caller is. A token that expired, a session revoked or a user disabled ends the stream
(`session_ended`, then the stream closes; the client's reconnect then gets the 401); rights
changed at the Gateway take effect on the stream as on any request, within the same bound."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass

from cloudlysis_control.live.bus import EventBus, LiveEvent

HEARTBEAT_S = 15.0


@dataclass(frozen=True, slots=True)
class Heartbeat:
    pass


@dataclass(frozen=True, slots=True)
class Resync:
    """The client may have missed events: it should refetch everything it shows."""

    last_id: str


@dataclass(frozen=True, slots=True)
class SessionEnded:
    """The caller's token or session is no longer valid: the stream ends after this."""

    reason: str


@dataclass(frozen=True, slots=True)
class Grant:
    """What the caller may see now: rights platform-wide and per tenant."""

    rights: frozenset[str]
    tenant_rights: Mapping[str, frozenset[str]]


# Asks again who the caller is: their current grant, or why the session has ended (a str).
Recheck = Callable[[], Awaitable[Grant | str]]

StreamItem = LiveEvent | Heartbeat | Resync | SessionEnded


class LiveService:
    def __init__(
        self,
        bus: EventBus,
        heartbeat_s: float = HEARTBEAT_S,
        recheck_s: float = HEARTBEAT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bus = bus
        self.heartbeat_s = heartbeat_s
        self.recheck_s = recheck_s
        self.clock = clock

    async def stream(
        self,
        rights: frozenset[str],
        last_event_id: str | None,
        tenant_rights: Mapping[str, frozenset[str]] | None = None,
        recheck: Recheck | None = None,
    ) -> AsyncIterator[StreamItem]:
        sub = self.bus.subscribe(rights, tenant_rights)
        due = self.clock() + self.recheck_s
        wait_s = min(self.heartbeat_s, self.recheck_s) if recheck else self.heartbeat_s
        try:
            if last_event_id is not None:
                missed = self.bus.since(last_event_id)
                if missed is None:
                    yield Resync(self.bus.last_event_id)
                else:
                    for event in missed:
                        if sub.wants(event):
                            yield event
            else:
                # The first message says where the stream starts.
                yield Resync(self.bus.last_event_id)
            quiet_since = self.clock()
            while True:
                if recheck is not None and self.clock() >= due:
                    grant = await recheck()
                    if isinstance(grant, str):
                        yield SessionEnded(grant)
                        return
                    sub.rights, sub.tenant_rights = grant.rights, dict(grant.tenant_rights)
                    due = self.clock() + self.recheck_s
                try:
                    item: LiveEvent | None = await asyncio.wait_for(sub.queue.get(), wait_s)
                except TimeoutError:
                    if self.clock() - quiet_since >= self.heartbeat_s:
                        quiet_since = self.clock()
                        yield Heartbeat()
                    continue
                quiet_since = self.clock()
                if item is None:  # overflowed: the bus dropped this subscriber
                    yield Resync(self.bus.last_event_id)
                    return
                yield item
        finally:
            self.bus.unsubscribe(sub)
