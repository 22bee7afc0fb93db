"""The demo's world for tests: devfleet instances (each kind on its demo release), the Swarm the
demo generates from them (`demo.demo_swarm`, the demo's own code) and the API in file mode over
it, with the fleet file listing the same instances."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cloudlysis_devfleet.demo import demo_swarm
from cloudlysis_devfleet.gateway import GatewayConfig, create_gateway_app
from cloudlysis_devfleet.platform import PlatformKind
from cloudlysis_devfleet.platform_host import HostedInstance, fleet_configs, serve_platform
from cloudlysis_devfleet.serving import serve
from cloudlysis_devfleet.world import RELEASES
from litestar import Litestar
from litestar.testing import AsyncTestClient

from cloudlysis_control.bootstrap.app import create_app
from tests.support.auth import FakeRights, bearer
from tests.support.settings import app_settings
from tests.support.swarm import EXAMPLE_FIXTURE
from tests.support.wait import eventually

ADMIN = bearer("admin")


@dataclass
class World:
    client: AsyncTestClient[Litestar]
    instances: dict[str, HostedInstance]
    gateway_url: str
    swarm: dict[str, Any]


@asynccontextmanager
async def demo_world(
    nats_url: str,
    secret_file: Path,
    tmp_path: Path,
    counts: dict[PlatformKind, int],
    baseline_error_ratio: float = 0.0,
    **env: str,
) -> AsyncIterator[World]:
    releases = {k: (r.version, r.git_sha) for k, r in RELEASES.items() if k != "gateway"}
    configs = fleet_configs(counts, releases=releases, baseline_error_ratio=baseline_error_ratio)
    gateway = GatewayConfig(
        data_dir=tmp_path / "gateway",
        version=RELEASES["gateway"].version,
        git_sha=RELEASES["gateway"].git_sha,
    )
    async with serve_platform(configs) as hosted, serve(create_gateway_app(gateway)) as gw_url:
        fleet = [{"name": "gateway", "kind": "gateway", "url": gw_url}]
        fleet += [h.fleet_entry() for h in hosted]
        (tmp_path / "fleet.json").write_text(json.dumps(fleet))
        # The demo's generator reads each instance's /metrics (blocking I/O): off the loop that
        # serves them.
        demo_env = await asyncio.to_thread(demo_swarm, fleet, tmp_path, EXAMPLE_FIXTURE)
        swarm = json.loads(await asyncio.to_thread((tmp_path / "swarm.json").read_text))
        settings = app_settings(
            nats_url,
            secret_file,
            tmp_path,
            CONTROL_FLEET_FILE=str(tmp_path / "fleet.json"),
            CONTROL_FLEET_SNAPSHOT_MAX_AGE_S="0.5",
            **{"CONTROL_DEPLOY_HEALTH_TIMEOUT_S": "10", **env},
            **demo_env,
        )
        app = create_app(settings, rights_source=FakeRights())
        async with AsyncTestClient(app=app) as client:
            yield World(client, {h.config.instance: h for h in hosted}, gw_url, swarm)


async def job_done(client: AsyncTestClient[Litestar], job_id: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        job = (await client.get(f"/admin/v1/jobs/{job_id}", headers=ADMIN)).json()
        return job if job["status"] in ("succeeded", "failed", "cancelled", "timed_out") else None

    return await eventually(probe, 60)


async def deploy(
    client: AsyncTestClient[Litestar], service: str, tag: str | None = None
) -> dict[str, Any]:
    """A deploy of `tag` (or, without one, a rollback) through the API, to its end."""
    action, body = ("deploy", {"tag": tag}) if tag else ("rollback", {})
    r = await client.post(
        f"/admin/v1/swarm/services/{service}/{action}",
        json={**body, "reason": f"demo world: {action}", "confirm": service},
        headers={**ADMIN, "idempotency-key": uuid.uuid4().hex},
    )
    assert r.status_code == 202, r.text
    return await job_done(client, r.json()["id"])


@asynccontextmanager
async def tenant_traffic(url: str) -> AsyncIterator[None]:
    """About 50 tenant requests a second at the instance until the block ends."""
    stop = asyncio.Event()

    async def drive() -> None:
        pending: set[asyncio.Task[httpx.Response]] = set()
        async with httpx.AsyncClient(timeout=5) as c:
            while not stop.is_set():
                if len(pending) < 64:
                    task = asyncio.create_task(
                        c.post(f"{url}/v1/tenants/acme/work", json={"duration_ms": 0})
                    )
                    pending.add(task)
                    task.add_done_callback(pending.discard)
                await asyncio.sleep(0.02)
            await asyncio.gather(*pending, return_exceptions=True)

    runner = asyncio.create_task(drive())
    try:
        yield
    finally:
        stop.set()
        await runner
