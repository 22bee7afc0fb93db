"""One principal's stream of live events: what it may see, resumed after `Last-Event-ID`, with
a heartbeat so proxies and clients know the stream is alive."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

from cloudlysis_control.live.bus import EventBus, LiveEvent

HEARTBEAT_S = 15.0


@dataclass(frozen=True, slots=True)
class Heartbeat:
    pass


@dataclass(frozen=True, slots=True)
class Resync:
    """The client may have missed events: it should refetch everything it shows."""

    last_id: int


StreamItem = LiveEvent | Heartbeat | Resync


class LiveService:
    def __init__(self, bus: EventBus, heartbeat_s: float = HEARTBEAT_S) -> None:
        self.bus = bus
        self.heartbeat_s = heartbeat_s

    async def stream(
        self,
        rights: frozenset[str],
        last_event_id: str | None,
        tenant_rights: Mapping[str, frozenset[str]] | None = None,
    ) -> AsyncIterator[StreamItem]:
        sub = self.bus.subscribe(rights, tenant_rights)
        try:
            if last_event_id is not None:
                missed = self.bus.since(int(last_event_id)) if last_event_id.isdigit() else None
                if missed is None:
                    yield Resync(self.bus.last_id)
                else:
                    for event in missed:
                        if sub.wants(event):
                            yield event
            else:
                yield Resync(self.bus.last_id)  # the first message says where the stream starts
            while True:
                try:
                    item: LiveEvent | None = await asyncio.wait_for(
                        sub.queue.get(), self.heartbeat_s
                    )
                except TimeoutError:
                    yield Heartbeat()
                    continue
                if item is None:  # overflowed: the bus dropped this subscriber
                    yield Resync(self.bus.last_id)
                    return
                yield item
        finally:
            self.bus.unsubscribe(sub)
