"""An environment for tenant operations: a fresh nats-server, the devfleet and the API.

Each test gets its own nats-server (placement, jobs and locks are whole-bucket state), simulated
Aggregate/Projection/Runner instances and a devfleet Gateway that watches placement in that
server, all on real loopback sockets. The API runs under uvicorn in the test's event loop.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import nats
from cloudlysis_devfleet import GatewayConfig, create_gateway_app, serve
from cloudlysis_devfleet.platform_host import HostedInstance, fleet_configs, serve_platform
from litestar import Litestar
from nats.js.kv import KeyValue

from cloudlysis_control.adapters.nats.server import EmbeddedNatsServer
from cloudlysis_control.adapters.nats.state import BUCKET_CONFIG, BUCKET_LOCKS, NatsState
from cloudlysis_control.bootstrap.app import create_app
from cloudlysis_control.bootstrap.placement import BUCKET_PLACEMENT
from tests.support.auth import FakeRights, bearer
from tests.support.settings import app_settings

TENANT = "acme"
TERMINAL = {"succeeded", "failed", "cancelled", "timed_out"}


@dataclass
class OpsEnv:
    api: httpx.AsyncClient
    instances: dict[str, HostedInstance]
    gateway_url: str
    nats_url: str
    placement: KeyValue
    locks: KeyValue
    fleet_file: Path
    settings_env: dict[str, str]
    app: Litestar


def placement_docs(inst: dict[str, HostedInstance]) -> dict[str, Any]:
    def shards(kind: str) -> dict[str, Any]:
        return {n: {"endpoints": [h.url]} for n, h in inst.items() if h.config.kind == kind}

    return {
        "aggregate_placement": {
            "schema_version": 1,
            "kind": "aggregate",
            "default_shard": "aggregate-1",
            "shards": shards("aggregate"),
            "tenants": {TENANT: "aggregate-1", "globex": "aggregate-2"},
        },
        "projection_placement": {
            "schema_version": 1,
            "kind": "projection",
            "default_shard": "projection-1",
            "shards": shards("projection"),
            "tenants": {},
        },
        "runner_placement": {
            "schema_version": 1,
            "kind": "runner",
            "default_shard": "runner-1",
            "shards": shards("runner"),
            "tenants": {},
        },
    }


async def wait_placement(api: httpx.AsyncClient, revisions: dict[str, int]) -> None:
    deadline = time.monotonic() + 5
    while True:
        page = (await api.get("/admin/v1/tenants", headers=bearer())).json()
        seen = page["revisions"]
        if all(seen[k.removesuffix("_placement")] == str(v) for k, v in revisions.items()):
            return
        assert time.monotonic() < deadline, seen
        await asyncio.sleep(0.02)


@dataclass
class World:
    """NATS with placement, the devfleet platform and a devfleet Gateway routing from it."""

    nats_url: str
    placement: KeyValue
    locks: KeyValue
    instances: dict[str, HostedInstance]
    gateway_url: str
    fleet_file: Path
    revisions: dict[str, int]


@asynccontextmanager
async def devfleet_world(tmp_path: Path) -> AsyncIterator[World]:
    async with AsyncExitStack() as stack:
        server = EmbeddedNatsServer(tmp_path / f"nats-{uuid.uuid4().hex[:6]}")
        await server.start()
        stack.push_async_callback(server.stop)
        state = NatsState(url=server.url)
        await state.connect()
        await state.provision([BUCKET_PLACEMENT, BUCKET_LOCKS, BUCKET_CONFIG], [])
        await state.close()
        nc = await nats.connect(server.url)
        stack.push_async_callback(nc.close)
        js = nc.jetstream()
        placement = await js.key_value(BUCKET_PLACEMENT.name)
        locks = await js.key_value(BUCKET_LOCKS.name)
        configs = fleet_configs({"aggregate": 2, "projection": 1, "runner": 1}, tenants=[TENANT])
        hosted = await stack.enter_async_context(serve_platform(configs, nats_url=server.url))
        instances = {h.config.instance: h for h in hosted}
        revisions = {}
        for key, doc in placement_docs(instances).items():
            revisions[key] = await placement.put(key, json.dumps(doc).encode())
        gateway_app = create_gateway_app(
            GatewayConfig(data_dir=tmp_path / "gateway", nats_url=server.url)
        )
        gateway_url = await stack.enter_async_context(serve(gateway_app))
        fleet = [h.fleet_entry() for h in hosted]
        fleet.append({"name": "gateway", "kind": "gateway", "url": gateway_url})
        fleet_file = tmp_path / "fleet.json"
        fleet_file.write_text(json.dumps(fleet))
        yield World(server.url, placement, locks, instances, gateway_url, fleet_file, revisions)


@asynccontextmanager
async def ops_env(tmp_path: Path, secret_file: Path, **env: str) -> AsyncIterator[OpsEnv]:
    async with devfleet_world(tmp_path) as world:
        settings_env = {
            "CONTROL_FLEET_FILE": str(world.fleet_file),
            "CONTROL_GATEWAY_URL": world.gateway_url,
            "CONTROL_PROBE_TIMEOUT_S": "1",
            "CONTROL_TENANT_STATUS_TIMEOUT_S": "1",
            "CONTROL_OPS_DRAIN_TIMEOUT_S": "10",
            "CONTROL_OPS_STEP_TIMEOUT_S": "5",
            "CONTROL_OPS_VERIFY_TIMEOUT_S": "3",
            **env,
        }
        settings = app_settings(world.nats_url, secret_file, tmp_path, **settings_env)
        app = create_app(settings, rights_source=FakeRights())
        async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as api:
            await wait_placement(api, world.revisions)
            yield OpsEnv(
                api,
                world.instances,
                world.gateway_url,
                world.nats_url,
                world.placement,
                world.locks,
                world.fleet_file,
                settings_env,
                app,
            )


def job_headers(key: str | None = None) -> dict[str, str]:
    return {**bearer(), "Idempotency-Key": key or uuid.uuid4().hex}


async def plan(
    api: httpx.AsyncClient, target: str = "aggregate-2", kind: str = "aggregate"
) -> dict[str, Any]:
    r = await api.post(
        f"/admin/v1/plans/tenants/{TENANT}/migrate",
        json={"kind": kind, "target_shard": target},
        headers=bearer(),
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def migrate_body(p: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "reason": "rebalance acme",
        "kind": p["kind"],
        "target_shard": p["target_shard"],
        "plan_hash": p["plan_hash"],
        **extra,
    }


async def wait_job(api: httpx.AsyncClient, job_id: str, timeout_s: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        job: dict[str, Any] = (await api.get(f"/admin/v1/jobs/{job_id}", headers=bearer())).json()
        if job["status"] in TERMINAL:
            return job
        assert time.monotonic() < deadline, job
        await asyncio.sleep(0.05)


async def wait_step(
    api: httpx.AsyncClient, job_id: str, step: str, statuses: set[str], timeout_s: float = 30
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        job: dict[str, Any] = (await api.get(f"/admin/v1/jobs/{job_id}", headers=bearer())).json()
        s = next(s for s in job["steps"] if s["name"] == step)
        if s["status"] in statuses:
            return job
        assert time.monotonic() < deadline, job
        await asyncio.sleep(0.02)


async def history(kv: KeyValue, key: str) -> list[dict[str, Any]]:
    """Every stored revision of a placement key, oldest first (the bucket keeps 16)."""
    entries = await kv.history(key)
    return [{"revision": e.revision, **json.loads(e.value or b"{}")} for e in entries]


async def tenant_status(inst: HostedInstance, tenant: str = TENANT) -> dict[str, Any]:
    async with httpx.AsyncClient() as c:
        r = await c.get(f"{inst.url}/admin/v1/tenants/{tenant}/status")
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body


async def switch(url: str, **switches: Any) -> None:
    async with httpx.AsyncClient() as c:
        r = await c.post(f"{url}/_devfleet/switches", json=switches)
        assert r.status_code == 200, r.text


async def submit_work(inst: HostedInstance, duration_ms: int, backlog: int = 0) -> None:
    async with httpx.AsyncClient() as c:
        r = await c.post(
            f"{inst.url}/v1/tenants/{TENANT}/work",
            json={"duration_ms": duration_ms, "backlog": backlog},
        )
        assert r.status_code == 202, r.text


async def resolve(gateway_url: str, kind: str = "aggregate") -> dict[str, Any]:
    async with httpx.AsyncClient() as c:
        r = await c.get(
            f"{gateway_url}/admin/routing/resolve", params={"tenant": TENANT, "kind": kind}
        )
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body
