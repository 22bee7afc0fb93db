"""T7.2/T7.3: the stacks really deploy. control.yml + platform.yml + observability.yml with the
devfleet standing in for the platform images and the CI override for this kernel (no IPVS),
on images built here without a registry. Checked from outside, the way an operator would:
the API is ready, the UI is served with its security headers, VictoriaMetrics holds samples
vmagent scraped from the API and every devfleet service, the control plane sees the whole
fleet healthy and serves placement. Then the stack is removed and nothing of it is left."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import httpx

from tests.support.smoke import (
    NOT_RUNNING,
    PLATFORM,
    RUNNING,
    Stack,
    docker,
)
from tests.support.sse import events_sync
from tests.support.ui_headers import api_ui_headers, ui_headers
from tests.support.wait import eventually_sync as eventually
from tests.swarm_smoke.conftest import remove_stack

SCRAPE_TIMEOUT_S = 180  # discovery every 30 s + scrape every 15 s, after the tasks are up
FLEET_TIMEOUT_S = 90
JOB_TIMEOUT_S = 120


def _token(stack: Stack, principal: str = "admin") -> str:
    r = httpx.post(
        f"{stack.gateway_url}/auth/v1/dev-login", json={"principal": principal}, timeout=10
    )
    assert r.status_code == 200, r.text
    token: str = r.json()["access_token"]
    return token


def _admin_get(stack: Stack, path: str) -> Any:
    """An admin endpoint the way the browser reaches it: through the UI's published port."""
    r = httpx.get(
        f"{stack.ui_url}{path}", headers={"authorization": f"Bearer {_token(stack)}"}, timeout=15
    )
    assert r.status_code == 200, f"GET {path}: {r.status_code} {r.text[:500]}"
    return r.json()


def test_every_service_runs_healthy_and_the_unbuildable_ones_are_scaled_to_zero(
    stack: Stack,
) -> None:
    services = stack.services()
    assert set(services) == {*RUNNING, *NOT_RUNNING}
    for name in RUNNING:
        assert services[name]["Replicas"].startswith("1/1"), (name, services[name])
    for name in NOT_RUNNING:
        assert services[name]["Replicas"].startswith("0/0"), (name, services[name])
    containers = stack.containers()
    assert set(containers) == set(RUNNING)
    for name, statuses in containers.items():
        assert len(statuses) == 1 and "(healthy)" in statuses[0], (name, statuses)


def test_the_images_built_here_run_as_the_users_they_declare(stack: Stack) -> None:
    """Non-root where the Dockerfiles say so; vmagent stays root like upstream (it reads the
    node's Docker socket for discovery)."""
    expected = {
        "api": "10001",
        "ui": "10001",
        "gateway": "10001",  # the devfleet runs in the API image
        "nats-1": "10002",
        "node-exporter": "65534",
        "vmagent": "0",
    }
    users = {name: stack.exec(name, "id", "-u").strip() for name in expected}
    assert users == expected
    vm_user = stack.exec("victoriametrics", "id", "-un").strip()
    assert vm_user == "_victoria-metrics"


def test_the_api_is_ready_with_every_dependency(stack: Stack) -> None:
    code, body = stack.api_get("/ready")
    assert code == 200, body
    assert isinstance(body, dict), body
    assert body.get("status") == "ready", body
    # control.yml's three NATS nodes: every bucket and stream R3 with a leader.
    state = body["state"]
    assert state["replicas"] == 3, state
    assert all(s["replicas"] == 3 and s["leader"] for s in state["streams"].values()), state


def test_the_ui_is_served_with_the_apis_headers_and_forwards_to_the_api(
    stack: Stack,
) -> None:
    r = httpx.get(f"{stack.ui_url}/", timeout=10)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert '<div id="root">' in r.text
    # The built bundle is served (hashed asset names from vite build), not the dev index.
    assets = re.findall(r'(?:src|href)="(/assets/[^"]+)"', r.text)
    assert assets, r.text
    for path in assets:
        assert httpx.get(f"{stack.ui_url}{path}", timeout=10).status_code == 200, path
    # The security and cache headers are the ones the API's own UI handler sends (one source,
    # webui/ui_headers.toml), for the index, a bundle file and a client route (SPA fallback).
    route = httpx.get(f"{stack.ui_url}/fleet", timeout=10)
    assert '<div id="root">' in route.text
    served = {
        "index": ui_headers(r.headers),
        "asset": ui_headers(httpx.get(f"{stack.ui_url}{assets[0]}", timeout=10).headers),
        "route": ui_headers(route.headers),
    }
    assert served == api_ui_headers()
    # A bundle file that is not there is a 404, not the SPA.
    gone = httpx.get(f"{stack.ui_url}/assets/gone-0000.js", timeout=10)
    assert gone.status_code == 404 and gone.json()["code"] == "not_found"
    # /health is the API's, over the internal network; the server names no version.
    health = httpx.get(f"{stack.ui_url}/health", timeout=10)
    assert health.status_code == 200 and health.json().get("status") == "ok", health.text
    assert health.headers["server"] == "nginx"
    # Read-only root file system (control.yml), nginx writing only to its /tmp (a tmpfs).
    ui = stack.container_id("ui")
    assert docker("inspect", "--format", "{{.HostConfig.ReadonlyRootfs}}", ui).strip() == "true"
    mounts = docker(
        "inspect", "--format", "{{range .Mounts}}{{.Type}}:{{.Destination}} {{end}}", ui
    )
    assert "tmpfs:/tmp" in mounts.split(), mounts


def test_victoriametrics_has_samples_that_vmagent_scraped_from_the_api_and_the_devfleet(
    stack: Stack,
) -> None:
    def scraped() -> dict[str, int]:
        rows = stack.vm_query(f'count by (service) (up{{stack="{stack.name}"}} == 1)')
        counts = {r["metric"].get("service", ""): int(r["value"][1]) for r in rows}
        expected = {"control-api": 1, "gateway": 1, "aggregate": 2, "projection": 2, "runner": 2}
        assert {k: counts.get(k) for k in expected} == expected, counts
        return counts

    eventually(scraped, timeout_s=SCRAPE_TIMEOUT_S, what="vmagent scrapes every target")
    # Real series from the services themselves, not only vmagent's `up`.
    api = stack.vm_query(f'control_build_info{{stack="{stack.name}"}}')
    assert api, "no control_build_info sample"
    platform = stack.vm_query(
        f'count by (__name__) ({{__name__=~"(gateway|aggregate|projection|runner)_build_info",'
        f'stack="{stack.name}"}})'
    )
    assert {r["metric"]["__name__"] for r in platform} == {
        "gateway_build_info",
        "aggregate_build_info",
        "projection_build_info",
        "runner_build_info",
    }, platform


SHARDS = {
    "aggregate-a-m": "aggregate-1",
    "aggregate-n-z": "aggregate-2",
    "projection-a-m": "projection-1",
    "projection-n-z": "projection-2",
    "runner-a-m": "runner-1",
    "runner-n-z": "runner-2",
}


def assert_swarm_discovery(fleet: dict[str, Any], stack_name: str) -> None:
    """The fleet came from Swarm (stacks/control/fleet.json is empty): every platform service
    is an instance named after its Swarm service `<stack>_<name>`, at the admin address and
    shard its labels give (docs/contracts/swarm-labels.md)."""
    by_name = {inst["instance"]: inst for inst in fleet["instances"]}
    for name in PLATFORM:
        inst = by_name.get(f"{stack_name}_{name}")
        assert inst is not None, (name, sorted(by_name))
        assert inst["url"] == f"http://{name}:8080", inst
        assert inst.get("shard") == SHARDS.get(name), inst
    # Nothing but Swarm services: no entry from a file, none from another stack.
    assert all(n.startswith(f"{stack_name}_") for n in by_name), sorted(by_name)


def test_the_control_plane_sees_the_whole_fleet_healthy(stack: Stack) -> None:
    def healthy() -> dict[str, Any]:
        fleet: dict[str, Any] = _admin_get(stack, "/admin/v1/fleet")
        assert_swarm_discovery(fleet, stack.name)
        bad = [
            (i["url"], i["health"], i["ready"], i.get("error"))
            for i in fleet["instances"]
            if i["health"] != "ok" or i["ready"] != "ready"
        ]
        assert not bad, bad
        return fleet

    fleet = eventually(healthy, timeout_s=FLEET_TIMEOUT_S, what="every fleet member healthy")
    count = len(fleet["instances"])
    assert count >= len(PLATFORM)
    assert fleet["summary"]["instances"] == count
    assert fleet["summary"]["healthy"] == count
    assert fleet["summary"]["unreachable"] == 0
    platform = [i for i in fleet["instances"] if i["kind"] != "control"]
    kinds = sorted(i["kind"] for i in platform)
    assert kinds == ["aggregate"] * 2 + ["gateway"] + ["projection"] * 2 + ["runner"] * 2


def test_the_control_plane_reads_the_swarm(stack: Stack) -> None:
    """The API talks to the engine it runs on: services with tasks, nodes, deployments."""
    services = _admin_get(stack, "/admin/v1/swarm/services")
    assert services["source"] == "engine"
    mine = {s["service"]: s for s in services["items"] if s["stack"] == stack.name}
    for name in PLATFORM:
        svc = mine[f"{stack.name}_{name}"]
        assert svc["replicas_running"] == svc["replicas_desired"] == 1, svc
        assert [t["state"] for t in svc["tasks"] if t["desired_state"] == "running"] == [
            "running"
        ], svc["tasks"]
    nodes = _admin_get(stack, "/admin/v1/swarm/nodes")
    assert any(n["role"] == "manager" and n["state"] == "ready" for n in nodes["items"]), nodes
    deployments = _admin_get(stack, "/admin/v1/deployments")
    assert isinstance(deployments["items"], list)


def test_placement_is_served_from_nats_with_the_stack_shards(stack: Stack) -> None:
    overview = _admin_get(stack, "/admin/v1/placement")
    assert overview["source"] == "nats"
    maps = {m["kind"]: m for m in overview["maps"]}
    assert set(maps) == {"aggregate", "projection", "runner"}
    for kind, view in maps.items():
        assert view["present"], view
        assert view["tenant_count"] == 50, view
        endpoints = {
            shard: list(s.get("endpoints") or []) for shard, s in (view["shards"] or {}).items()
        }
        assert endpoints == {
            f"{kind}-1": [f"http://{kind}-a-m:8080"],
            f"{kind}-2": [f"http://{kind}-n-z:8080"],
        }, view


def _admin_job(stack: Stack, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """Start a job through the UI's port and wait for its end."""
    headers = {"authorization": f"Bearer {_token(stack)}", "idempotency-key": uuid.uuid4().hex}
    r = httpx.post(f"{stack.ui_url}{path}", json=body, headers=headers, timeout=15)
    assert r.status_code == 202, f"POST {path}: {r.status_code} {r.text[:500]}"
    job_id = r.json()["id"]

    def ended() -> dict[str, Any]:
        job: dict[str, Any] = _admin_get(stack, f"/admin/v1/jobs/{job_id}")
        assert job["status"] in ("succeeded", "failed", "cancelled", "timed_out"), job["status"]
        return job

    job = eventually(ended, timeout_s=JOB_TIMEOUT_S, interval_s=1.0, what=f"job {job_id} ends")
    job["why"] = [(s["name"], s["status"], s.get("error")) for s in job["steps"]]
    return job


def test_jobs_run_against_the_fleet_discovered_from_swarm(stack: Stack) -> None:
    """The stack's fleet file is empty: verify, reload and tenant operations act on the
    instances discovered from the Swarm labels (the one live fleet registry)."""
    verify = _admin_job(
        stack, "/admin/v1/jobs/kinds/platform.verify", {"reason": "smoke: verify", "params": {}}
    )
    assert verify["status"] == "succeeded", verify
    probed = {s["name"].removeprefix("probe:") for s in verify["steps"]}
    assert {f"{stack.name}_{name}" for name in PLATFORM} <= probed, probed
    assert all(name.startswith(f"{stack.name}_") for name in probed), probed

    gateway = f"{stack.name}_gateway"
    reload = _admin_job(
        stack, "/admin/v1/config/reload", {"reason": "smoke: reload", "services": [gateway]}
    )
    assert reload["status"] == "succeeded", reload
    assert [s["name"] for s in reload["steps"]] == [f"reload:{gateway}"]

    tenant = _admin_get(stack, "/admin/v1/tenants?limit=1")["items"][0]["tenant_id"]
    for action in ("drain", "resume"):
        job = _admin_job(
            stack, f"/admin/v1/tenants/{tenant}/{action}", {"reason": f"smoke: {action}"}
        )
        assert job["status"] == "succeeded", job
        assert [s["status"] for s in job["steps"]] == ["succeeded"] * 3, job["steps"]


def test_the_event_stream_through_the_ui_carries_a_job_event(stack: Stack) -> None:
    """GET /admin/v1/events through the UI's published port (nginx, unbuffered): the resync
    event first, then a `job` event for a job created while the stream is open."""
    token = _token(stack)
    headers = {"authorization": f"Bearer {token}", "x-request-id": "smoke-sse-1"}
    timeout = httpx.Timeout(15, read=30)  # the API's heartbeat is every 15 s
    url = f"{stack.ui_url}/admin/v1/events"
    with httpx.stream("GET", url, headers=headers, timeout=timeout) as r:
        assert r.status_code == 200, r.read()[:500]
        assert r.headers["content-type"].startswith("text/event-stream")
        assert r.headers.get("x-request-id") == "smoke-sse-1"
        assert "content-encoding" not in r.headers
        stream = events_sync(r)
        first = next(stream)
        assert first.event == "resync", first
        created = httpx.post(
            f"{stack.ui_url}/admin/v1/jobs/kinds/platform.verify",
            json={"reason": "smoke: live events", "params": {}},
            headers={"authorization": f"Bearer {token}", "idempotency-key": uuid.uuid4().hex},
            timeout=15,
        )
        assert created.status_code == 202, created.text[:500]
        job_id = created.json()["id"]
        deadline = time.monotonic() + JOB_TIMEOUT_S
        for event in stream:
            if event.event == "job" and event.data.get("id") == job_id:
                assert event.data["kind"] == "platform.verify", event
                break
            assert time.monotonic() < deadline, f"no job event for {job_id}"
        else:
            raise AssertionError(f"the stream ended before a job event for {job_id}")


def test_zz_stack_rm_leaves_no_service_container_network_or_volume(stack: Stack) -> None:
    """Last in the file on purpose: removes the stack (the fixture's teardown then finds
    nothing to do) and checks the engine is back to where it was."""
    remove_stack(stack)
    label = f"label=com.docker.stack.namespace={stack.name}"
    assert docker("service", "ls", "-q", "--filter", label).strip() == ""
    assert docker("network", "ls", "-q", "--filter", label).strip() == ""
    assert docker("ps", "-aq", "--filter", label).strip() == ""
    assert docker("volume", "ls", "-q", "--filter", label).strip() == ""
    assert docker("config", "ls", "-q", "--filter", label).strip() == ""
    assert docker("secret", "ls", "-q", "--filter", label).strip() == ""
