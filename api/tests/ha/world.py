"""The HA suite's world: a three-node NATS cluster, the devfleet and two API processes.

Everything is real and on loopback: `NatsCluster` (tests/support/nats_cluster.py) runs three
`nats-server` processes as one JetStream cluster; the devfleet's Aggregate/Projection/Runner
instances and its Gateway (tokens, rights lookups, routing from the placement bucket) run in the
test's event loop, as in tests/integration/test_migration_crash.py; the API runs twice as
`python -m cloudlysis_control serve` (tests/support/api_process.py), each with the full server
list, its own CONTROL_INSTANCE_ID and port, so either can be SIGKILLed.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import nats
from cloudlysis_devfleet import GatewayConfig, create_gateway_app, serve
from cloudlysis_devfleet.platform_host import HostedInstance, fleet_configs, serve_platform
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.kv import KeyValue

from cloudlysis_control.adapters.nats.state import BUCKET_CONFIG, BUCKET_LOCKS, NatsState
from cloudlysis_control.bootstrap.placement import BUCKET_PLACEMENT
from tests.support.api_process import api_process, tail, wait_ready
from tests.support.nats_cluster import NatsCluster
from tests.support.net import free_port
from tests.support.ops import TENANT, TERMINAL, placement_docs

JOBS_STREAM = "KV_control_jobs"
AUDIT_STREAM = "CONTROL_AUDIT"


@dataclass
class Replica:
    instance_id: str
    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if self.alive:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)


@dataclass
class HaWorld:
    cluster: NatsCluster
    nc: NatsClient
    js: JetStreamContext
    placement: KeyValue
    locks: KeyValue
    instances: dict[str, HostedInstance]
    gateway_url: str
    token: str
    replicas: list[Replica]
    env: dict[str, str]
    notes: list[str] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"}

    def replica(self, instance_id: str) -> Replica:
        return next(r for r in self.replicas if r.instance_id == instance_id)

    def other(self, instance_id: str) -> Replica:
        return next(r for r in self.replicas if r.instance_id != instance_id)

    def client(self, replica: Replica, timeout: float = 30) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=replica.url, headers=self.headers, timeout=timeout)

    def logs(self, chars: int = 4000) -> str:
        return "\n".join(f"--- {r.instance_id}\n{tail(r.log, chars)}" for r in self.replicas)


def nats_url(cluster: NatsCluster) -> str:
    """What CONTROL_NATS_URL is set to: the full server list."""
    return cluster.url


async def _provision_replicated(cluster: NatsCluster) -> None:
    """The buckets the test seeds before the API starts (replicas auto: R3 here)."""
    state = NatsState(url=nats_url(cluster))
    await state.connect()
    try:
        await state.provision([BUCKET_PLACEMENT, BUCKET_LOCKS, BUCKET_CONFIG], [])
    finally:
        await state.close()


@asynccontextmanager
async def ha_world(
    tmp_path: Path,
    cluster: NatsCluster,
    lease_s: float = 2.0,
    runners: int = 1,
    **extra_env: str,
) -> AsyncIterator[HaWorld]:
    async with AsyncExitStack() as stack:
        await _provision_replicated(cluster)
        nc = await nats.connect(
            servers=cluster.urls,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.2,
            connect_timeout=2,
        )
        stack.push_async_callback(nc.close)
        js = nc.jetstream(timeout=5)
        placement = await js.key_value(BUCKET_PLACEMENT.name)
        locks = await js.key_value(BUCKET_LOCKS.name)
        configs = fleet_configs(
            {"aggregate": 2, "projection": 1, "runner": runners}, tenants=[TENANT]
        )
        hosted = await stack.enter_async_context(
            serve_platform(configs, nats_url=nats_url(cluster))
        )
        instances = {h.config.instance: h for h in hosted}
        for key, doc in placement_docs(instances).items():
            await placement.put(key, json.dumps(doc).encode())
        gateway_url = await stack.enter_async_context(
            serve(
                create_gateway_app(
                    GatewayConfig(data_dir=tmp_path / "gateway", nats_url=nats_url(cluster))
                )
            )
        )
        fleet = [h.fleet_entry() for h in hosted]
        fleet.append({"name": "gateway", "kind": "gateway", "url": gateway_url})
        fleet_file = tmp_path / "fleet.json"
        fleet_file.write_text(json.dumps(fleet))
        async with httpx.AsyncClient() as c:
            r = await c.post(f"{gateway_url}/auth/v1/dev-login", json={"principal": "admin"})
            assert r.status_code == 200, r.text
            token = r.json()["access_token"]
        base_env = {
            "CONTROL_NATS_URL": nats_url(cluster),
            "CONTROL_NATS_REPLICAS": "auto",
            "CONTROL_HOST": "127.0.0.1",
            "CONTROL_JWKS_URL": f"{gateway_url}/.well-known/jwks.json",
            "CONTROL_GATEWAY_URL": gateway_url,
            "CONTROL_FLEET_FILE": str(fleet_file),
            "CONTROL_JOB_LEASE_S": str(lease_s),
            "CONTROL_LOG_LEVEL": "info",
            "CONTROL_TRACE_SAMPLE_RATIO": "0",
            "CONTROL_OPS_STEP_TIMEOUT_S": "10",
            "CONTROL_OPS_DRAIN_TIMEOUT_S": "30",
            **extra_env,
        }
        replicas = []
        for n in (1, 2):
            port = free_port()
            env = {
                **base_env,
                "CONTROL_PORT": str(port),
                "CONTROL_DATA_DIR": str(tmp_path / f"data-{n}"),
            }
            log = tmp_path / f"api-{n}.log"
            proc = stack.enter_context(api_process(env, f"api-{n}", log))
            replicas.append(Replica(f"api-{n}", f"http://127.0.0.1:{port}", proc, log))
        await asyncio.gather(*(wait_ready(r.url, r.proc, r.log) for r in replicas))
        world = HaWorld(
            cluster,
            nc,
            js,
            placement,
            locks,
            instances,
            gateway_url,
            token,
            replicas,
            base_env,
        )
        for r in replicas:
            await wait_placement_loaded(world, r)
        yield world


async def wait_placement_loaded(world: HaWorld, replica: Replica) -> None:
    deadline = time.monotonic() + 30
    async with world.client(replica) as api:
        while True:
            r = await api.get("/admin/v1/tenants")
            if r.status_code == 200 and all(r.json().get("revisions", {}).values()):
                return
            assert time.monotonic() < deadline, (r.status_code, r.text[:500])
            await asyncio.sleep(0.1)


async def get_job(api: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    r = await api.get(f"/admin/v1/jobs/{job_id}")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def admin_calls(inst: HostedInstance) -> dict[str, int]:
    """The devfleet instance's count of drain/resume calls it received."""
    async with httpx.AsyncClient() as c:
        r = await c.get(f"{inst.url}/admin/v1/instance")
        assert r.status_code == 200, r.text
        calls: dict[str, int] = r.json()["admin_calls"]
        return calls


async def placement_history(world: HaWorld, key: str = "aggregate_placement") -> list[int]:
    """Revisions of a placement key still in the bucket's history (it keeps 16)."""
    return [e.revision for e in await world.placement.history(key)]


async def audit_stream(world: HaWorld) -> tuple[dict[str, int], list[tuple[int, dict[str, Any]]]]:
    """CONTROL_AUDIT's state and every event in it, read message by message by sequence."""
    info = await world.js.stream_info(AUDIT_STREAM)
    state = {
        "first_seq": info.state.first_seq,
        "last_seq": info.state.last_seq,
        "messages": info.state.messages,
        "num_deleted": info.state.num_deleted or 0,
    }
    events = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        msg = await world.js.get_msg(AUDIT_STREAM, seq)
        events.append((int(msg.seq or seq), json.loads(msg.data or b"{}")))
    return state, events


async def wait_terminal(
    api: httpx.AsyncClient, job_id: str, timeout_s: float = 90
) -> tuple[dict[str, Any], list[tuple[str | None, int, str]]]:
    """Poll the job until it ends; also return what was seen: (lease_owner, runs, status)."""
    seen: list[tuple[str | None, int, str]] = []
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            r = await api.get(f"/admin/v1/jobs/{job_id}")
        except httpx.TransportError:
            r = None
        if r is not None and r.status_code == 200:
            job: dict[str, Any] = r.json()
            point = (job["lease_owner"], job["runs"], job["status"])
            if not seen or seen[-1] != point:
                seen.append(point)
            if job["status"] in TERMINAL:
                return job, seen
        assert time.monotonic() < deadline, seen
        await asyncio.sleep(0.05)


def brief(job: dict[str, Any]) -> dict[str, Any]:
    """A job in a line: its status, error and each step's status, attempts and error."""
    return {
        "status": job["status"],
        "runs": job["runs"],
        "error": job.get("error"),
        "compensation": job.get("compensation"),
        "steps": {s["name"]: (s["status"], s["attempts"], s.get("error")) for s in job["steps"]},
    }
