"""Time helpers: RFC 3339 UTC timestamps everywhere."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def rfc3339(dt: datetime | None = None) -> str:
    return (dt or utcnow()).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_rfc3339(value: str) -> datetime:
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


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
