"""Waiting for something to become true, with a deadline instead of a sleep."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    check: Callable[[], Awaitable[T | None]],
    timeout: float = 30.0,
    what: str = "condition",
    interval: float = 0.05,
) -> T:
    """Await `check()` until it returns something truthy; fail with its last value."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"{what} did not happen within {timeout} s (last: {last!r})")


def eventually_sync(
    probe: Callable[[], T], *, timeout_s: float, interval_s: float = 2.0, what: str
) -> T:
    """Call `probe` until it returns without raising AssertionError; fail with its last error."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return probe()
        except AssertionError as e:
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not true after {timeout_s:.0f} s: {e}") from e
        time.sleep(interval_s)
