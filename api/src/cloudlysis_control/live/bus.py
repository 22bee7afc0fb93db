"""Live updates: one in-process bus every change of interest is published to, and that each
connected console subscribes to (GET /admin/v1/events, server-sent events).

Every replica feeds its own bus from the shared JetStream streams and KV watches (jobs, audit,
deployments, placement) and its fleet snapshots, so a client connected to any replica sees every
change. Event ids count per bus and name it (`<epoch>-<n>`, the epoch random per process): a
reconnect with `Last-Event-ID` to the same replica resumes from its recent-events buffer; to
another replica or a restarted one (another epoch), with a bare number (a client from before
epochs), or after more events than the buffer holds, the client is told to `resync` (refetch
what it shows) — nothing is ever silently missed.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class LiveEvent:
    id: int
    topic: str  # job | audit | deployment | placement | fleet
    data: dict[str, Any]
    right: str  # who may see it
    tenant_id: str | None = None


@dataclass(eq=False)
class Subscription:
    rights: frozenset[str]  # platform-wide
    # Rights held on some tenants only (right → tenants): an event of one of those tenants is
    # seen; an event of another tenant, or of none, is not.
    tenant_rights: Mapping[str, frozenset[str]] = field(default_factory=dict)
    queue: asyncio.Queue[LiveEvent | None] = field(
        default_factory=lambda: asyncio.Queue(maxsize=1000)
    )
    overflowed: bool = False

    def wants(self, event: LiveEvent) -> bool:
        if event.right in self.rights:
            return True
        return event.tenant_id is not None and event.tenant_id in self.tenant_rights.get(
            event.right, ()
        )


# What a `Last-Event-ID` may be: this module's ids, or a bare number (older clients).
EVENT_ID_PATTERN = r"^([0-9a-z]{1,16}-)?[0-9]{1,18}$"


class EventBus:
    def __init__(self, buffer: int = 2000, epoch: str | None = None) -> None:
        # Random per process: an id from another replica or an earlier run never matches.
        self.epoch = epoch or secrets.token_hex(4)
        self._ids = itertools.count(1)
        self._recent: collections.deque[LiveEvent] = collections.deque(maxlen=buffer)
        self._subscribers: set[Subscription] = set()
        self.published = 0

    @property
    def last_id(self) -> int:
        return self._recent[-1].id if self._recent else 0

    def event_id(self, seq: int) -> str:
        """The id a client sees (and sends back as `Last-Event-ID`)."""
        return f"{self.epoch}-{seq}"

    @property
    def last_event_id(self) -> str:
        return self.event_id(self.last_id)

    def publish(
        self, topic: str, data: dict[str, Any], right: str, tenant_id: str | None = None
    ) -> LiveEvent:
        event = LiveEvent(next(self._ids), topic, data, right, tenant_id)
        self._recent.append(event)
        self.published += 1
        for sub in list(self._subscribers):
            if not sub.wants(event):
                continue
            try:
                sub.queue.put_nowait(event)
            except asyncio.QueueFull:
                # A client that cannot keep up is told to resync rather than fed stale events.
                sub.overflowed = True
                self._subscribers.discard(sub)
                sub.queue.get_nowait()
                sub.queue.put_nowait(None)
        return event

    def subscribe(
        self, rights: Iterable[str], tenant_rights: Mapping[str, frozenset[str]] | None = None
    ) -> Subscription:
        sub = Subscription(frozenset(rights), dict(tenant_rights or {}))
        self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subscribers.discard(sub)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def since(self, last_event_id: str) -> list[LiveEvent] | None:
        """The buffered events after `last_event_id`, or None when some of them are gone (or
        the id is not this bus's: another epoch, or none): the client must resync."""
        epoch, sep, seq = last_event_id.rpartition("-")
        if not sep or epoch != self.epoch or not seq.isdigit():
            return None
        last_id = int(seq)
        if last_id == self.last_id:
            return []
        if not self._recent or last_id < self._recent[0].id - 1 or last_id > self.last_id:
            return None
        return [e for e in self._recent if e.id > last_id]
