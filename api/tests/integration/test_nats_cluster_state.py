"""The API's state on a three-node JetStream cluster (tests/support/nats_cluster.py).

- Replication: `auto` chooses 3 on the cluster and 1 on a single server; two replicas
  provisioning at once both succeed and every bucket and stream ends up R3; an R1 bucket left
  from before is raised to R3.
- /ready: 200 with each bucket's and stream's replicas and leader; 503 naming the streams without
  a quorum when two of three nodes are killed; 200 again once they are back.
- KV watches and stream followers deliver every change exactly once and in order across killing
  the node the client is connected to and the stream's leader.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import nats
import pytest
from litestar.testing import AsyncTestClient
from nats.js.api import KeyValueConfig, StorageType

from cloudlysis_control.adapters.nats.state import (
    BUCKET_CONFIG,
    BUCKET_DRIFT,
    BUCKET_IDEMPOTENCY,
    BUCKET_JOBS,
    BUCKET_LOCKS,
    STREAM_AUDIT,
    STREAM_CONFIG_HISTORY,
    STREAM_DEPLOYMENTS,
    BucketSpec,
    NatsEventLog,
    NatsKeyValue,
    NatsState,
    StreamSpec,
)
from cloudlysis_control.bootstrap.app import create_app
from cloudlysis_control.core.errors import StateUnavailable
from cloudlysis_control.ports import KVEntry, StreamMessage
from tests.support.auth import FakeRights
from tests.support.nats_cluster import NatsCluster
from tests.support.settings import app_settings
from tests.support.wait import eventually

pytestmark = pytest.mark.integration

BUCKETS = [BUCKET_JOBS, BUCKET_IDEMPOTENCY, BUCKET_LOCKS, BUCKET_CONFIG, BUCKET_DRIFT]
STREAMS = [STREAM_AUDIT, STREAM_DEPLOYMENTS, STREAM_CONFIG_HISTORY]
ALL = [f"KV_{b.name}" for b in BUCKETS] + [s.name for s in STREAMS]


@contextlib.asynccontextmanager
async def connected(url: str) -> AsyncIterator[NatsState]:
    state = NatsState(url=url)
    await state.connect()
    try:
        yield state
    finally:
        await state.close()


async def replicas_of(url: str, names: list[str]) -> dict[str, int]:
    nc = await nats.connect(servers=url.split(","))
    try:
        js = nc.jetstream(timeout=5.0)
        return {n: int((await js.stream_info(n)).config.num_replicas or 1) for n in names}
    finally:
        await nc.close()


async def test_two_replicas_provisioning_at_once_both_succeed_with_r3(
    nats_cluster: NatsCluster,
) -> None:
    async with connected(nats_cluster.url) as a, connected(nats_cluster.url) as b:
        await asyncio.gather(a.provision(BUCKETS, STREAMS), b.provision(BUCKETS, STREAMS))
        assert a.replication == b.replication == 3
        assert a.replication_source.startswith("auto: JetStream cluster")
        # Again (a restart): nothing to do, nothing fails.
        await a.provision(BUCKETS, STREAMS)
    assert await replicas_of(nats_cluster.url, ALL) == dict.fromkeys(ALL, 3)


async def test_an_r1_bucket_from_before_is_raised_to_r3(nats_cluster: NatsCluster) -> None:
    nc = await nats.connect(servers=nats_cluster.urls)
    try:
        kv = await nc.jetstream().create_key_value(
            KeyValueConfig(bucket=BUCKET_JOBS.name, storage=StorageType.FILE, replicas=1)
        )
        await kv.put("job-1", b"kept")
    finally:
        await nc.close()
    async with connected(nats_cluster.url) as state:
        await state.provision([BUCKET_JOBS], [])
        entry = await NatsKeyValue(state, BUCKET_JOBS).get("job-1")
        assert entry is not None and entry.value == b"kept"
    assert await replicas_of(nats_cluster.url, ["KV_control_jobs"]) == {"KV_control_jobs": 3}


async def test_a_single_server_gets_r1_and_an_explicit_setting_wins_on_a_cluster(
    own_nats: str, nats_cluster: NatsCluster
) -> None:
    async with connected(own_nats) as single:
        await single.provision(BUCKETS, STREAMS)
        assert single.replication == 1
        assert single.replication_source == "auto: a single server (not part of a cluster)"
    assert await replicas_of(own_nats, ALL) == dict.fromkeys(ALL, 1)

    explicit = NatsState(url=nats_cluster.url, replicas=1)
    await explicit.connect()
    try:
        await explicit.provision([BucketSpec("explicit_r1")], [])
        assert explicit.replication_source == "CONTROL_NATS_REPLICAS=1"
    finally:
        await explicit.close()
    assert await replicas_of(nats_cluster.url, ["KV_explicit_r1"]) == {"KV_explicit_r1": 1}


async def test_ready_reports_replication_and_fails_without_quorum(
    nats_cluster: NatsCluster, secret_file: Path, tmp_path: Path
) -> None:
    app = create_app(
        app_settings(nats_cluster.url, secret_file, tmp_path), rights_source=FakeRights()
    )
    async with AsyncTestClient(app=app) as client:
        r = await client.get("/ready")
        assert r.status_code == 200, r.text
        state = r.json()["state"]
        assert state["replicas"] == 3 and state["chosen_by"].startswith("auto: JetStream cluster")
        assert state["server"] in {"n1", "n2", "n3"}
        streams = state["streams"]
        assert {*ALL, "KV_control_placement"} <= set(streams)
        for name, s in streams.items():
            assert s["replicas"] == 3 and s["leader"] in {"n1", "n2", "n3"}, (name, s)

        # Two of three nodes gone: no stream has a quorum.
        survivor = 0
        nats_cluster.kill(1)
        nats_cluster.kill(2)

        async def not_ready() -> Any:
            # A leader left alone answers for a moment before it steps down: wait until every
            # stream is reported without a quorum.
            r = await client.get("/ready")
            if r.status_code != 503:
                return None
            deps = r.json()["dependencies"]
            if deps.get("nats") == "not connected" or {f"jetstream:{n}" for n in ALL} <= set(deps):
                return r
            return None

        r = await eventually(not_ready, 45, "/ready turning 503 without quorum")
        body = r.json()
        assert body["code"] == "not_ready"
        reasons = set(body["dependencies"].values())
        assert reasons <= {
            "no answer: no JetStream quorum or leader",
            "JetStream unavailable: no quorum",
            "no leader: no quorum of its replicas",
            "not connected",
        }, reasons
        assert nats_cluster.running() == [survivor]

        nats_cluster.start(1)
        nats_cluster.start(2)
        await nats_cluster.wait_healthy(60)

        async def ready() -> Any:
            r = await client.get("/ready")
            return r if r.status_code == 200 else None

        r = await eventually(ready, 60, "/ready turning 200 once the quorum is back")
        assert all(s["leader"] for s in r.json()["state"]["streams"].values())


async def _writer(cluster: NatsCluster, bucket: str, stream: str, n: int) -> list[int]:
    """Write n KV values and n stream messages, retrying each until acknowledged (a retry of
    the same message id is deduplicated); returns the KV revisions."""
    nc = await nats.connect(
        servers=cluster.urls, max_reconnect_attempts=-1, reconnect_time_wait=0.1
    )
    js = nc.jetstream(timeout=2.0)
    revisions: list[int] = []
    try:
        kv = await js.key_value(bucket)
        for i in range(n):
            while True:
                try:
                    # Each key once: a retried put that did land is caught by its expected
                    # revision 0 (create), never written twice.
                    revisions.append(int(await kv.create(f"k{i:04d}", f"{i}".encode())))
                    break
                except nats.js.errors.KeyWrongLastSequenceError:
                    revisions.append(int((await kv.get(f"k{i:04d}")).revision or 0))
                    break
                except (nats.errors.Error, TimeoutError):
                    await asyncio.sleep(0.1)
            while True:
                try:
                    await js.publish(
                        "test.cluster.follow",
                        f"{i}".encode(),
                        stream=stream,
                        headers={"Nats-Msg-Id": f"m{i}"},
                    )
                    break
                except (nats.errors.Error, TimeoutError):
                    await asyncio.sleep(0.1)
            await asyncio.sleep(0.01)
    finally:
        await nc.close()
    return revisions


async def test_watch_and_follow_resume_exactly_once_across_failovers(
    nats_cluster: NatsCluster,
) -> None:
    bucket = BucketSpec("test_cluster_watch")
    stream = StreamSpec("TEST_CLUSTER_FOLLOW", ["test.cluster.follow"])
    n = 300
    async with connected(nats_cluster.url) as state:
        await state.provision([bucket], [stream])
        kv = NatsKeyValue(state, bucket)
        log = NatsEventLog(state, stream, "test.cluster.follow")
        await kv.put("before", b"current value")  # delivered first, as the current value
        await kv.put("gone", b"x")
        await kv.delete("gone")
        entries: list[KVEntry] = []
        messages: list[StreamMessage] = []

        async def watch() -> None:
            async for e in kv.watch_all():
                entries.append(e)

        async def follow() -> None:
            async for m in log.follow(1):
                messages.append(m)

        tasks = [asyncio.create_task(watch()), asyncio.create_task(follow())]
        try:
            await eventually(lambda: _at_least(entries, 2), 10, "the current values")
            writer = asyncio.create_task(_writer(nats_cluster, bucket.name, stream.name, n))

            await eventually(lambda: _at_least(entries, 60), 30, "changes before the kills")
            # The node this client is connected to, then the KV stream's leader.
            assert state.nc is not None
            first = nats_cluster.connected_index(state.nc.connected_url)
            nats_cluster.kill(first)
            await eventually(lambda: _at_least(entries, 140), 60, "changes after a kill")
            nats_cluster.start(first)
            await nats_cluster.wait_healthy(60)
            second = await nats_cluster.leader_of(f"KV_{bucket.name}")
            nats_cluster.kill(second)
            await eventually(lambda: _at_least(entries, 220), 60, "changes after a leader kill")
            nats_cluster.start(second)

            revisions = await asyncio.wait_for(writer, 120)
            await eventually(lambda: _at_least(entries, n + 2), 60, "every change")
            await eventually(lambda: _at_least(messages, n), 60, "every stream message")
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    # The current values first (the deleted key as a delete marker), then each change once.
    assert [(e.key, e.value) for e in entries[:2]] == [("before", b"current value"), ("gone", None)]
    changes = entries[2:]
    assert [e.revision for e in changes] == sorted(set(revisions)), "missed or repeated"
    assert [e.key for e in changes] == [f"k{i:04d}" for i in range(n)]
    seqs = [m.seq for m in messages]
    assert seqs == list(range(1, n + 1)), "stream messages missed, repeated or out of order"
    assert [m.data for m in messages] == [f"{i}".encode() for i in range(n)]


async def _at_least(items: list[Any], count: int) -> bool:
    return len(items) >= count


async def test_a_write_without_quorum_fails_as_unavailable(nats_cluster: NatsCluster) -> None:
    async with connected(nats_cluster.url) as state:
        await state.provision([BUCKET_LOCKS], [])
        kv = NatsKeyValue(state, BUCKET_LOCKS)
        await kv.put("k", b"1")
        assert state.nc is not None
        connected_to = nats_cluster.connected_index(state.nc.connected_url)
        for i in range(3):
            if i != connected_to:
                nats_cluster.kill(i)

        async def put_fails() -> str | None:
            try:
                await kv.put("k", b"2")
            except StateUnavailable as e:
                return e.detail
            return None

        detail = await eventually(put_fails, 30, "a write failing without quorum", 0.1)
        assert detail.startswith("NATS kv put failed"), detail
