"""Since when an answer served from memory has not been following its source."""

from __future__ import annotations

import time
from collections.abc import Callable


class Staleness:
    """`set_live(False)` when the source (NATS, a watched file) stops feeding the in-memory
    copy, `set_live(True)` when it is followed again. Lists served from that copy report
    `stale` and `stale_for_s` so an operator knows how old the answer may be."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._since: float | None = None

    def set_live(self, live: bool) -> None:
        if live:
            self._since = None
        elif self._since is None:
            self._since = self.clock()

    @property
    def stale(self) -> bool:
        return self._since is not None

    def stale_for_s(self) -> float | None:
        if self._since is None:
            return None
        return round(self.clock() - self._since, 3)
