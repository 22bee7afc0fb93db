"""Time helpers: RFC 3339 UTC timestamps everywhere."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from datetime import UTC, datetime

# RFC 3339 `date-time` (what OpenAPI's `format: date-time` means): seconds and an offset required.
RFC3339_PATTERN = r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
_RFC3339 = re.compile(RFC3339_PATTERN)


def utcnow() -> datetime:
    return datetime.now(UTC)


def rfc3339(dt: datetime | None = None) -> str:
    return (dt or utcnow()).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def strict_rfc3339(value: str) -> datetime:
    """An RFC 3339 date-time and nothing else (no bare dates, no epoch numbers), in UTC; a leap
    second (`:60`) counts as `:59.999999`. ValueError otherwise."""
    if not _RFC3339.match(value):
        raise ValueError(f"not an RFC 3339 date-time: {value[:40]!r}")
    text = value.upper()
    leap = text[17:19] == "60"
    if leap:
        text = text[:17] + "59" + text[19:]
    dt = datetime.fromisoformat(text).astimezone(UTC)
    return dt.replace(microsecond=999_999) if leap else dt


def parse_rfc3339(value: str) -> datetime:
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def raise_if_cancelling(exc: BaseException | None = None) -> None:
    """Raise CancelledError when the current task is being cancelled. A client library may turn
    our cancellation into its own error (nats-py: a timeout), and Python 3.11's wait_for can
    return a result instead of raising: a loop that goes on after either would never stop."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError from exc


async def cancel_and_wait(tasks: Iterable[asyncio.Task[object]], timeout_s: float = 5.0) -> int:
    """Cancel background tasks and wait for them, bounded: shutdown must never hang.

    Returns how many tasks were still running after the timeout.
    """
    pending = [t for t in tasks if not t.done()]
    for t in pending:
        t.cancel()
    if not pending:
        return 0
    _done, still = await asyncio.wait(pending, timeout=timeout_s)
    return len(still)
