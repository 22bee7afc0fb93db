"""Against the real Docker engine (a swarm manager): gated on CONTROL_TEST_DOCKER=1.

Run: `cd api && CONTROL_TEST_DOCKER=1 uv run pytest tests/swarm` on a machine where `docker info`
shows `Swarm: active` (`.ci/run` starts dockerd and runs `docker swarm init --advertise-addr
127.0.0.1`). Test images are built locally (no registry; see swarm_support.ensure_test_images).
Every service is named `cstest-…` and removed in teardown.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from cloudlysis_control.bootstrap.app import create_app
from tests.support.auth import FakeRights, bearer
from tests.support.net import serve_in_thread
from tests.support.settings import app_settings
from tests.support.swarm import (
    TEST_IMAGE,
    AnnotationReceiver,
    docker,
    ensure_test_images,
)
from tests.support.wait import eventually

pytestmark = [
    pytest.mark.docker,
    pytest.mark.skipif(
        os.environ.get("CONTROL_TEST_DOCKER") != "1",
        reason="needs a Docker swarm manager: set CONTROL_TEST_DOCKER=1",
    ),
]

ADMIN = bearer("admin")


def idem() -> dict[str, str]:
    return {**ADMIN, "idempotency-key": uuid.uuid4().hex}


@pytest.fixture(scope="module")
def images() -> None:
    ensure_test_images()


@pytest.fixture
def service(images: None) -> Iterator[str]:
    name = f"cstest-dep-{uuid.uuid4().hex[:8]}"
    docker(
        "service", "create", "-d", "-q", "--name", name,
        "--label", "com.docker.stack.namespace=cstest",
        "--label", "cloudlysis.kind=runner",
        "--container-label", "cloudlysis.version=v1",
        "--container-label", "cloudlysis.git_sha=0000000",
        "--env", "LOG_LEVEL=info", "--env", "API_TOKEN=not-for-your-eyes",
        "--replicas", "1",
        "--update-order", "stop-first", "--update-delay", "0s", "--update-monitor", "2s",
        "--update-failure-action", "pause",
        "--rollback-monitor", "2s", "--rollback-delay", "0s",
        "--health-cmd", "wget -qO- http://127.0.0.1:8080/health", "--health-interval", "1s",
        "--limit-memory", "32M",
        f"{TEST_IMAGE}:v1",
    )  # fmt: skip
    try:
        yield name
    finally:
        docker("service", "rm", name, check=False)


@pytest.fixture
async def engine_app(
    nats_url: str, secret_file: Path, tmp_path: Path
) -> AsyncIterator[tuple[AsyncTestClient[Litestar], AnnotationReceiver]]:
    receiver = AnnotationReceiver()
    with serve_in_thread(receiver.app()) as grafana_url:
        settings = app_settings(
            nats_url,
            secret_file,
            tmp_path,
            CONTROL_SWARM_MODE="engine",
            CONTROL_GRAFANA_URL=grafana_url,
            CONTROL_DEPLOY_HEALTH_TIMEOUT_S="60",
        )
        app = create_app(settings, rights_source=FakeRights())
        async with AsyncTestClient(app=app) as client:
            await eventually(lambda: _ready(app), 30)
            yield client, receiver


async def _ready(app: Litestar) -> bool:
    return bool(app.state.container.deployments.watching.is_set())


async def _service(client: AsyncTestClient[Litestar], name: str) -> dict[str, Any]:
    r = await client.get(f"/admin/v1/swarm/services/{name}", headers=ADMIN)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def _job(client: AsyncTestClient[Litestar], job_id: str) -> dict[str, Any]:
    async def done() -> dict[str, Any] | None:
        job = (await client.get(f"/admin/v1/jobs/{job_id}", headers=ADMIN)).json()
        return job if job["status"] in ("succeeded", "failed", "cancelled", "timed_out") else None

    return await eventually(done, 180, interval=0.5)


async def _deployment(client: AsyncTestClient[Litestar], name: str, **want: Any) -> dict[str, Any]:
    async def find() -> dict[str, Any] | None:
        r = await client.get(f"/admin/v1/deployments/?service={name}", headers=ADMIN)
        for d in r.json()["items"]:
            if all(d.get(k) == v for k, v in want.items()):
                return d  # type: ignore[no-any-return]
        return None

    return await eventually(find, 120, interval=0.5)


async def _converged(client: AsyncTestClient[Litestar], name: str) -> dict[str, Any]:
    async def ok() -> dict[str, Any] | None:
        s = await _service(client, name)
        return s if s["replicas_running"] == s["replicas_desired"] == 1 else None

    return await eventually(ok, 120, interval=0.5)


async def test_deploy_and_rollback_through_the_api_are_recorded_and_annotated(
    engine_app: tuple[AsyncTestClient[Litestar], AnnotationReceiver], service: str
) -> None:
    client, receiver = engine_app
    s = await _converged(client, service)
    assert (s["image"], s["image_tag"], s["stack"], s["kind"]) == (
        TEST_IMAGE,
        "v1",
        "cstest",
        "runner",
    )
    assert s["git_sha"] == "0000000" and s["tasks"][0]["node"]

    r = await client.post(
        f"/admin/v1/swarm/services/{service}/deploy",
        json={"reason": "ship v2", "confirm": service, "tag": "v2", "git_sha": "abcdef1"},
        headers=idem(),
    )
    assert r.status_code == 202, r.text
    job = await _job(client, r.json()["id"])
    assert job["status"] == "succeeded", job["steps"]
    s = await _service(client, service)
    assert (s["image_tag"], s["update_state"], s["git_sha"]) == ("v2", "completed", "abcdef1")
    dep = await _deployment(client, service, job_id=job["id"], status="completed")
    assert dep["to_image"] == f"{TEST_IMAGE}:v2" and dep["from_image"] == f"{TEST_IMAGE}:v1"
    detail = (await client.get(f"/admin/v1/deployments/{dep['id']}", headers=ADMIN)).json()
    paths = {c["path"] for c in detail["changes"]}
    assert {
        "image",
        "labels.container.cloudlysis.version",
        "labels.container.cloudlysis.git_sha",
    } <= paths
    assert "not-for-your-eyes" not in str(detail)

    r = await client.post(
        f"/admin/v1/swarm/services/{service}/rollback",
        json={"reason": "v2 regressed", "confirm": service},
        headers=idem(),
    )
    assert r.status_code == 202, r.text
    rb = await _job(client, r.json()["id"])
    assert rb["status"] == "succeeded", rb["steps"]
    assert (await _service(client, service))["image_tag"] == "v1"
    back = await _deployment(client, service, job_id=rb["id"], status="rolled_back")
    assert back["kind"] == "rollback" and back["to_image"] == f"{TEST_IMAGE}:v1"

    async def annotations() -> list[dict[str, Any]] | None:
        mine = [a for a in receiver.accepted if f"service:{service}" in a["tags"]]
        return mine if len(mine) >= 2 else None

    marks = await eventually(annotations, 30)
    assert not receiver.invalid
    tags = [set(a["tags"]) for a in marks]
    assert any({"deploy", "stack:cstest", "version:v2", f"job:{job['id']}"} <= t for t in tags)
    assert any(f"job:{rb['id']}" in t for t in tags)
    assert all(a["timeEnd"] >= a["time"] for a in marks)
    metrics = (await client.get("/metrics")).text
    assert f'control_deployments_total{{outcome="completed",service="{service}"}} 1.0' in metrics


async def test_an_update_made_outside_the_api_is_recorded_from_events(
    engine_app: tuple[AsyncTestClient[Litestar], AnnotationReceiver], service: str
) -> None:
    client, _ = engine_app
    await _converged(client, service)
    docker("service", "update", "-d", "-q", "--image", f"{TEST_IMAGE}:v2", service)
    dep = await _deployment(client, service, to_image=f"{TEST_IMAGE}:v2", status="completed")
    assert dep["job_id"] is None
    assert [e["type"] for e in dep["timeline"]] == ["started", "completed"]


async def test_a_tag_the_engine_cannot_resolve_is_refused_and_a_local_one_is_planned(
    engine_app: tuple[AsyncTestClient[Litestar], AnnotationReceiver], service: str
) -> None:
    client, _ = engine_app
    await _converged(client, service)
    r = await client.post(
        f"/admin/v1/swarm/services/{service}/deploy",
        json={"reason": "a typo", "confirm": service, "tag": "v9-does-not-exist"},
        headers=idem(),
    )
    assert r.status_code == 422, r.text
    [failure] = r.json()["failures"]
    assert failure["check"] == "image_exists"
    assert failure["value"] == f"{TEST_IMAGE}:v9-does-not-exist"
    plan = await client.post(
        f"/admin/v1/swarm/services/{service}/deploy/plan", json={"tag": "v2"}, headers=ADMIN
    )
    assert plan.status_code == 200, plan.text
    body = plan.json()
    assert body["failures"] == []
    assert body["to_image"] == f"{TEST_IMAGE}:v2"
    assert {"path": "image", "change": "changed"}.items() <= next(
        c for c in body["changes"] if c["path"] == "image"
    ).items()
    assert (await _service(client, service))["image_tag"] == "v1"


async def test_a_deploy_that_does_not_converge_is_rolled_back(
    engine_app: tuple[AsyncTestClient[Litestar], AnnotationReceiver], service: str
) -> None:
    client, _ = engine_app
    await _converged(client, service)
    r = await client.post(
        f"/admin/v1/swarm/services/{service}/deploy",
        json={
            "reason": "try a broken build",
            "confirm": service,
            "tag": "bad",
            "health_timeout_s": 60,
        },
        headers=idem(),
    )
    assert r.status_code == 202, r.text
    job = await _job(client, r.json()["id"])
    assert job["status"] == "failed"
    converge = job["steps"][2]
    assert converge["error"]["code"] == "deploy_failed_rolled_back", converge
    assert converge["output"]["rolled_back"] is True
    s = await _service(client, service)
    assert (s["image_tag"], s["update_state"]) == ("v1", "rollback_completed")
    # the paused update and the job's rollback are one deployment
    dep = await _deployment(client, service, to_image=f"{TEST_IMAGE}:bad", status="rolled_back")
    types = [e["type"] for e in dep["timeline"]]
    assert types == ["started", "paused", "rollback_started", "rollback_completed"], types
    assert dep["job_id"] == job["id"]


async def test_two_replicas_record_count_and_annotate_a_deployment_once(
    nats_url: str, secret_file: Path, tmp_path: Path, service: str
) -> None:
    receiver = AnnotationReceiver()
    with serve_in_thread(receiver.app()) as grafana_url:
        apps = [
            create_app(
                app_settings(
                    nats_url,
                    secret_file,
                    tmp_path / f"r{i}",
                    CONTROL_SWARM_MODE="engine",
                    CONTROL_GRAFANA_URL=grafana_url,
                ),
                rights_source=FakeRights(),
            )
            for i in range(2)
        ]
        async with AsyncTestClient(app=apps[0]) as a, AsyncTestClient(app=apps[1]) as b:
            for app in apps:
                await eventually(lambda app=app: _ready(app), 30)
            await _converged(a, service)
            docker("service", "update", "-d", "-q", "--image", f"{TEST_IMAGE}:v2", service)
            seen = [
                await _deployment(c, service, to_image=f"{TEST_IMAGE}:v2", status="completed")
                for c in (a, b)
            ]
            assert seen[0]["id"] == seen[1]["id"]

            async def annotated() -> list[dict[str, Any]] | None:
                mine = [x for x in receiver.accepted if f"service:{service}" in x["tags"]]
                return mine or None

            await eventually(annotated, 30)
            # both replicas had every chance to send theirs: a second one would be here by now
            await _deployment(b, service, to_image=f"{TEST_IMAGE}:v2", status="completed")
            for app in apps:
                annotator = app.state.container.annotator
                assert annotator is not None
                await annotator.drain()
            assert len([x for x in receiver.accepted if f"service:{service}" in x["tags"]]) == 1
            counted = 0.0
            for c in (a, b):
                for line in (await c.get("/metrics")).text.splitlines():
                    if line.startswith("control_deployments_total{") and f'"{service}"' in line:
                        counted += float(line.rsplit(" ", 1)[1])
            assert counted == 1.0
            # a deploy job run by one replica is linked to its deployment in both replicas'
            # history, whichever wrote the record (the job labels the spec it writes)
            r = await a.post(
                f"/admin/v1/swarm/services/{service}/deploy",
                json={"reason": "back to v1", "confirm": service, "tag": "v1"},
                headers=idem(),
            )
            assert r.status_code == 202, r.text
            job = await _job(a, r.json()["id"])
            assert job["status"] == "succeeded", job["steps"]
            for c in (a, b):
                await _deployment(c, service, job_id=job["id"], status="completed")
