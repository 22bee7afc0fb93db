"""Background tenant traffic for the demo, through the Gateway's routed
`POST /v1/tenants/{tenant}/{kind}/work`, so every service's HTTP, tenant and upstream metrics
(the instrumentation contract's counters and histograms) have something to show.

* a daily shape: the total rate follows a sine over `day_s` seconds (a day compressed into an
  hour by default), between 40 % and 160 % of `rps`;
* tenants differ: each has a steady weight (1 to 3), and one noisy tenant sends `noisy_share` of
  all requests, in bursts;
* the devfleet instances, not this generator, decide what a request costs: a bad build
  (`world.is_bad`) answers part of them with 500 after hundreds of ms, so a deploy of a bad tag
  shows on the error-ratio and p99 charts and a rollback heals them.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx

KINDS = ("aggregate", "projection", "runner")
KIND_WEIGHTS = (5, 3, 2)
_TICK_S = 0.2
_MAX_CONCURRENT = 64


@dataclass(frozen=True)
class TrafficShape:
    rps: float = 8.0
    day_s: float = 3600.0
    noisy_share: float = 0.3

    def rate(self, now: float) -> float:
        """Requests per second at `now`: the day's sine, lowest at "midnight"."""
        phase = 2 * math.pi * (now % self.day_s) / self.day_s
        return self.rps * (1.0 - 0.6 * math.cos(phase))


def _weight(tenant: str) -> int:
    return 1 + hashlib.sha256(tenant.encode()).digest()[0] % 3


def noisy_tenant(tenants: Sequence[str]) -> str:
    """The one noisy tenant: a stable pick, so the console names the same one every run."""
    return sorted(tenants)[len(tenants) // 3]


class TrafficGenerator:
    def __init__(
        self,
        gateway_url: str,
        tenants: Sequence[str],
        shape: TrafficShape | None = None,
        *,
        clock: Callable[[], float] = time.time,
        seed: int = 7,
    ) -> None:
        if not tenants:
            raise ValueError("no tenants to send traffic for")
        self.gateway_url = gateway_url.rstrip("/")
        self.shape = shape or TrafficShape()
        self.clock = clock
        self.noisy = noisy_tenant(tenants)
        self.quiet = [t for t in tenants if t != self.noisy]
        self.weights = [_weight(t) for t in self.quiet]
        self.random = random.Random(seed)  # noqa: S311 - simulation only
        self.sent = 0
        self.statuses: dict[int, int] = {}
        self._slots = asyncio.Semaphore(_MAX_CONCURRENT)
        self._tasks: set[asyncio.Task[None]] = set()

    def _pick(self) -> tuple[str, str]:
        burst = 1.0 + 2.0 * max(0.0, math.sin(self.clock() / 20))  # the noisy tenant's bursts
        share = min(0.8, self.shape.noisy_share * burst)
        if self.quiet and self.random.random() >= share:
            tenant = self.random.choices(self.quiet, self.weights)[0]
        else:
            tenant = self.noisy
        return tenant, self.random.choices(KINDS, KIND_WEIGHTS)[0]

    async def _send(self, http: httpx.AsyncClient, tenant: str, kind: str) -> None:
        try:
            r = await http.post(
                f"{self.gateway_url}/v1/tenants/{tenant}/{kind}/work",
                json={"duration_ms": self.random.randint(50, 800)},
            )
            code = r.status_code
        except httpx.HTTPError:
            code = 0
        finally:
            self._slots.release()
        self.statuses[code] = self.statuses.get(code, 0) + 1

    async def run(self, stop: asyncio.Event | None = None) -> None:
        stop = stop or asyncio.Event()
        owed = 0.0
        async with httpx.AsyncClient(timeout=10) as http:
            while not stop.is_set():
                owed += self.shape.rate(self.clock()) * _TICK_S
                while owed >= 1.0:
                    owed -= 1.0
                    if self._slots.locked():  # overloaded: drop rather than queue up
                        continue
                    await self._slots.acquire()
                    tenant, kind = self._pick()
                    task = asyncio.create_task(self._send(http, tenant, kind))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
                    self.sent += 1
                # Jitter, so requests do not arrive in lockstep with the scrapes.
                delay = _TICK_S * (0.5 + self.random.random())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
