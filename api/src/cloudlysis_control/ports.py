"""Small interfaces the domains depend on. Adapters implement them; unit tests may fake them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
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

    async def last_revision(self) -> int:
        """The bucket's newest revision now (0 when nothing was ever written): a watcher that
        has seen it holds everything the bucket held at that moment."""
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

    async def bounds(self) -> tuple[int, int]:
        """(first, last) sequence of the log now: a snapshot a query reads up to. An empty log
        answers (0, 0) or (last + 1, last) once everything was removed."""
        ...

    def read(self, start_seq: int, end_seq: int, batch: int = 1024) -> AsyncIterator[StreamMessage]:
        """Every message with start_seq <= seq <= end_seq, in order, fetched `batch` at a time;
        stops at end_seq (or the end of the log) instead of waiting for new ones."""
        ...

    async def seq_at(self, at: datetime) -> int:
        """The first sequence appended at or after `at` (by the log's own clock); last + 1
        when nothing was appended since."""
        ...
