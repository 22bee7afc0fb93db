"""Audit trail on a JetStream stream: append (fail closed) and query.

Queries are served from an in-memory index that follows the stream, so every replica answers
from the same append-only log; writes are inserted into the index on acknowledgement, so a caller
reads its own writes at once.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import msgspec

from cloudlysis_control.audit.schemas import (
    AuditEvent,
    AuditFilter,
    AuditOutcome,
    AuditPage,
    AuditRow,
)
from cloudlysis_control.core.clock import cancel_and_wait, rfc3339
from cloudlysis_control.core.errors import AuditWriteFailed, StateUnavailable
from cloudlysis_control.core.identity import current_identity
from cloudlysis_control.core.logging import get_logger, redact
from cloudlysis_control.core.metrics import Metrics
from cloudlysis_control.core.pagination import decode_cursor, encode_cursor
from cloudlysis_control.core.staleness import Staleness
from cloudlysis_control.ports import EventLog

_log = get_logger("control.audit")
_decoder = msgspec.json.Decoder(AuditEvent)


class AuditService:
    def __init__(
        self,
        log: EventLog,
        metrics: Metrics,
        max_indexed: int = 200_000,
        staleness: Staleness | None = None,
    ) -> None:
        self.log = log
        self.staleness = staleness or Staleness()
        self.metrics = metrics
        self.max_indexed = max_indexed
        self._seqs: list[int] = []
        self._events: dict[int, AuditEvent] = {}
        self._follower: asyncio.Task[None] | None = None
        self._listeners: list[Callable[[AuditEvent], None]] = []
        self.caught_up = asyncio.Event()

    async def record(
        self,
        *,
        actor: str,
        action: str,
        target: str,
        outcome: AuditOutcome,
        tenant_id: str | None = None,
        reason: str | None = None,
        job_id: str | None = None,
        detail: dict[str, Any] | None = None,
        event_id: str | None = None,
    ) -> AuditEvent:
        """Append one event. Raises AuditWriteFailed if it cannot be made durable."""
        ident = current_identity.get()
        event = AuditEvent(
            id=event_id or f"a_{uuid.uuid4().hex}",
            at=rfc3339(),
            actor=actor,
            action=action,
            target=target,
            tenant_id=tenant_id,
            reason=reason,
            outcome=outcome,
            request_id=ident.request_id if ident else None,
            correlation_id=ident.correlation_id if ident else None,
            trace_id=ident.trace_id if ident else None,
            job_id=job_id,
            detail=redact(detail) if detail else None,
        )
        try:
            seq = await self.log.append(msgspec.json.encode(event), msg_id=event.id)
        except StateUnavailable as e:
            _log.error("audit write failed", action=action, error=e.detail)
            raise AuditWriteFailed() from e
        self._index(seq, event)
        self.metrics.audit_events.labels(outcome).inc()
        return event

    def on_event(self, listener: Callable[[AuditEvent], None]) -> None:
        """Called once for every event this replica indexes (its own writes and the stream's)."""
        self._listeners.append(listener)

    def _index(self, seq: int, event: AuditEvent) -> None:
        if seq in self._events:
            return
        self._events[seq] = event
        for listener in self._listeners:
            listener(event)
        if not self._seqs or seq > self._seqs[-1]:
            self._seqs.append(seq)
        else:
            bisect.insort(self._seqs, seq)
        if len(self._seqs) > self.max_indexed:
            oldest = self._seqs.pop(0)
            self._events.pop(oldest, None)

    async def start(self) -> None:
        self._follower = asyncio.create_task(self._follow(), name="audit-follower")

    async def _follow(self) -> None:
        async for msg in self.log.follow(1):
            try:
                self._index(msg.seq, _decoder.decode(msg.data))
            except msgspec.DecodeError:
                _log.warning("undecodable audit event skipped", seq=msg.seq)

    async def stop(self) -> None:
        if self._follower is not None and await cancel_and_wait([self._follower]):
            _log.error("audit follower did not stop in time")

    def _newest_first(self, before_seq: int | None) -> Iterator[tuple[int, AuditEvent]]:
        end = len(self._seqs) if before_seq is None else bisect.bisect_left(self._seqs, before_seq)
        for i in range(end - 1, -1, -1):
            seq = self._seqs[i]
            event = self._events.get(seq)
            if event is not None:
                yield seq, event

    def query(
        self,
        flt: AuditFilter,
        cursor: str | None,
        limit: int,
        *,
        collapse_denials: bool = False,
        count: bool = False,
    ) -> AuditPage:
        """A page of matching events, newest first. `collapse_denials`: a run of denials of one
        right to one principal is one row with `repeat`; `count`: the page says how many
        events match in all (up to COUNT_CAP)."""
        raw = decode_cursor(cursor)
        before = int(raw) if raw is not None and raw.isdigit() else None
        rows: list[tuple[int, AuditRow]] = []
        for seq, event in self._newest_first(before):
            if not flt.matches(event):
                continue
            last = rows[-1][1] if rows else None
            if collapse_denials and last is not None and _same_denial(last, event):
                last.repeat += 1
                last.first_at = event.at
                rows[-1] = (seq, last)  # the cursor continues after the oldest one collapsed
                continue
            if len(rows) == limit:
                rows.append((seq, _row(event)))
                break
            rows.append((seq, _row(event)))
        more = len(rows) > limit
        rows = rows[:limit]
        total, capped = self._count(flt) if count else (0, False)
        return AuditPage(
            items=[r for _, r in rows],
            next_cursor=encode_cursor(str(rows[-1][0])) if more else None,
            total=total,
            total_capped=capped,
            stale=self.staleness.stale,
            stale_for_s=self.staleness.stale_for_s(),
        )

    def _count(self, flt: AuditFilter) -> tuple[int, bool]:
        n = 0
        for _, event in self._newest_first(None):
            if flt.matches(event):
                n += 1
                if n >= COUNT_CAP:
                    return n, True
        return n, False

    def recent(self, flt: AuditFilter, limit: int) -> list[AuditEvent]:
        """The newest `limit` matching events."""
        return list(itertools.islice(self.iter_matching(flt), limit))

    def iter_matching(self, flt: AuditFilter) -> Iterator[AuditEvent]:
        for _, event in self._newest_first(None):
            if flt.matches(event):
                yield event


COUNT_CAP = 10_000


def _row(event: AuditEvent) -> AuditRow:
    return AuditRow(**msgspec.structs.asdict(event))


def _same_denial(row: AuditRow, event: AuditEvent) -> bool:
    if row.action != "authz.deny" or event.action != "authz.deny" or row.actor != event.actor:
        return False
    right = (row.detail or {}).get("missing_right")
    return right is not None and right == (event.detail or {}).get("missing_right")
