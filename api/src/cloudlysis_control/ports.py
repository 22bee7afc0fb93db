"""Small interfaces the domains depend on. Adapters implement them; unit tests may fake them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol


class KeyExists(Exception):
    """create() found the key already present."""


class RevisionMismatch(Exception):
    """update() was given a revision that is no longer the key's latest (lost a CAS race)."""


@dataclass(frozen=True, slots=True)
class KVEntry:
    key: str
    value: bytes | None  # None for a deleted key (watch only)
    revision: int


class KeyValue(Protocol):
    async def get(self, key: str) -> KVEntry | None: ...
    async def create(self, key: str, value: bytes) -> int: ...
    async def update(self, key: str, value: bytes, revision: int) -> int: ...
    async def put(self, key: str, value: bytes) -> int: ...
    async def delete(self, key: str, revision: int | None = None) -> None: ...
    async def keys(self) -> list[str]: ...
    def watch_all(self) -> AsyncIterator[KVEntry]:
        """Current values first, then every change in revision order; survives reconnects and
        failovers by resuming at the last revision seen + 1 (nothing missed or repeated)."""
        ...


@dataclass(frozen=True, slots=True)
class StreamMessage:
    seq: int
    data: bytes


class EventLog(Protocol):
    async def append(self, data: bytes, msg_id: str) -> int:
        """Append durably (acknowledged by the server); returns the sequence. Dedups by msg_id."""
        ...

    def follow(self, from_seq: int) -> AsyncIterator[StreamMessage]:
        """Every message with seq >= from_seq, then new ones as they arrive; survives reconnects
        and failovers by resuming at the last sequence delivered + 1."""
        ...
