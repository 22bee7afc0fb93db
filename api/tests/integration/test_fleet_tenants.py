"""Fleet snapshot, tenants list and tenant detail against real devfleet instances over HTTP.

The API runs under uvicorn in the test's event loop next to the simulated Aggregate, Projection
and Runner instances (real sockets on loopback), with placement in the session's real nats-server.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from cloudlysis_devfleet import serve
from cloudlysis_devfleet.platform_host import HostedInstance, fleet_configs, serve_platform

from cloudlysis_control.bootstrap.app import create_app
from tests.support.auth import FakeRights, bearer
from tests.support.net import free_port
from tests.support.settings import app_settings

pytestmark = pytest.mark.integration

PROBE_TIMEOUT_S = 2.0  # slack for a loaded machine: a slow answer must not read as a timeout
TENANTS = [f"t-{i:03d}" for i in range(250)]


@dataclass
class Env:
    api: httpx.AsyncClient
    instances: dict[str, HostedInstance]
    dead_url: str


def problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["code"] == code and body["request_id"] == r.headers["x-request-id"]
    return body


async def switch(inst: HostedInstance, **switches: Any) -> None:
    async with httpx.AsyncClient() as c:
        r = await c.post(f"{inst.url}/_devfleet/switches", json=switches)
        assert r.status_code == 200, r.text


def placement_docs(inst: dict[str, HostedInstance]) -> dict[str, Any]:
    def shards(kind: str) -> dict[str, Any]:
        return {name: {"endpoints": [h.url]} for name, h in inst.items() if h.config.kind == kind}

    return {
        "aggregate_placement": {
            "schema_version": 1,
            "kind": "aggregate",
            "default_shard": "aggregate-1",
            "shards": shards("aggregate"),
            "tenants": {t: f"aggregate-{1 + i % 2}" for i, t in enumerate(TENANTS)}
            | {"acme": "aggregate-2"},
        },
        "projection_placement": {
            "schema_version": 1,
            "kind": "projection",
            "default_shard": "projection-1",
            "shards": shards("projection"),
            "tenants": {"acme": "projection-1"},
        },
        "runner_placement": {
            "schema_version": 1,
            "kind": "runner",
            "default_shard": "runner-1",
            "shards": shards("runner")
            | {"runner-both": {"endpoints": [inst["runner-1"].url, inst["runner-2"].url]}},
            "tenants": {"acme": "runner-both"},
        },
    }


@pytest.fixture
async def env(
    nats_url: str, secret_file: Path, tmp_path: Path, rights: FakeRights
) -> AsyncIterator[Env]:
    configs = fleet_configs(
        {"aggregate": 2, "projection": 1, "runner": 2}, tenants=["acme", "globex"]
    )
    async with serve_platform(configs) as hosted:
        instances = {h.config.instance: h for h in hosted}
        dead_url = f"http://127.0.0.1:{free_port()}"
        fleet = [h.fleet_entry() for h in hosted]
        fleet.append({"name": "aggregate-9", "kind": "aggregate", "url": dead_url})
        fleet_file = tmp_path / "fleet.json"
        fleet_file.write_text(json.dumps(fleet))
        nc = await nats.connect(nats_url)
        try:
            settings = app_settings(
                nats_url,
                secret_file,
                tmp_path,
                CONTROL_FLEET_FILE=str(fleet_file),
                CONTROL_PROBE_TIMEOUT_S=str(PROBE_TIMEOUT_S),
                CONTROL_FLEET_SNAPSHOT_MAX_AGE_S="0.5",
                CONTROL_TENANT_STATUS_TIMEOUT_S=str(PROBE_TIMEOUT_S),
            )
            app = create_app(settings, rights_source=rights)
            async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as api:
                kv = await nc.jetstream().key_value("control_placement")
                revs = {}
                for key, doc in placement_docs(instances).items():
                    revs[key] = await kv.put(key, json.dumps(doc).encode())
                deadline = time.monotonic() + 3
                while True:
                    page = (await api.get("/admin/v1/tenants", headers=bearer())).json()
                    if page["revisions"]["runner"] == str(revs["runner_placement"]) and page[
                        "revisions"
                    ]["aggregate"] == str(revs["aggregate_placement"]):
                        break
                    assert time.monotonic() < deadline, page["revisions"]
                    await asyncio.sleep(0.02)
                yield Env(api, instances, dead_url)
        finally:
            await nc.close()


async def fresh_snapshot(api: httpx.AsyncClient, after: float) -> dict[str, Any]:
    """A snapshot taken after `after` (time.time()); waits out the 0.5 s max age."""
    deadline = time.monotonic() + 5
    while True:
        r = await api.get("/admin/v1/fleet", headers=bearer())
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        taken = body["taken_at"]
        if taken is not None and _epoch(taken) > after:
            return body
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)


def _epoch(rfc3339: str) -> float:
    from cloudlysis_control.core.clock import parse_rfc3339

    return parse_rfc3339(rfc3339).timestamp()


async def test_fleet_snapshot_normalises_every_instance(env: Env) -> None:
    # A service's request counter has no sample until it has answered one request, and the
    # probe reads /metrics alongside /health: serve one first so the counter is there to select.
    async with httpx.AsyncClient() as c:
        assert (await c.get(f"{env.instances['aggregate-1'].url}/health")).status_code == 200
    body = await fresh_snapshot(env.api, time.time())
    assert body["max_age_s"] == 0.5 and isinstance(body["age_s"], float)
    by_name = {i["instance"]: i for i in body["instances"]}
    assert set(by_name) == {*env.instances, "aggregate-9"}
    agg = by_name["aggregate-1"]
    assert agg["service"] == "aggregate" and agg["kind"] == "aggregate"
    assert agg["url"] == env.instances["aggregate-1"].url and agg["shard"] == "aggregate-1"
    assert (agg["health"], agg["ready"]) == ("ok", "ready")
    assert (agg["health_status"], agg["ready_status"]) == (200, 200)
    assert agg["version"] == "1.4.2" and agg["git_sha"] == "d3v7f1e"
    assert agg["error"] is None and agg["latency_ms"] > 0
    assert "tenant_inflight" in agg["metrics"] and "http_requests_total" in agg["metrics"]
    assert "lag_events" in by_name["projection-1"]["metrics"]
    assert by_name["runner-1"]["metrics"]["workers_capacity"] == 16
    dead = by_name["aggregate-9"]
    assert (dead["health"], dead["ready"]) == ("unreachable", "unreachable")
    assert dead["error"] and dead["version"] is None
    summary = body["summary"]
    assert summary["instances"] == 6 and summary["healthy"] == 5 and summary["unreachable"] == 1
    assert summary["versions"]["aggregate@1.4.2"] == 2


async def test_switches_show_up_and_a_hung_instance_costs_one_timeout(env: Env) -> None:
    inst = env.instances
    await switch(inst["runner-2"], hung=True)
    await switch(inst["aggregate-2"], healthy=False)
    await switch(inst["projection-1"], ready=False)
    await switch(inst["aggregate-1"], version="9.9.9")
    try:
        after = time.time()
        await asyncio.sleep(0.6)  # let the cached snapshot expire
        # The hung instance never answers: the snapshot is only served at all (within the API
        # client's 10 s timeout) because a probe costs at most its own timeout.
        r = await env.api.get("/admin/v1/fleet", headers=bearer())
        assert r.status_code == 200
        body = await fresh_snapshot(env.api, after)
        by_name = {i["instance"]: i for i in body["instances"]}
        hung = by_name["runner-2"]
        assert hung["health"] == "unreachable" and f"{PROBE_TIMEOUT_S:g} s" in hung["error"]
        assert by_name["aggregate-2"]["health"] == "failing"
        assert by_name["aggregate-2"]["health_status"] == 503
        assert by_name["projection-1"]["ready"] == "not_ready"
        assert by_name["aggregate-1"]["version"] == "9.9.9"
        assert by_name["runner-1"]["health"] == "ok"  # the others are unaffected

        # Tenant detail: the hung endpoint gets its own error; the rest of the answer stands.
        r = await env.api.get("/admin/v1/tenants/acme", headers=bearer())
        assert r.status_code == 200, r.text
        runner = next(p for p in r.json()["placement"] if p["kind"] == "runner")
        eps = {e["url"]: e for e in runner["endpoints"]}
        assert eps[inst["runner-2"].url]["error"] is not None
        assert eps[inst["runner-2"].url]["inflight"] is None
        assert eps[inst["runner-1"].url]["error"] is None
        assert isinstance(eps[inst["runner-1"].url]["inflight"], int)
    finally:
        await switch(inst["runner-2"], hung=False)


async def test_fleet_service_view_and_errors(env: Env) -> None:
    r = await env.api.get("/admin/v1/fleet/runner", headers=bearer())
    assert r.status_code == 200
    assert {i["instance"] for i in r.json()["instances"]} == {"runner-1", "runner-2"}
    assert r.json()["summary"]["instances"] == 2
    problem(await env.api.get("/admin/v1/fleet/nope", headers=bearer()), 404, "not_found")
    problem(await env.api.get("/admin/v1/fleet"), 401, "unauthorized")
    body = problem(await env.api.get("/admin/v1/fleet", headers=bearer("nobody")), 403, "forbidden")
    assert body["missing_right"] == "control.fleet.read"
    assert (await env.api.get("/admin/v1/fleet", headers=bearer("viewer"))).status_code == 200


async def test_tenants_list_search_and_pagination(env: Env) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 100}
        if cursor:
            params["cursor"] = cursor
        r = await env.api.get("/admin/v1/tenants", params=params, headers=bearer())
        assert r.status_code == 200, r.text
        page = r.json()
        assert page["total"] == 251 and page["stale"] is False
        seen += [i["tenant_id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted([*TENANTS, "acme"])
    first = (await env.api.get("/admin/v1/tenants", params={"limit": 1}, headers=bearer())).json()
    acme = first["items"][0]
    assert acme["tenant_id"] == "acme"
    assert acme["placement"]["aggregate"] == {"shard": "aggregate-2", "explicit": True}
    assert acme["placement"]["runner"] == {"shard": "runner-both", "explicit": True}
    t1 = (await env.api.get("/admin/v1/tenants", params={"q": "t-001"}, headers=bearer())).json()
    assert [i["tenant_id"] for i in t1["items"]] == ["t-001"]
    assert t1["items"][0]["placement"]["projection"] == {"shard": "projection-1", "explicit": False}
    r = await env.api.get("/admin/v1/tenants", params={"q": "t-01"}, headers=bearer())
    assert r.json()["total"] == 10
    r = await env.api.get(
        "/admin/v1/tenants", params={"q": "99", "match": "substring"}, headers=bearer()
    )
    assert [i["tenant_id"] for i in r.json()["items"]] == ["t-099", "t-199"]
    # a substring search pages like the full list (its matches are computed once, then paged)
    seen, cursor = [], None
    while True:
        params = {"q": "1", "match": "substring", "limit": 7}
        if cursor:
            params["cursor"] = cursor
        page = (await env.api.get("/admin/v1/tenants", params=params, headers=bearer())).json()
        assert page["total"] == sum(1 for t in [*TENANTS, "acme"] if "1" in t)
        seen += [i["tenant_id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(t for t in TENANTS if "1" in t)
    # every row says how the tenant's shards are doing (the fleet snapshot), without a probe
    # per row; no drain has run, and no metrics store is configured here (no lag figure)
    assert acme["state"] == "serving" and acme["state_job_id"] is None
    assert acme["health"] in ("ok", "unknown") and acme["lag"] is None
    assert first["lag_age_s"] is None
    for params in ({"limit": 0}, {"limit": 501}, {"cursor": "%%%"}, {"match": "regex"}):
        problem(
            await env.api.get("/admin/v1/tenants", params=params, headers=bearer()),
            400,
            "validation_failed",
        )
    body = problem(
        await env.api.get("/admin/v1/tenants", headers=bearer("nobody")), 403, "forbidden"
    )
    assert body["missing_right"] == "control.tenants.read"


async def test_tenant_detail(env: Env) -> None:
    await fresh_snapshot(env.api, time.time())
    r = await env.api.get("/admin/v1/tenants/acme", headers=bearer())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["tenant_id"] == "acme" and body["known"] is True and body["stale"] is False
    assert isinstance(body["fleet_snapshot_age_s"], float)
    kinds = {p["kind"]: p for p in body["placement"]}
    agg = kinds["aggregate"]
    assert agg["shard"] == "aggregate-2" and agg["explicit"] is True and agg["revision"]
    (ep,) = agg["endpoints"]
    assert ep["url"] == env.instances["aggregate-2"].url and ep["instance"] == "aggregate-2"
    assert (ep["health"], ep["ready"], ep["version"]) == ("ok", "ready", "1.4.2")
    assert isinstance(ep["inflight"], int) and ep["lag"] is None and ep["accepting"] is True
    proj = kinds["projection"]["endpoints"][0]
    assert isinstance(proj["lag"], int) and proj["error"] is None
    assert len(kinds["runner"]["endpoints"]) == 2
    assert isinstance(body["recent_jobs"], list) and isinstance(body["recent_audit_events"], list)

    # Drained on the service: the detail says so.
    async with httpx.AsyncClient() as c:
        await c.post(f"{env.instances['aggregate-2'].url}/admin/v1/tenants/acme/drain")
    try:
        body = (await env.api.get("/admin/v1/tenants/acme", headers=bearer())).json()
        ep = next(p for p in body["placement"] if p["kind"] == "aggregate")["endpoints"][0]
        assert ep["draining"] is True and ep["accepting"] is False
    finally:
        async with httpx.AsyncClient() as c:
            await c.post(f"{env.instances['aggregate-2'].url}/admin/v1/tenants/acme/resume")

    unknown = (await env.api.get("/admin/v1/tenants/newcomer", headers=bearer())).json()
    assert unknown["known"] is False
    assert {p["kind"]: p["shard"] for p in unknown["placement"]} == {
        "aggregate": "aggregate-1",
        "projection": "projection-1",
        "runner": "runner-1",
    }
    problem(
        await env.api.get("/admin/v1/tenants/Bad_Tenant", headers=bearer()),
        400,
        "validation_failed",
    )
    problem(
        await env.api.get(f"/admin/v1/tenants/{'a' * 64}", headers=bearer()),
        400,
        "validation_failed",
    )
