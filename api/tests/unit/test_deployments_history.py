"""DeploymentService behind its ports: a fake stream log (in memory, unit test only) and the
file-mode engine."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from cloudlysis_control.adapters.docker.fixture import FixtureEngine
from cloudlysis_control.core.errors import StateUnavailable
from cloudlysis_control.core.metrics import Metrics
from cloudlysis_control.deployments.history import DeploymentFilter
from cloudlysis_control.deployments.service import DeploymentService
from cloudlysis_control.ports import StreamMessage
from tests.support.swarm import EXAMPLE_FIXTURE
from tests.support.wait import eventually


class FlakyLog:
    """Append-only log that refuses the first `fail` appends (NATS unreachable)."""

    def __init__(self, fail: int) -> None:
        self.fail = fail
        self.messages: list[tuple[str, bytes]] = []
        self._new = asyncio.Event()

    async def publish(self, data: bytes, msg_id: str) -> tuple[int, bool]:
        if self.fail > 0:
            self.fail -= 1
            raise StateUnavailable("NATS stream publish failed: TimeoutError")
        if any(m == msg_id for m, _ in self.messages):
            return len(self.messages), True
        self.messages.append((msg_id, data))
        self._new.set()
        return len(self.messages), False

    async def last_seq(self) -> int:
        return len(self.messages)

    async def follow(self, from_seq: int) -> AsyncIterator[StreamMessage]:
        seq = from_seq
        while True:
            while seq <= len(self.messages):
                yield StreamMessage(seq, self.messages[seq - 1][1])
                seq += 1
            self._new.clear()
            await self._new.wait()


async def test_a_record_lost_to_a_state_outage_is_written_by_the_next_reconcile() -> None:
    engine = FixtureEngine(json.loads(EXAMPLE_FIXTURE.read_text()))
    log = FlakyLog(fail=3)
    service = DeploymentService(log, engine, Metrics(), reconcile_interval_s=0.1)
    await service.start()
    try:

        async def all_recorded() -> int | None:
            n = len((await service.page(DeploymentFilter(), None, 500)).items)
            return n if n == 8 else None

        assert await eventually(all_recorded, 10, interval=0.05) == 8
        # each record once, although some passes failed half-way
        ids = [m for m, _ in log.messages]
        assert len(ids) == len(set(ids))
    finally:
        await service.stop()
        await engine.close()
