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
from cloudlysis_devfleet.world import (
    ENV_DRIFT,
    MISSING,
    ORPHAN,
    RELEASES,
    STACK,
    VERSION_DRIFT,
    image,
)
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.wait import eventually
from tests.support.world import ADMIN, World, demo_world, deploy, job_done

ORPHAN_SERVICE = f"{STACK}_{ORPHAN}"


@pytest.fixture
async def world(own_nats: str, secret_file: Path, tmp_path: Path) -> AsyncIterator[World]:
    # A NATS of its own: deploy playbooks sample placed tenants, drift remembers what it saw, and
    # neither may meet what other tests left in the session's server.
    counts: dict[PlatformKind, int] = {"aggregate": 2, "projection": 1, "runner": 1}
    # A busy machine (CI runs suites side by side) can make a 2 s probe time out: a real
    # `unhealthy` drift item, but not one the demo seeds.
    async with demo_world(
        own_nats, secret_file, tmp_path, counts, CONTROL_PROBE_TIMEOUT_S="10"
    ) as w:
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
    # The one service the demo seeds outside the fleet (an orphan for drift) is left out.
    return {s["service"]: s for s in services if s["service"] != ORPHAN_SERVICE}, {
        i["url"]: i for i in fleet
    }


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


async def drift_items(client: AsyncTestClient[Litestar]) -> list[dict[str, Any]]:
    r = await client.get("/admin/v1/platform/drift", headers=ADMIN)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def test_the_demo_starts_with_one_seeded_drift_item_of_each_category(world: World) -> None:
    await services_and_fleet(world.client)  # every instance probed healthy first

    async def settled() -> list[dict[str, Any]] | None:
        items = await drift_items(world.client)
        return items if not any(i["field"] == "health" for i in items) else None

    try:
        items = await eventually(settled, 60)
    except AssertionError:
        raise AssertionError(
            [(i["field"], i["detail"]) for i in await drift_items(world.client)]
        ) from None
    found = {(i["category"], i["service"], i["field"]) for i in items}
    assert found == {
        ("missing", f"{STACK}_{MISSING}", "service"),
        ("extra", ORPHAN_SERVICE, "service"),
        ("unhealthy", ORPHAN_SERVICE, "replicas"),
        ("version", f"{STACK}_{VERSION_DRIFT}", "image"),
        ("config", f"{STACK}_{ENV_DRIFT}", "env"),
    }
    report = (await world.client.get("/admin/v1/platform/drift", headers=ADMIN)).json()
    # (a probe that times out on a busy machine adds a `health` item: real, but not seeded)
    seeded = [i for i in report["items"] if i["field"] != "health"]
    assert len(seeded) == 5
    assert report["summary"]["total"] == len(report["items"])
    assert sum(report["summary"]["by_category"].values()) == report["summary"]["total"]
    assert report["desired_source"] and report["stacks"] == [STACK]
    version = next(i for i in items if i["category"] == "version")
    assert version["desired"] == image("projection", RELEASES["projection"].next)
    deploy_remedy = next(r for r in version["remedies"] if r["kind"] == "reapply")
    assert deploy_remedy["job_kind"] == "service.deploy"
    # ETag: the same answer again is 304 without a body
    etag = (await world.client.get("/admin/v1/platform/drift", headers=ADMIN)).headers["etag"]
    again = await world.client.get(
        "/admin/v1/platform/drift", headers={**ADMIN, "If-None-Match": etag}
    )
    assert again.status_code == 304 and again.content == b""
    filtered = await world.client.get(
        "/admin/v1/platform/drift", params={"category": "extra"}, headers=ADMIN
    )
    assert [i["category"] for i in filtered.json()["items"]] == ["extra"]


async def test_reapplying_drift_clears_it(world: World) -> None:
    """Re-apply through the remedies the items offer: the version one through service.deploy,
    the env, missing, orphan and short-replica ones through drift.reapply."""
    await services_and_fleet(world.client)
    items = {(i["category"], i["field"]): i for i in await drift_items(world.client)}
    version = items[("version", "image")]
    remedy = next(r for r in version["remedies"] if r["kind"] == "reapply")
    job = await deploy(world.client, remedy["params"]["service"], RELEASES["projection"].next)
    assert job["status"] == "succeeded", job
    for key in [("config", "env"), ("unhealthy", "replicas"), ("missing", "service")]:
        item = items[key]
        r = await world.client.post(
            f"/admin/v1/platform/drift/{item['id']}/reapply",
            json={"reason": "test: re-apply", "confirm": item["service"]},
            headers={**ADMIN, "Idempotency-Key": f"reapply-{item['id']}"},
        )
        assert r.status_code == 202, r.text
        done = await job_done(world.client, r.json()["id"])
        assert done["status"] == "succeeded", done
    left = {(i["category"], i["service"]) for i in await drift_items(world.client)}
    assert {x for x in left if x[0] != "unhealthy"} == {("extra", ORPHAN_SERVICE)}, left
    orphan = next(i for i in await drift_items(world.client) if i["category"] == "extra")
    # Removing an orphan is dangerous: the remedy says so, and confirm must name it.
    remove = next(r for r in orphan["remedies"] if r["kind"] == "reapply")
    assert remove["danger"] is True
    r = await world.client.post(
        f"/admin/v1/platform/drift/{orphan['id']}/reapply",
        json={"reason": "test: remove", "confirm": "wrong"},
        headers={**ADMIN, "Idempotency-Key": "remove-wrong"},
    )
    assert r.status_code == 422 and r.json()["code"] == "confirmation_mismatch", r.text
    r = await world.client.post(
        f"/admin/v1/platform/drift/{orphan['id']}/reapply",
        json={"reason": "test: remove", "confirm": ORPHAN_SERVICE},
        headers={**ADMIN, "Idempotency-Key": "remove-orphan"},
    )
    assert (await job_done(world.client, r.json()["id"]))["status"] == "succeeded"
    assert [i for i in await drift_items(world.client) if i["field"] != "health"] == []
    # A gone item can be neither re-applied nor acknowledged: 422, nothing created.
    r = await world.client.post(
        f"/admin/v1/platform/drift/{orphan['id']}/acknowledge",
        json={"reason": "test", "expires_in_s": 3600},
        headers={**ADMIN, "Idempotency-Key": "ack-gone"},
    )
    assert r.status_code == 422 and r.json()["code"] == "preflight_refused", r.text


async def test_acknowledge_and_adopt_are_jobs_and_audited(world: World) -> None:
    await services_and_fleet(world.client)
    items = {(i["category"], i["field"]): i for i in await drift_items(world.client)}
    ack_item = items[("missing", "service")]
    r = await world.client.post(
        f"/admin/v1/platform/drift/{ack_item['id']}/acknowledge",
        json={"reason": "runner-3 comes next sprint", "expires_in_s": 86400},
        headers={**ADMIN, "Idempotency-Key": "ack-1"},
    )
    assert r.status_code == 202, r.text
    assert (await job_done(world.client, r.json()["id"]))["status"] == "succeeded"
    report = (await world.client.get("/admin/v1/platform/drift", headers=ADMIN)).json()
    acked = next(i for i in report["items"] if i["id"] == ack_item["id"])
    assert acked["acknowledged"]["reason"] == "runner-3 comes next sprint"
    assert report["summary"]["acknowledged"] == 1
    assert report["summary"]["by_category"]["missing"] == 0
    # no expiry, or one beyond 90 days: 400 naming the field, no job
    for body in ({"reason": "x"}, {"reason": "x", "expires_in_s": 91 * 86400}):
        bad = await world.client.post(
            f"/admin/v1/platform/drift/{ack_item['id']}/acknowledge",
            json=body,
            headers={**ADMIN, "Idempotency-Key": f"ack-bad-{len(body)}"},
        )
        assert bad.status_code == 400, bad.text
    env_item = items[("config", "env")]
    r = await world.client.post(
        f"/admin/v1/platform/drift/{env_item['id']}/adopt",
        json={"reason": "debug logging is wanted on runner-1"},
        headers={**ADMIN, "Idempotency-Key": "adopt-1"},
    )
    assert (await job_done(world.client, r.json()["id"]))["status"] == "succeeded"
    assert env_item["id"] not in {i["id"] for i in await drift_items(world.client)}
    audit = (await world.client.get("/admin/v1/audit", headers=ADMIN)).json()["items"]
    actions = {(e["action"], e["reason"]) for e in audit}
    assert any("drift.acknowledge" in a and r == "runner-3 comes next sprint" for a, r in actions)
    assert any("drift.adopt" in a for a, _ in actions), actions
