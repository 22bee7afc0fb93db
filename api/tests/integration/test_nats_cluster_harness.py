"""The three-node cluster harness is a real JetStream cluster: an R3 stream has three replicas
on three servers, and killing its leader elects another while publishes carry on."""

from __future__ import annotations

import nats
import pytest
from nats.js.api import StreamConfig

from tests.support.nats_cluster import NatsCluster
from tests.support.wait import eventually

pytestmark = pytest.mark.integration


async def test_r3_stream_survives_its_leader_being_killed(nats_cluster: NatsCluster) -> None:
    nc = await nats.connect(servers=nats_cluster.urls, max_reconnect_attempts=-1)
    try:
        js = nc.jetstream(timeout=5.0)
        await js.add_stream(StreamConfig(name="HARNESS", subjects=["harness.>"], num_replicas=3))
        info = await js.stream_info("HARNESS")
        assert info.config.num_replicas == 3
        assert info.cluster is not None
        names = {info.cluster.leader, *(r.name for r in info.cluster.replicas or [])}
        assert names == {"n1", "n2", "n3"}

        for i in range(5):
            await js.publish("harness.a", f"{i}".encode(), stream="HARNESS")
        leader = await nats_cluster.leader_of("HARNESS")
        nats_cluster.kill(leader)

        async def new_leader() -> int | None:
            try:
                return 1 + await nats_cluster.leader_of("HARNESS", timeout_s=0.5)
            except AssertionError:
                return None

        assert await eventually(new_leader, what="a new stream leader") - 1 != leader

        async def publish() -> int | None:
            try:
                ack = await js.publish(
                    "harness.a", b"after", stream="HARNESS", headers={"Nats-Msg-Id": "after"}
                )
                return int(ack.seq)
            except (nats.errors.Error, TimeoutError):
                return None

        assert await eventually(publish, what="a publish after the leader's death") == 6
        info = await js.stream_info("HARNESS")
        assert info.state.messages == 6

        nats_cluster.start(leader)
        await nats_cluster.wait_healthy()
        assert nats_cluster.running() == [0, 1, 2]
    finally:
        await nc.close()
