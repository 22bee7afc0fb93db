"""Audit trail on a JetStream stream: append (fail closed) and query.

Every query reads the stream itself, so every replica answers the same for any time range: a
query takes a snapshot of the stream's last sequence when it starts, turns its time bounds into
a sequence range (by the stream's clock, widened by CLOCK_SKEW so an event's own `at` decides),
and walks that range newest first. The newest events are also kept in memory, a cache that
follows the stream: the part of the walk the cache covers is read from it, the rest from the
stream in windows, and the answer is the same either way (same filters, order and cursors).
Writes are inserted into the cache on acknowledgement.
"""

from __future__ import annotations

import asyncio
import bisect
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import msgspec

from cloudlysis_control.audit.schemas import (
    AuditEvent,
    AuditFilter,
    AuditOutcome,
    AuditPage,
    AuditRow,
)
from cloudlysis_control.core.clock import cancel_and_wait, parse_rfc3339, rfc3339
from cloudlysis_control.core.errors import AuditWriteFailed, StateUnavailable
from cloudlysis_control.core.identity import current_identity
from cloudlysis_control.core.logging import get_logger, redact
from cloudlysis_control.core.metrics import Metrics
from cloudlysis_control.core.pagination import decode_cursor, encode_cursor
from cloudlysis_control.core.staleness import Staleness
from cloudlysis_control.ports import EventLog

_log = get_logger("control.audit")
_decoder = msgspec.json.Decoder(AuditEvent)

# How far an event's own time (`at`, the writing replica's clock) may be from the stream's time
# of the same message: a time bound is widened by this much before it becomes a sequence.
CLOCK_SKEW = timedelta(seconds=60)
# A page examines at most this many events; a page that stops there has fewer rows than asked
# and a cursor to continue (a search for something rare never walks the whole log at once).
SCAN_BUDGET = 100_000
COUNT_CAP = 10_000
# Windows read from the stream, newest first: small for a page, growing for a long walk.
WINDOW_MIN = 256
WINDOW_MAX = 4096


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
        self.max_indexed = max_indexed  # the cache's size (CONTROL_AUDIT_CACHE_EVENTS)
        self._seqs: list[int] = []
        self._events: dict[int, AuditEvent] = {}
        # The sequences the cache stands for: every event of the stream in [lo, hi] that
        # decodes is in it (the follower delivered them in order, eviction only moves lo up).
        self._cover_lo = 1
        self._cover_hi = 0
        self._own: set[int] = set()  # this replica's writes the follower has not reached yet
        self._follower: asyncio.Task[None] | None = None
        self._listeners: list[Callable[[AuditEvent], None]] = []
        self.caught_up = asyncio.Event()  # followed up to the stream's end at start-up

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
        self._own.add(seq)
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
        if len(self._seqs) > self.max_indexed + self.max_indexed // 16:
            self._evict(len(self._seqs) - self.max_indexed)

    def _evict(self, n: int) -> None:
        """Drop the `n` oldest (in batches: one list move per many inserts)."""
        dropped = self._seqs[:n]
        del self._seqs[:n]
        for seq in dropped:
            self._events.pop(seq, None)
        self._cover_lo = max(self._cover_lo, dropped[-1] + 1)

    async def start(self) -> None:
        self._follower = asyncio.create_task(self._follow(), name="audit-follower")

    async def _follow(self) -> None:
        start, last = 1, 0
        try:
            first, last = await self.log.bounds()
            # Only the newest events need to be in memory: begin where the cache will end.
            start = max(1, first, last - self.max_indexed + 1)
        except StateUnavailable as e:
            _log.warning("audit stream bounds unknown; following from the start", error=e.detail)
        self._cover_lo = max(self._cover_lo, start)
        self._cover_hi = max(self._cover_hi, start - 1)
        if self._cover_hi >= last:
            self.caught_up.set()
        async for msg in self.log.follow(start):
            if msg.seq in self._own:
                # Indexed and announced when this replica wrote it (and perhaps evicted since,
                # by a small cache: then it is older than the cache, as it should be).
                self._own.discard(msg.seq)
            else:
                try:
                    self._index(msg.seq, _decoder.decode(msg.data))
                except msgspec.DecodeError:
                    _log.warning("undecodable audit event skipped", seq=msg.seq)
            self._cover_hi = max(self._cover_hi, msg.seq)
            if msg.seq >= last:
                self.caught_up.set()  # the cache holds what the stream held when it started

    async def stop(self) -> None:
        if self._follower is not None and await cancel_and_wait([self._follower]):
            _log.error("audit follower did not stop in time")

    # -- reading ---------------------------------------------------------------------------------

    async def _range(self, flt: AuditFilter) -> tuple[int, int, bool]:
        """The sequences a query walks (lo, hi, stale): the stream's bounds now, narrowed by the
        filter's time bounds. Without NATS, the cache alone (the answer says `stale`)."""
        try:
            first, last = await self.log.bounds()
            lo, hi = max(1, first), last
            if flt.since is not None:
                lo = max(lo, await self.log.seq_at(parse_rfc3339(flt.since) - CLOCK_SKEW))
            if flt.until is not None:
                hi = min(hi, await self.log.seq_at(parse_rfc3339(flt.until) + CLOCK_SKEW) - 1)
        except StateUnavailable:
            # What this replica followed before the outage, said to be stale; a page older than
            # that still needs the stream (and fails with 503).
            return self._cover_lo, self._cover_hi, True
        return lo, hi, self.staleness.stale

    async def _newest_first(self, lo: int, hi: int) -> AsyncIterator[tuple[int, AuditEvent]]:
        """The events with lo <= seq <= hi, newest first: from the cache where it covers them,
        from the stream (in windows read oldest-first, then reversed) elsewhere."""
        seq = hi
        window = WINDOW_MIN
        while seq >= lo:
            if self._cover_lo <= seq <= self._cover_hi:
                bottom = max(lo, self._cover_lo)
                # Looked up by sequence each step: the caller may await between events, and the
                # follower may evict meanwhile (then the rest comes from the stream).
                while bottom <= seq and self._cover_lo <= seq:
                    i = bisect.bisect_right(self._seqs, seq) - 1
                    if i < 0 or self._seqs[i] < bottom:
                        seq = bottom - 1
                        break
                    found = self._seqs[i]
                    seq = found - 1
                    event = self._events.get(found)
                    if event is not None:
                        yield found, event
                continue
            bottom = max(lo, seq - window + 1)
            if bottom <= self._cover_hi < seq:
                bottom = self._cover_hi + 1  # only the part newer than the cache
            batch = [m async for m in self.log.read(bottom, seq, batch=window)]
            window = min(window * 2, WINDOW_MAX)
            for m in reversed(batch):
                try:
                    event = _decoder.decode(m.data)
                except msgspec.DecodeError:
                    continue
                yield m.seq, event
            seq = bottom - 1

    async def query(
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
        events match in all (up to COUNT_CAP, among at most SCAN_BUDGET events)."""
        raw = decode_cursor(cursor)
        before = int(raw) if raw is not None and raw.isdigit() else None
        lo, hi, stale = await self._range(flt)
        top = hi if before is None else min(hi, before - 1)
        rows: list[tuple[int, AuditRow]] = []
        scanned = 0
        stopped_at: int | None = None
        async for seq, event in self._newest_first(lo, top):
            scanned += 1
            if not flt.matches(event):
                if scanned >= SCAN_BUDGET:
                    stopped_at = seq
                    break
                continue
            last = rows[-1][1] if rows else None
            if collapse_denials and last is not None and _same_denial(last, event):
                last.repeat += 1
                last.first_at = event.at
                rows[-1] = (seq, last)  # the cursor continues after the oldest one collapsed
            else:
                rows.append((seq, _row(event)))
                if len(rows) > limit:
                    break
            if scanned >= SCAN_BUDGET:
                stopped_at = seq
                break
        more = len(rows) > limit
        rows = rows[:limit]
        if more:
            next_cursor: str | None = encode_cursor(str(rows[-1][0]))
        elif stopped_at is not None and stopped_at > lo:
            next_cursor = encode_cursor(str(stopped_at))
        else:
            next_cursor = None
        total, capped = await self._count(flt, lo, hi) if count else (0, False)
        return AuditPage(
            items=[r for _, r in rows],
            next_cursor=next_cursor,
            total=total,
            total_capped=capped,
            stale=stale,
            stale_for_s=self.staleness.stale_for_s(),
        )

    async def _count(self, flt: AuditFilter, lo: int, hi: int) -> tuple[int, bool]:
        n = scanned = 0
        async for _, event in self._newest_first(lo, hi):
            scanned += 1
            if flt.matches(event):
                n += 1
                if n >= COUNT_CAP:
                    return n, True
            if scanned >= SCAN_BUDGET:
                return n, True
        return n, False

    async def recent(self, flt: AuditFilter, limit: int) -> list[AuditEvent]:
        """The newest `limit` matching events (among at most SCAN_BUDGET events)."""
        lo, hi, _ = await self._range(flt)
        found: list[AuditEvent] = []
        scanned = 0
        async for _, event in self._newest_first(lo, hi):
            scanned += 1
            if flt.matches(event):
                found.append(event)
                if len(found) >= limit:
                    break
            if scanned >= SCAN_BUDGET:
                break
        return found

    async def export(self, flt: AuditFilter) -> AsyncIterator[AuditEvent]:
        """Every matching event of the requested range, newest first, read as it is sent (one
        window of the stream in memory at a time). The range is fixed here, before the first
        byte, so a failure to reach the stream is an error answer rather than a cut download."""
        lo, hi, _ = await self._range(flt)
        return self._matching(flt, lo, hi)

    async def _matching(self, flt: AuditFilter, lo: int, hi: int) -> AsyncIterator[AuditEvent]:
        async for _, event in self._newest_first(lo, hi):
            if flt.matches(event):
                yield event


def _row(event: AuditEvent) -> AuditRow:
    return AuditRow(**msgspec.structs.asdict(event))


def _same_denial(row: AuditRow, event: AuditEvent) -> bool:
    if row.action != "authz.deny" or event.action != "authz.deny" or row.actor != event.actor:
        return False
    right = (row.detail or {}).get("missing_right")
    return right is not None and right == (event.detail or {}).get("missing_right")
