"""Drift against the real Docker engine (gated on CONTROL_TEST_DOCKER=1, like test_swarm_engine.py).

A stack is deployed with `docker stack deploy`; then, by hand with the docker CLI, an image is
changed, a service scaled down, an env var edited, a service removed, an orphan added and a task
made to crash-loop. The drift endpoint reports each with its category from one observation, and
re-applying through the items' own remedies clears them.
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
from tests.support.settings import app_settings
from tests.support.swarm import TEST_IMAGE, docker, ensure_test_images
from tests.support.wait import eventually

pytestmark = [
    pytest.mark.docker,
    pytest.mark.skipif(
        os.environ.get("CONTROL_TEST_DOCKER") != "1",
        reason="needs a Docker swarm manager: set CONTROL_TEST_DOCKER=1",
    ),
]

ADMIN = bearer("admin")
SECRET = "drift-secret-value-never-shown"
STACK_FILE = """
x-app: &app
  image: {image}:v1
  environment:
    LOG_LEVEL: info
    API_TOKEN: {secret}
  deploy:
    replicas: 1
    restart_policy: {{condition: any, delay: 1s, max_attempts: 0}}
    update_config: {{order: stop-first, delay: 0s, monitor: 2s, failure_action: pause}}
    resources: {{limits: {{memory: 32M}}}}
services:
  api: *app
  cfg: *app
  gone: *app
  crashy: *app
  web:
    <<: *app
    deploy:
      replicas: 2
      restart_policy: {{condition: any, delay: 1s, max_attempts: 0}}
      update_config: {{order: stop-first, delay: 0s, monitor: 2s, failure_action: pause}}
      resources: {{limits: {{memory: 32M}}}}
"""


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    ensure_test_images()
    name = f"cstestdrift{uuid.uuid4().hex[:6]}"
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    path = stacks / f"{name}.yml"
    path.write_text(STACK_FILE.format(image=TEST_IMAGE, secret=SECRET))
    docker("stack", "deploy", "-c", str(path), name)
    try:
        yield name, stacks
    finally:
        docker("stack", "rm", name, check=False)
        docker("service", "rm", f"{name}_orphan", check=False)


@pytest.fixture
async def client(
    nats_url: str, secret_file: Path, tmp_path: Path, stack: tuple[str, Path]
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    settings = app_settings(
        nats_url,
        secret_file,
        tmp_path,
        CONTROL_SWARM_MODE="engine",
        CONTROL_SWARM_DISCOVERY="false",
        CONTROL_DRIFT_STACKS_DIR=str(stack[1]),
        CONTROL_DRIFT_INTERVAL_S="1",
        CONTROL_DEPLOY_HEALTH_TIMEOUT_S="60",
    )
    app = create_app(settings, rights_source=FakeRights())
    async with AsyncTestClient(app=app) as c:
        yield c


async def _drift(client: AsyncTestClient[Litestar]) -> dict[str, Any]:
    r = await client.get("/admin/v1/platform/drift", headers=ADMIN)
    assert r.status_code == 200, r.text
    assert SECRET not in r.text  # env values are only ever hashes
    report: dict[str, Any] = r.json()
    return report


def _keys(report: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(i["category"], i["service"], i["field"]) for i in report["items"]}


async def _job(client: AsyncTestClient[Litestar], job_id: str) -> dict[str, Any]:
    async def done() -> dict[str, Any] | None:
        job = (await client.get(f"/admin/v1/jobs/{job_id}", headers=ADMIN)).json()
        return job if job["status"] in ("succeeded", "failed", "cancelled", "timed_out") else None

    return await eventually(done, 180, interval=0.5)


async def test_hand_made_changes_are_drift_and_reapply_clears_them(
    client: AsyncTestClient[Litestar], stack: tuple[str, Path]
) -> None:
    name, _ = stack

    async def converged() -> dict[str, Any] | None:
        report = await _drift(client)
        return report if report["items"] == [] else None

    agreeing = await eventually(converged, 120, interval=1)
    assert agreeing["stacks"] == [name] and agreeing["source"] == "engine"

    s = lambda n: f"{name}_{n}"  # noqa: E731
    docker("service", "update", "-d", "--image", f"{TEST_IMAGE}:v2", s("api"))
    docker("service", "scale", "-d", f"{s('web')}=1")
    docker("service", "update", "-d", "--env-add", "LOG_LEVEL=debug", s("cfg"))
    docker("service", "rm", s("gone"))
    docker(
        "service", "create", "-d", "-q", "--name", s("orphan"),
        "--label", f"com.docker.stack.namespace={name}", f"{TEST_IMAGE}:v1",
    )  # fmt: skip
    docker(
        "service", "update", "-d", "--image", f"{TEST_IMAGE}:bad",
        "--restart-delay", "1s", "--update-failure-action", "continue", s("crashy"),
    )  # fmt: skip
    expected = {
        ("version", s("api"), "image"),
        ("unhealthy", s("web"), "replicas"),
        ("config", s("cfg"), "env"),
        ("missing", s("gone"), "service"),
        ("extra", s("orphan"), "service"),
        ("version", s("crashy"), "image"),
        ("unhealthy", s("crashy"), "crash_loop"),
    }

    async def all_seen() -> dict[str, Any] | None:
        report = await _drift(client)
        return report if expected <= _keys(report) else None

    report = await eventually(all_seen, 180, interval=1)
    print("drift after hand edits:", sorted(_keys(report)))
    items = {(i["category"], i["service"], i["field"]): i for i in report["items"]}
    assert items[("version", s("api"), "image")]["observed"].startswith(f"{TEST_IMAGE}:v2")
    assert items[("unhealthy", s("web"), "replicas")]["desired"] == "2"
    assert "LOG_LEVEL" in items[("config", s("cfg"), "env")]["detail"]

    # Re-apply through each item's own remedy.
    api = items[("version", s("api"), "image")]
    deploy = next(r for r in api["remedies"] if r["kind"] == "reapply")
    assert deploy["job_kind"] == "service.deploy"
    r = await client.post(
        f"/admin/v1/swarm/services/{s('api')}/deploy",
        json={
            "image": deploy["params"]["image"],
            "reason": "drift test: re-apply",
            "confirm": s("api"),
        },
        headers={**ADMIN, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert r.status_code == 202, r.text
    done = await _job(client, r.json()["id"])
    assert done["status"] == "succeeded", done
    for key in [
        ("unhealthy", s("web"), "replicas"),
        ("config", s("cfg"), "env"),
        ("missing", s("gone"), "service"),
        ("extra", s("orphan"), "service"),
    ]:
        item = items[key]
        r = await client.post(
            f"/admin/v1/platform/drift/{item['id']}/reapply",
            json={"reason": "drift test: re-apply", "confirm": item["service"]},
            headers={**ADMIN, "Idempotency-Key": uuid.uuid4().hex},
        )
        assert r.status_code == 202, r.text
        done = await _job(client, r.json()["id"])
        assert done["status"] == "succeeded", (key, done)

    async def only_crashy_left() -> dict[str, Any] | None:
        report = await _drift(client)
        return report if {k[1] for k in _keys(report)} <= {s("crashy")} else None

    await eventually(only_crashy_left, 120, interval=1)
