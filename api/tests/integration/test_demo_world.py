"""The demo's one world: a Swarm generated from the devfleet actually running (the demo's own
code, `demo.demo_swarm`), the API in file mode over it, and the fleet probing the same instances.
Every Swarm service is a fleet instance (same admin address) with the version the instance
reports, and a deploy or rollback through the API changes what the instance runs and reports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cloudlysis_devfleet.platform import PlatformKind
from cloudlysis_devfleet.world import RELEASES, image
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.wait import eventually
from tests.support.world import ADMIN, World, demo_world, deploy


@pytest.fixture
async def world(nats_url: str, secret_file: Path, tmp_path: Path) -> AsyncIterator[World]:
    counts: dict[PlatformKind, int] = {"aggregate": 2, "projection": 1, "runner": 1}
    async with demo_world(nats_url, secret_file, tmp_path, counts) as w:
        yield w


async def services_and_fleet(client: AsyncTestClient[Litestar]) -> tuple[dict[str, Any], ...]:
    """The Swarm services by name and a fleet snapshot in which every instance was probed."""

    async def probed() -> list[dict[str, Any]] | None:
        fleet: list[dict[str, Any]] = (await client.get("/admin/v1/fleet", headers=ADMIN)).json()[
            "instances"
        ]
        return fleet if fleet and all(i["health"] == "ok" for i in fleet) else None

    fleet = await eventually(probed, 30)
    services = (await client.get("/admin/v1/swarm/services", headers=ADMIN)).json()["items"]
    return {s["service"]: s for s in services}, {i["url"]: i for i in fleet}


async def test_every_swarm_service_is_a_fleet_instance_with_its_version(world: World) -> None:
    services, fleet_by_url = await services_and_fleet(world.client)
    assert len(services) == len(fleet_by_url) == 5
    for name, s in services.items():
        instance = fleet_by_url.get(s["admin_url"])
        assert instance is not None, f"{name} ({s['admin_url']}) is not in the fleet"
        assert name == f"platform_{instance['instance']}"
        assert s["kind"] == instance["kind"]
        assert s["image_tag"] == s["version"] == instance["version"], name
        assert s["git_sha"] == instance["git_sha"], name
        assert s["labels"].get("cloudlysis.shard") == instance["shard"], name
        assert instance["health"] == "ok"
    assert {s["version"] for s in services.values()} == {r.version for r in RELEASES.values()}
    # Its registry knows each service's good next tag and its marked bad one.
    for kind, release in RELEASES.items():
        assert {image(kind, release.next), image(kind, release.bad)} <= set(world.swarm["images"])


async def reported(client: AsyncTestClient[Litestar], url: str, version: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        _, fleet_by_url = await services_and_fleet(client)
        instance: dict[str, Any] = fleet_by_url[url]
        return instance if instance["version"] == version else None

    return await eventually(probe, 30)


@pytest.mark.parametrize("tag_of", ["next", "bad"])
async def test_a_deploy_changes_what_the_instance_reports_and_a_rollback_changes_it_back(
    world: World, tag_of: str
) -> None:
    client, target = world.client, world.instances["aggregate-2"]
    release = RELEASES["aggregate"]
    tag = release.next if tag_of == "next" else release.bad
    service = "platform_aggregate-2"
    job = await deploy(client, service, tag)
    assert job["status"] == "succeeded", job
    instance = await reported(client, target.url, tag)
    services, _ = await services_and_fleet(client)
    assert services[service]["version"] == instance["version"] == tag
    async with httpx.AsyncClient() as http:
        metrics = (await http.get(f"{target.url}/metrics")).text
    assert f'aggregate_build_info{{git_sha="unknown",service="aggregate",version="{tag}"}}' in (
        metrics
    )
    # The other aggregate instance still runs the release it started with.
    assert (await services_and_fleet(client))[1][world.instances["aggregate-1"].url][
        "version"
    ] == release.version

    job = await deploy(client, service)
    assert job["status"] == "succeeded", job
    await reported(client, target.url, release.version)
    services, _ = await services_and_fleet(client)
    assert services[service]["version"] == release.version
