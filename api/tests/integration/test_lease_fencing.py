"""Lease fencing (issue 19) against a real nats-server: a replica that loses its NATS connection
stops acting on its job before the lease expires, and another replica takes the job over once.

Replica A reaches NATS through a TCP proxy the test cuts (closed, or a silent black hole); B is
connected directly. The job's step keeps acting (recording each act) on A; on B it acts once and
ends. A cannot renew its lease, so it must cancel its step by itself — it is never told — and
every act of A must come before B's first. Orderings of recorded events, not timings.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from typing import Any
from urllib.parse import urlparse

import msgspec
import pytest

from cloudlysis_control.jobs.kinds import JobKind, Params, StepContext
from tests.support.jobs import make_replica, principal, wait_terminal
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.integration

LEASE_S = 2.0  # renew every lease/3, fence margin lease/5 (the engine's defaults)


class Acting(JobKind):
    """One step that acts every 20 ms until cancelled on replica A, and acts once on B."""

    description = "acts until stopped"
    right = "control.jobs.run"
    params_type = msgspec.Struct
    step_timeout_s = 60.0
    job_timeout_s = 120.0

    def __init__(self) -> None:
        self.name = f"test.acting{uuid.uuid4().hex[:8]}"  # type: ignore[misc]
        self.events: list[tuple[str, str, float]] = []  # (what, replica, monotonic time)

    def validate(self, params: Params, tenant_id: str | None) -> Params:
        return dict(params)

    def steps(self, params: Params) -> list[str]:
        return ["act"]

    def log(self, what: str, who: str) -> None:
        self.events.append((what, who, time.monotonic()))

    async def run_step(self, ctx: StepContext) -> dict[str, Any]:
        who = ctx.job.lease_owner or "?"
        self.log("start", who)
        if who == "replica-b":
            self.log("act", who)
            return {"by": who}
        try:
            while True:
                self.log("act", who)
                await asyncio.sleep(0.02)
        except asyncio.CancelledError:
            self.log("stopped", who)
            raise

    def times(self, what: str, who: str) -> list[float]:
        return [t for w, r, t in self.events if w == what and r == who]


@pytest.mark.parametrize("blackhole", [False, True], ids=["closed", "silent"])
async def test_a_cut_off_runner_stops_before_its_lease_expires_and_is_taken_over_once(
    nats_url: str, blackhole: bool
) -> None:
    kind = Acting()
    target = urlparse(nats_url)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 4222)
    a = await make_replica(await proxy.start(), kind, "replica-a", lease_s=LEASE_S)
    b = None
    try:
        job = await a.service.create(
            kind_name=kind.name,
            reason="fencing",
            params={},
            principal=principal(),
            idempotency_key=uuid.uuid4().hex,
        )
        async with asyncio.timeout(10):
            while len(kind.times("act", "replica-a")) < 3:
                await asyncio.sleep(0.02)
        await proxy.cut(blackhole=blackhole)
        b = await make_replica(nats_url, kind, "replica-b", lease_s=LEASE_S)
        done = await wait_terminal(b.service, job.id, timeout=30)

        assert done.status == "succeeded" and done.steps[0].output == {"by": "replica-b"}
        assert done.runs == 2  # created and run by A, taken over once by B
        assert len(kind.times("start", "replica-a")) == 1
        assert len(kind.times("start", "replica-b")) == 1  # exactly once
        stopped = kind.times("stopped", "replica-a")
        assert len(stopped) == 1, kind.events  # A cancelled its own step: nobody told it
        # A stopped acting before B started: every act of A precedes B's first.
        b_start = kind.times("start", "replica-b")[0]
        assert stopped[0] < b_start
        assert max(kind.times("act", "replica-a")) < min(kind.times("act", "replica-b"))
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(a.stop(), 15)
        await proxy.stop()
        if b is not None:
            await b.stop()
