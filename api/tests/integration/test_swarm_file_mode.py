"""The Swarm endpoints, deployment history and deploy/rollback jobs against CONTROL_SWARM_MODE=file
(config/swarm/example.json: real Engine API JSON), with the real nats-server and a real HTTP
annotation receiver. Run: `cd api && uv run pytest tests/swarm` (the real-engine tests in
test_swarm_engine.py need CONTROL_TEST_DOCKER=1)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
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
    AnnotationReceiver,
    health_app,
    isolated_fixture,
)
from tests.support.wait import eventually

ADMIN = bearer("admin")
VIEWER = bearer("viewer")


def swarm_app(
    nats_url: str, secret_file: Path, tmp_path: Path, fixture: Path, **env: str
) -> Litestar:
    # Discovery off unless a test wants it: the example's Gateway (an address nobody answers
    # on) would otherwise join the fleet, and a deploy's playbook would find that tenants placed
    # by other tests (one NATS for the session) do not resolve through it.
    env = {"CONTROL_DEPLOY_HEALTH_TIMEOUT_S": "10", "CONTROL_SWARM_DISCOVERY": "false", **env}
    settings = app_settings(
        nats_url,
        secret_file,
        tmp_path,
        CONTROL_SWARM_MODE="file",
        CONTROL_SWARM_FILE=str(fixture),
        **env,
    )
    return create_app(settings, rights_source=FakeRights())


@pytest.fixture
async def client(
    nats_url: str, secret_file: Path, tmp_path: Path
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    app = swarm_app(nats_url, secret_file, tmp_path, isolated_fixture(tmp_path))
    async with AsyncTestClient(app=app) as c:
        yield c


async def job_done(client: AsyncTestClient[Litestar], job_id: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        job = (await client.get(f"/admin/v1/jobs/{job_id}", headers=ADMIN)).json()
        return job if job["status"] in ("succeeded", "failed", "cancelled", "timed_out") else None

    return await eventually(probe, 60)


def idem() -> dict[str, str]:
    return {**ADMIN, "idempotency-key": uuid.uuid4().hex}


async def test_services_are_normalised_from_engine_json(client: AsyncTestClient[Litestar]) -> None:
    r = await client.get("/admin/v1/swarm/services", headers=VIEWER)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["source"] == "file"
    by_name = {s["service"]: s for s in body["items"]}
    assert len(by_name) == 8
    gw = by_name["platform_gateway"]
    assert gw["stack"] == "platform"
    assert gw["kind"] == "gateway"
    assert (gw["image"], gw["image_tag"]) == ("cloudlysis/gateway", "1.4.2")
    assert gw["git_sha"] and gw["spec_version"] > 0
    assert gw["update_state"] == "completed"
    assert (gw["replicas_desired"], gw["replicas_running"]) == (2, 2)
    assert {t["node"] for t in gw["tasks"]} == {"swarm-manager-1"}
    assert gw["admin_url"] == "http://platform_gateway:8080"
    assert by_name["platform_runner"]["update_state"] == "rollback_completed"
    failed = [t for t in by_name["platform_projection-n-z"]["tasks"] if t["state"] == "failed"]
    assert failed and "unhealthy" in failed[0]["error"]


async def test_service_detail_nodes_and_unknown_service(client: AsyncTestClient[Litestar]) -> None:
    r = await client.get("/admin/v1/swarm/services/control_api", headers=VIEWER)
    assert r.status_code == 200
    assert r.json()["kind"] == "control"
    r = await client.get("/admin/v1/swarm/services/nope", headers=VIEWER)
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"
    r = await client.get("/admin/v1/swarm/nodes", headers=VIEWER)
    assert r.status_code == 200
    node = r.json()["items"][0]
    assert node["hostname"] == "swarm-manager-1" and node["role"] == "manager" and node["leader"]
    assert node["labels"]["cloudlysis.role.platform"] == "true"


async def test_swarm_off_is_503_and_the_rest_keeps_working(
    nats_url: str, secret_file: Path, tmp_path: Path
) -> None:
    app = create_app(app_settings(nats_url, secret_file, tmp_path), rights_source=FakeRights())
    async with AsyncTestClient(app=app) as c:
        for path in ("/admin/v1/swarm/services", "/admin/v1/swarm/nodes", "/admin/v1/deployments/"):
            r = await c.get(path, headers=ADMIN)
            assert r.status_code == 503, path
            assert r.json()["code"] == "swarm_unavailable"
        assert (await c.get("/ready")).status_code == 200
        assert (await c.get("/admin/v1/jobs/", headers=ADMIN)).status_code == 200


async def test_engine_unreachable_is_503_and_ready_stays_200(
    nats_url: str, secret_file: Path, tmp_path: Path
) -> None:
    settings = app_settings(
        nats_url,
        secret_file,
        tmp_path,
        CONTROL_SWARM_MODE="engine",
        CONTROL_DOCKER_HOST=f"unix://{tmp_path}/no-such-docker.sock",
    )
    app = create_app(settings, rights_source=FakeRights())
    async with AsyncTestClient(app=app) as c:
        r = await c.get("/admin/v1/swarm/services", headers=ADMIN)
        assert r.status_code == 503
        assert r.json()["code"] == "swarm_unavailable"
        assert (await c.get("/ready")).status_code == 200
        assert (await c.get("/admin/v1/deployments/", headers=ADMIN)).status_code == 200


async def test_reconcile_records_history_with_redacted_diff(
    client: AsyncTestClient[Litestar],
) -> None:
    services = (await client.get("/admin/v1/swarm/services", headers=VIEWER)).json()["items"]
    ours = {s["id"] for s in services}  # the stream is shared by the session's tests

    async def listed() -> list[dict[str, Any]] | None:
        r = await client.get("/admin/v1/deployments/?limit=500", headers=VIEWER)
        items = [d for d in r.json()["items"] if d["service_id"] in ours]
        return items if len(items) >= 8 else None

    items = await eventually(listed, 20)
    by_service = {d["service"]: d for d in items}
    gw = by_service["platform_gateway"]
    assert gw["status"] == "completed" and gw["kind"] == "update"
    assert gw["from_image"] == "cloudlysis/gateway:1.4.1"
    assert gw["to_image"] == "cloudlysis/gateway:1.4.2"
    assert [e["type"] for e in gw["timeline"]] == ["started", "completed"]
    assert by_service["platform_runner"]["status"] == "rolled_back"
    detail = (await client.get(f"/admin/v1/deployments/{gw['id']}", headers=VIEWER)).json()
    assert detail["changes_available"] is True
    changes = {c["path"]: c for c in detail["changes"]}
    assert changes["image"]["before"] == "cloudlysis/gateway:1.4.1"
    assert changes["env.LOG_LEVEL"] == {
        "path": "env.LOG_LEVEL",
        "change": "changed",
        "before": "<redacted>",
        "after": "<redacted>",
    }
    assert "debug" not in str(detail)
    assert changes["labels.container.cloudlysis.version"]["after"] == "1.4.2"
    r = await client.get(
        "/admin/v1/deployments/?service=platform_runner&status=rolled_back", headers=VIEWER
    )
    found = r.json()["items"]
    assert {d["service"] for d in found} == {"platform_runner"}
    assert by_service["platform_runner"]["id"] in {d["id"] for d in found}
    page = (await client.get("/admin/v1/deployments/?limit=3", headers=VIEWER)).json()
    assert len(page["items"]) == 3 and page["next_cursor"]
    nxt = await client.get(
        f"/admin/v1/deployments/?limit=3&cursor={page['next_cursor']}", headers=VIEWER
    )
    assert {d["id"] for d in nxt.json()["items"]}.isdisjoint({d["id"] for d in page["items"]})
    assert (await client.get("/admin/v1/deployments/d_nope", headers=VIEWER)).status_code == 404


async def test_deploy_and_rollback_jobs_record_deployments_and_annotations(
    nats_url: str, secret_file: Path, tmp_path: Path
) -> None:
    receiver = AnnotationReceiver(fail_first=1)  # the first post fails: retried, not lost
    token = tmp_path / "grafana.token"
    token.write_text("glsa_test_token\n")
    with serve_in_thread(receiver.app()) as grafana_url, serve_in_thread(health_app()) as svc_url:
        app = swarm_app(
            nats_url,
            secret_file,
            tmp_path,
            isolated_fixture(tmp_path, admin_urls={"platform_gateway": svc_url}),
            CONTROL_GRAFANA_URL=grafana_url,
            CONTROL_GRAFANA_TOKEN_FILE=str(token),
        )
        async with AsyncTestClient(app=app) as c:
            runtime = app.state.container
            assert runtime.annotator is not None
            runtime.annotator.base_delay_s = 0.05
            await eventually(lambda: _true(runtime.deployments.watching.is_set()), 20)
            r = await c.post(
                "/admin/v1/swarm/services/platform_gateway/deploy",
                json={"reason": "ship 1.5.0", "confirm": "platform_gateway", "tag": "1.5.0"},
                headers=idem(),
            )
            assert r.status_code == 202, r.text
            job = await job_done(c, r.json()["id"])
            assert job["status"] == "succeeded", (
                job["error"],
                [(s["name"], s.get("output")) for s in job["steps"]],
            )
            assert [s["name"] for s in job["steps"]] == [
                "preflight",
                "update",
                "converge",
                "verify",
            ]
            report = job["steps"][3]["output"]
            assert (report["playbook"], report["ok"]) == ("post_deploy", True)
            checks = {c["check"]: c for c in report["checks"]}
            assert checks["healthy_ready"]["ok"] and checks["tasks_converged"]["ok"]
            assert checks["error_rate"]["detail"].startswith("not measured: no metrics store")
            assert report["to_version"] == "1.5.0" and report["from_version"] == "1.4.2"
            svc = (await c.get("/admin/v1/swarm/services/platform_gateway", headers=VIEWER)).json()
            assert svc["image_tag"] == "1.5.0"

            async def deployed() -> dict[str, Any] | None:
                items = (
                    await c.get("/admin/v1/deployments/?service=platform_gateway", headers=VIEWER)
                ).json()["items"]
                mine = [d for d in items if d["job_id"] == job["id"] and d["status"] == "completed"]
                return mine[0] if mine else None

            dep = await deployed()
            dep = dep or await eventually(deployed, 20)
            assert dep["to_image"] == "cloudlysis/gateway:1.5.0"
            assert dep["version"] == "1.5.0"

            r = await c.post(
                "/admin/v1/swarm/services/platform_gateway/rollback",
                json={"reason": "1.5.0 misbehaves", "confirm": "platform_gateway"},
                headers=idem(),
            )
            assert r.status_code == 202, r.text
            rb = await job_done(c, r.json()["id"])
            assert rb["status"] == "succeeded", rb

            async def rolled() -> dict[str, Any] | None:
                items = (
                    await c.get(
                        "/admin/v1/deployments/?service=platform_gateway&kind=rollback",
                        headers=VIEWER,
                    )
                ).json()["items"]
                mine = [
                    d for d in items if d["job_id"] == rb["id"] and d["status"] == "rolled_back"
                ]
                return mine[0] if mine else None

            rolled_back = await eventually(rolled, 20)
            assert rolled_back["to_image"] == "cloudlysis/gateway:1.4.2"
            metrics = (await c.get("/metrics")).text
            assert (
                'control_deployments_total{outcome="completed",service="platform_gateway"}'
                in metrics
            )
            assert (
                'control_deployments_total{outcome="rolled_back",service="platform_gateway"}'
                in metrics
            )

            async def annotated() -> list[dict[str, Any]] | None:
                tags = [a["tags"] for a in receiver.accepted]
                jobs = [t for t in tags if f"job:{job['id']}" in t or f"job:{rb['id']}" in t]
                return jobs if len(jobs) == 2 else None

            tagged = await eventually(annotated, 20)
            assert not receiver.invalid
            assert receiver.requests > len(receiver.accepted)  # the failed one was retried
            assert set(receiver.auth) == {"Bearer glsa_test_token"}
            deploy_tags = next(t for t in tagged if f"job:{job['id']}" in t)
            assert {"deploy", "service:platform_gateway", "stack:platform", "version:1.5.0"} <= set(
                deploy_tags
            )
            region = next(a for a in receiver.accepted if f"job:{job['id']}" in a["tags"])
            assert region["timeEnd"] >= region["time"] > 0
            audit = (await c.get(f"/admin/v1/audit/?job_id={job['id']}", headers=ADMIN)).json()
            assert "job.create.service.deploy" in {e["action"] for e in audit["items"]}


async def _true(value: bool) -> bool:
    return value


async def test_deploy_is_refused_without_confirmation_reason_or_right(
    client: AsyncTestClient[Litestar],
) -> None:
    url = "/admin/v1/swarm/services/platform_gateway/deploy"
    r = await client.post(
        url, json={"reason": "x", "confirm": "gateway", "tag": "9"}, headers=idem()
    )
    # Well-formed, but the confirmation does not repeat the name: the world refuses it (422).
    assert r.status_code == 422
    assert r.json()["code"] == "confirmation_mismatch" and "confirm" in r.json()["detail"]
    r = await client.post(
        url, json={"reason": " ", "confirm": "platform_gateway", "tag": "9"}, headers=idem()
    )
    assert r.status_code == 400
    r = await client.post(
        url, json={"reason": "x", "confirm": "platform_gateway", "tag": "9"}, headers=ADMIN
    )
    assert r.json()["code"] == "idempotency_key_missing"
    r = await client.post(
        url,
        json={"reason": "x", "confirm": "platform_gateway", "tag": "9", "image": "a:b"},
        headers=idem(),
    )
    assert r.status_code == 422 and r.json()["code"] == "params_invalid"  # image or tag
    r = await client.post(
        url,
        json={"reason": "x", "confirm": "platform_gateway", "tag": "9"},
        headers={**VIEWER, "idempotency-key": "k1"},
    )
    assert r.status_code == 403
    assert r.json()["missing_right"] == "control.deployments.operate"
    r = await client.post(
        "/admin/v1/swarm/services/nope/deploy",
        json={"reason": "x", "confirm": "nope", "tag": "9"},
        headers=idem(),
    )
    assert r.status_code == 422 and r.json()["code"] == "preflight_refused"
    r = await client.post(
        "/admin/v1/swarm/services/platform_gateway/rollback",
        json={"reason": "x", "confirm": "platform_gateway", "to_spec_version": 1},
        headers=idem(),
    )
    assert r.status_code == 422 and "no recorded spec version" in r.json()["detail"]
    jobs = (await client.get("/admin/v1/jobs/?kind=service.deploy", headers=ADMIN)).json()["items"]
    assert all(j["params"]["service"] != "nope" for j in jobs)


async def test_preflight_refuses_a_service_that_is_updating(
    nats_url: str, secret_file: Path, tmp_path: Path
) -> None:
    fixture = isolated_fixture(tmp_path, platform_runner="updating")
    app = swarm_app(nats_url, secret_file, tmp_path, fixture)
    async with AsyncTestClient(app=app) as c:
        r = await c.post(
            "/admin/v1/swarm/services/platform_runner/deploy",
            json={"reason": "x", "confirm": "platform_runner", "tag": "0.8.1"},
            headers=idem(),
        )
        assert r.status_code == 422
        body = r.json()
        assert body["code"] == "preflight_refused"
        assert [f["check"] for f in body["failures"]] == ["not_updating"]
        audit = (
            await c.get(
                "/admin/v1/audit/",
                params={"action": "job.create.service.deploy", "outcome": "refused"},
                headers=ADMIN,
            )
        ).json()["items"]
        # One refusal shape for every kind: action job.create.<kind>, target job:<id>.
        assert any(
            e["target"].startswith("job:j_")
            and e["detail"]["params"]["service"] == "platform_runner"
            and e["detail"]["failures"][0]["check"] == "not_updating"
            for e in audit
        ), audit


async def test_a_deploy_that_fails_its_health_check_is_rolled_back(
    nats_url: str, secret_file: Path, tmp_path: Path
) -> None:
    with serve_in_thread(health_app(ready_status=503)) as svc_url:
        fixture = isolated_fixture(tmp_path, admin_urls={"platform_runner": svc_url})
        app = swarm_app(
            nats_url, secret_file, tmp_path, fixture, CONTROL_DEPLOY_HEALTH_TIMEOUT_S="2"
        )
        async with AsyncTestClient(app=app) as c:
            r = await c.post(
                "/admin/v1/swarm/services/platform_runner/deploy",
                json={"reason": "try 0.8.1", "confirm": "platform_runner", "tag": "0.8.1"},
                headers=idem(),
            )
            assert r.status_code == 202, r.text
            job = await job_done(c, r.json()["id"])
            assert job["status"] == "failed"
            verify = job["steps"][3]
            assert verify["error"]["code"] == "deploy_failed_rolled_back"
            assert verify["output"]["rolled_back"] is True
            checks = {c["check"]: c for c in verify["output"]["checks"]}
            assert checks["healthy_ready"]["ok"] is False
            assert checks["healthy_ready"]["value"] == "health 200, ready 503"
            svc = (await c.get("/admin/v1/swarm/services/platform_runner", headers=VIEWER)).json()
            assert (svc["image_tag"], svc["update_state"]) == ("0.7.3", "rollback_completed")


async def test_swarm_services_with_kind_and_admin_labels_join_the_fleet(
    nats_url: str, secret_file: Path, tmp_path: Path
) -> None:
    with serve_in_thread(health_app()) as svc_url:
        fixture = isolated_fixture(tmp_path, admin_urls={"platform_aggregate-a-m": svc_url})
        app = swarm_app(
            nats_url,
            secret_file,
            tmp_path,
            fixture,
            CONTROL_SWARM_DISCOVERY="true",
            CONTROL_SWARM_DISCOVERY_INTERVAL_S="1",
        )
        async with AsyncTestClient(app=app) as c:

            async def discovered() -> dict[str, Any] | None:
                snap = (await c.get("/admin/v1/fleet/", headers=VIEWER)).json()
                found = {i["instance"]: i for i in snap["instances"]}
                agg = found.get("platform_aggregate-a-m")
                return found if agg is not None and agg["health"] == "ok" else None

            found = await eventually(discovered, 30)
            agg = found["platform_aggregate-a-m"]
            assert (agg["kind"], agg["service"], agg["shard"]) == ("aggregate", "aggregate", "a-m")
            assert agg["url"] == svc_url
            # services without an admin address (the UI) are not fleet instances
            assert "control_ui" not in found
            assert found["platform_gateway"]["url"] == "http://platform_gateway:8080"


async def test_a_second_job_on_the_same_service_is_refused_while_the_first_holds_its_lock(
    nats_url: str, secret_file: Path, tmp_path: Path
) -> None:
    with serve_in_thread(health_app(ready_status=503)) as svc_url:
        fixture = isolated_fixture(tmp_path, admin_urls={"platform_runner": svc_url})
        app = swarm_app(
            nats_url, secret_file, tmp_path, fixture, CONTROL_DEPLOY_HEALTH_TIMEOUT_S="5"
        )
        async with AsyncTestClient(app=app) as c:
            url = "/admin/v1/swarm/services/platform_runner/deploy"
            first = await c.post(
                url,
                json={"reason": "first", "confirm": "platform_runner", "tag": "0.8.1"},
                headers=idem(),
            )
            assert first.status_code == 202, first.text

            async def verifying() -> bool:
                job = (await c.get(f"/admin/v1/jobs/{first.json()['id']}", headers=ADMIN)).json()
                return job["steps"][3]["status"] == "running"

            await eventually(verifying, 20, interval=0.05)
            second = await c.post(
                "/admin/v1/swarm/services/platform_runner/rollback",
                json={"reason": "second", "confirm": "platform_runner"},
                headers=idem(),
            )
            assert second.status_code == 409, second.text
            assert second.json()["code"] == "lock_held"
            assert second.json()["job_id"] == first.json()["id"]
            assert (await job_done(c, first.json()["id"]))["status"] == "failed"


async def test_a_deploy_of_an_image_the_engine_cannot_resolve_is_refused_before_any_job(
    client: AsyncTestClient[Litestar],
) -> None:
    url = "/admin/v1/swarm/services/platform_gateway/deploy"
    r = await client.post(
        url,
        json={"reason": "typo", "confirm": "platform_gateway", "tag": "1.4.99"},
        headers=idem(),
    )
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "preflight_refused"
    assert "cloudlysis/gateway:1.4.99" in body["detail"]
    [failure] = body["failures"]
    assert failure["check"] == "image_exists" and failure["value"] == "cloudlysis/gateway:1.4.99"
    # the same with a full reference; an image another service runs, or one the fixture's
    # registry lists, is accepted
    r = await client.post(
        url,
        json={"reason": "typo", "confirm": "platform_gateway", "image": "cloudlysis/gatway:1.4.2"},
        headers=idem(),
    )
    assert r.status_code == 422 and r.json()["failures"][0]["check"] == "image_exists"
    jobs = (await client.get("/admin/v1/jobs/?kind=service.deploy", headers=ADMIN)).json()
    assert not [j for j in jobs["items"] if j["params"].get("tag") == "1.4.99"]
    svc = (await client.get("/admin/v1/swarm/services/platform_gateway", headers=VIEWER)).json()
    assert svc["image_tag"] == "1.4.2"


async def test_the_deploy_plan_shows_what_will_change_and_changes_nothing(
    client: AsyncTestClient[Litestar],
) -> None:
    url = "/admin/v1/swarm/services/platform_runner/deploy/plan"
    before = (await client.get("/admin/v1/swarm/services/platform_runner", headers=VIEWER)).json()
    r = await client.post(url, json={"tag": "0.8.1", "git_sha": "abcdef1"}, headers=ADMIN)
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["failures"] == [] and plan["changes_available"] is True
    assert (plan["from_image"], plan["to_image"]) == (
        f"cloudlysis/runner:{before['image_tag']}",
        "cloudlysis/runner:0.8.1",
    )
    assert plan["spec_version"] == before["spec_version"]
    changes = {c["path"]: c for c in plan["changes"]}
    assert changes["image"]["after"] == "cloudlysis/runner:0.8.1"
    # the version labels the deploy keeps true are part of what changes; the job label is not
    assert any(p.startswith("labels.") and "version" in p for p in changes), changes
    assert not [p for p in changes if "cloudlysis.control.job" in p]
    # the verdict comes with the plan: an unknown tag, a bad body, a missing service, a viewer
    r = await client.post(url, json={"tag": "0.0.0-nope"}, headers=ADMIN)
    assert r.status_code == 200 and r.json()["failures"][0]["check"] == "image_exists"
    r = await client.post(url, json={"tag": "0.8.1", "image": "a:b"}, headers=ADMIN)
    assert r.status_code == 422 and r.json()["code"] == "params_invalid"
    r = await client.post(url, json={"tag": "0.8.1", "confirm": "x"}, headers=ADMIN)
    assert r.status_code == 400  # unknown field
    r = await client.post(
        "/admin/v1/swarm/services/nope/deploy/plan", json={"tag": "1"}, headers=ADMIN
    )
    assert r.status_code == 404
    r = await client.post(url, json={"tag": "0.8.1"}, headers=VIEWER)
    assert r.status_code == 403
    after = (await client.get("/admin/v1/swarm/services/platform_runner", headers=VIEWER)).json()
    assert after["spec_version"] == before["spec_version"]
    assert after["image_tag"] == before["image_tag"]


async def test_the_rollback_plan_diffs_against_the_spec_it_lands_on(
    nats_url: str, secret_file: Path, tmp_path: Path
) -> None:
    with serve_in_thread(health_app()) as svc_url:
        fixture = isolated_fixture(tmp_path, admin_urls={"platform_runner": svc_url})
        app = swarm_app(nats_url, secret_file, tmp_path, fixture)
        async with AsyncTestClient(app=app) as client:
            await _rollback_plan(client)


async def _rollback_plan(client: AsyncTestClient[Litestar]) -> None:
    url = "/admin/v1/swarm/services/platform_runner/rollback/plan"
    r = await client.post(url, json={}, headers=ADMIN)
    assert r.status_code == 200, r.text
    plan = r.json()
    if plan["changes_available"]:
        assert plan["to_image"] and plan["failures"] == []
    else:
        assert plan["failures"][0]["check"] == "previous_spec"
    r = await client.post(
        "/admin/v1/swarm/services/platform_runner/deploy",
        json={"reason": "for the plan", "confirm": "platform_runner", "tag": "0.8.1"},
        headers=idem(),
    )
    assert r.status_code == 202, r.text
    job = await job_done(client, r.json()["id"])
    assert job["status"] == "succeeded", (
        job["error"],
        [(s["name"], s.get("output")) for s in job["steps"]],
    )
    plan = (await client.post(url, json={}, headers=ADMIN)).json()
    assert plan["changes_available"] is True
    assert plan["from_image"] == "cloudlysis/runner:0.8.1"
    image = next(c for c in plan["changes"] if c["path"] == "image")
    assert image["before"] == "cloudlysis/runner:0.8.1" and image["after"] == plan["to_image"]
    r = await client.post(url, json={"to_spec_version": 999999}, headers=ADMIN)
    assert r.status_code == 422 and "no recorded spec version" in r.json()["detail"]
