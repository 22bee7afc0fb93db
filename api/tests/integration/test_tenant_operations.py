"""Tenant drain / resume / migrate and config reload against real NATS and the real devfleet."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from cloudlysis_devfleet import serve

from cloudlysis_control.bootstrap.app import create_app
from cloudlysis_control.jobs.kinds import StepContext
from cloudlysis_control.jobs.schemas import Job, Step
from tests.support.auth import FakeRights, bearer
from tests.support.ops import (
    TENANT,
    OpsEnv,
    history,
    job_headers,
    migrate_body,
    ops_env,
    plan,
    resolve,
    submit_work,
    switch,
    tenant_status,
    wait_job,
    wait_step,
)
from tests.support.settings import app_settings

pytestmark = pytest.mark.integration


@pytest.fixture
async def env(tmp_path: Path, secret_file: Path) -> Any:
    async with ops_env(tmp_path, secret_file) as e:
        yield e


async def jobs_of(env: OpsEnv, kind: str) -> list[dict[str, Any]]:
    r = await env.api.get(
        "/admin/v1/jobs", params={"tenant_id": TENANT, "kind": kind}, headers=bearer()
    )
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def refused_events(env: OpsEnv, action: str) -> list[dict[str, Any]]:
    r = await env.api.get(
        "/admin/v1/audit",
        params={"tenant_id": TENANT, "outcome": "refused"},
        headers=bearer(),
    )
    assert r.status_code == 200, r.text
    return [e for e in r.json()["items"] if e["action"] == action]


async def test_plan_has_no_side_effects_and_migrate_moves_the_tenant(env: OpsEnv) -> None:
    before = await history(env.placement, "aggregate_placement")
    p = await plan(env.api)
    assert [s["name"] for s in p["steps"]] == [
        "preflight",
        "drain_source",
        "update_placement",
        "reload_routing",
        "verify_routing",
        "resume_target",
    ]
    assert p["source_shard"] == "aggregate-1" and p["source_explicit"] is True
    assert p["ok"] is True, p["preflight"]
    for check in p["preflight"]["checks"]:
        assert set(check) == {"check", "ok", "value", "threshold", "detail"}
    assert await history(env.placement, "aggregate_placement") == before  # no side effects
    assert (await plan(env.api))["plan_hash"] == p["plan_hash"]  # deterministic
    assert (await tenant_status(env.instances["aggregate-1"]))["draining"] is False

    r = await env.api.post(
        f"/admin/v1/tenants/{TENANT}/migrate", json=migrate_body(p), headers=job_headers()
    )
    assert r.status_code == 202, r.text
    job = await wait_job(env.api, r.json()["id"])
    assert job["status"] == "succeeded", job
    assert job["remediation"] is None
    steps = {s["name"]: s for s in job["steps"]}
    assert steps["update_placement"]["output"]["applied"] is True
    assert steps["verify_routing"]["output"]["resolved_shard"] == "aggregate-2"

    after = await history(env.placement, "aggregate_placement")
    assert len(after) == len(before) + 1  # exactly one placement write
    assert after[-1]["tenants"][TENANT] == "aggregate-2"
    assert after[-1]["tenants"]["globex"] == "aggregate-2"  # nothing else touched
    assert (await resolve(env.gateway_url))["shard"] == "aggregate-2"
    assert (await tenant_status(env.instances["aggregate-1"]))["draining"] is True
    assert (await tenant_status(env.instances["aggregate-2"]))["accepting"] is True
    detail = (await env.api.get(f"/admin/v1/tenants/{TENANT}", headers=bearer())).json()
    agg = next(k for k in detail["placement"] if k["kind"] == "aggregate")
    assert agg["shard"] == "aggregate-2"


async def test_the_placement_step_run_again_after_a_lost_answer_writes_nothing(
    env: OpsEnv,
) -> None:
    """The crash window between the KV write and recording the step: the re-run sees the tenant
    already on the target and does not write again (nor fail on the moved revision)."""
    p = await plan(env.api)
    r = await env.api.post(
        f"/admin/v1/tenants/{TENANT}/migrate", json=migrate_body(p), headers=job_headers()
    )
    job = await wait_job(env.api, r.json()["id"])
    assert job["status"] == "succeeded", job
    before = await history(env.placement, "aggregate_placement")
    kind = env.app.state.container.jobs.kinds.get("tenant.migrate")
    stored = msgspec.convert(job, Job)
    again = await kind.run_step(
        StepContext(job=stored, step=Step(name="update_placement"), attempt=2)
    )
    assert again["applied"] is False and again["already_applied"] is True
    assert await history(env.placement, "aggregate_placement") == before


async def test_gateway_routes_by_the_placement_it_loaded_at_its_last_reload(env: OpsEnv) -> None:
    first = await resolve(env.gateway_url)
    assert first["shard"] == "aggregate-1"
    doc = (await history(env.placement, "aggregate_placement"))[-1]
    doc.pop("revision")
    doc["tenants"][TENANT] = "aggregate-2"
    rev = await env.placement.put("aggregate_placement", json.dumps(doc).encode())
    deadline = time.monotonic() + 5
    while (seen := await resolve(env.gateway_url))["observed_revision"] != str(rev):
        assert time.monotonic() < deadline, seen
        await asyncio.sleep(0.02)
    assert seen["shard"] == "aggregate-1"  # watched, not applied
    async with httpx.AsyncClient() as c:
        r = await c.post(f"{env.gateway_url}/admin/v1/config/reload")
    assert r.status_code == 200, r.text
    assert r.json()["config_generation"] == first["config_generation"] + 1
    after = await resolve(env.gateway_url)
    assert after["shard"] == "aggregate-2" and after["revision"] == str(rev)


async def test_fifty_identical_migrate_requests_make_one_job_and_one_placement_write(
    env: OpsEnv,
) -> None:
    """T5.1"""
    before = await history(env.placement, "aggregate_placement")
    p = await plan(env.api)
    headers = job_headers("migrate-acme-once")
    responses = await asyncio.gather(
        *(
            env.api.post(
                f"/admin/v1/tenants/{TENANT}/migrate", json=migrate_body(p), headers=headers
            )
            for _ in range(50)
        )
    )
    assert Counter(r.status_code for r in responses) == {202: 50}, [r.text for r in responses]
    ids = {r.json()["id"] for r in responses}
    assert len(ids) == 1
    job = await wait_job(env.api, ids.pop())
    assert job["status"] == "succeeded", job
    # A late repeat (after the world changed) still answers with the same job.
    late = await env.api.post(
        f"/admin/v1/tenants/{TENANT}/migrate", json=migrate_body(p), headers=headers
    )
    assert late.status_code == 202 and late.json()["id"] == job["id"]
    assert len(await jobs_of(env, "tenant.migrate")) == 1
    after = await history(env.placement, "aggregate_placement")
    assert len(after) == len(before) + 1
    assert job["runs"] == 1


async def test_a_stale_plan_is_refused_and_changes_nothing(env: OpsEnv) -> None:
    p = await plan(env.api)
    doc = (await history(env.placement, "aggregate_placement"))[-1]
    doc.pop("revision")
    doc["tenants"]["initech"] = "aggregate-2"  # someone else changes the map
    await env.placement.put("aggregate_placement", json.dumps(doc).encode())
    deadline = time.monotonic() + 5
    while (await plan(env.api))["plan_hash"] == p["plan_hash"]:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
    before = await history(env.placement, "aggregate_placement")
    r = await env.api.post(
        f"/admin/v1/tenants/{TENANT}/migrate", json=migrate_body(p), headers=job_headers()
    )
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "plan_stale"
    assert await history(env.placement, "aggregate_placement") == before
    assert await jobs_of(env, "tenant.migrate") == []
    assert len(await refused_events(env, "job.create.tenant.migrate")) == 1


async def _gate_target_not_ready(env: OpsEnv) -> None:
    await switch(env.instances["aggregate-2"].url, ready=False)


async def _gate_target_unhealthy(env: OpsEnv) -> None:
    await switch(env.instances["aggregate-2"].url, healthy=False)


async def _gate_inflight(env: OpsEnv) -> None:
    for _ in range(12):
        await submit_work(env.instances["aggregate-1"], 30_000)


async def _gate_lag(env: OpsEnv) -> None:
    await submit_work(env.instances["projection-1"], 0, backlog=5_000)


GATES = {
    "target_ready": ("aggregate", "aggregate-2", _gate_target_not_ready),
    "target_healthy": ("aggregate", "aggregate-2", _gate_target_unhealthy),
    "source_inflight": ("aggregate", "aggregate-2", _gate_inflight),
    "source_lag": ("projection", "projection-9", _gate_lag),
}


@pytest.mark.parametrize("gate", sorted(GATES))
async def test_each_preflight_gate_refuses_migrate(
    tmp_path: Path, secret_file: Path, gate: str
) -> None:
    """T5.3: one invariant broken at a time; 422 names it with measured value and threshold."""
    kind, target, breaker = GATES[gate]
    async with ops_env(
        tmp_path, secret_file, CONTROL_OPS_MAX_INFLIGHT="10", CONTROL_OPS_MAX_LAG="1000"
    ) as env:
        if gate == "source_lag":
            # A second projection shard to migrate to.
            doc = (await history(env.placement, "projection_placement"))[-1]
            doc.pop("revision")
            doc["shards"]["projection-9"] = doc["shards"]["projection-1"]
            rev = await env.placement.put("projection_placement", json.dumps(doc).encode())
            from tests.support.ops import wait_placement

            await wait_placement(env.api, {"projection_placement": rev})
        ok = await plan(env.api, target, kind)
        assert ok["ok"] is True, ok["preflight"]
        await breaker(env)
        p = await plan(env.api, target, kind)
        failed = [c for c in p["preflight"]["checks"] if not c["ok"]]
        assert [c["check"] for c in failed] == [gate], failed
        assert failed[0]["threshold"] is not None
        before = await history(env.placement, f"{kind}_placement")
        r = await env.api.post(
            f"/admin/v1/tenants/{TENANT}/migrate", json=migrate_body(p), headers=job_headers()
        )
        assert r.status_code == 422, r.text
        body = r.json()
        assert body["code"] == "preflight_refused"
        assert [f["check"] for f in body["failures"]] == [gate]
        assert {"value", "threshold", "detail"} <= set(body["failures"][0])
        assert await history(env.placement, f"{kind}_placement") == before
        assert await jobs_of(env, "tenant.migrate") == []
        assert len(await refused_events(env, "job.create.tenant.migrate")) == 1
        assert (await tenant_status(env.instances["aggregate-1"]))["draining"] is False


def _lock_record(job_id: str, expires_in: float = 60.0) -> bytes:
    return json.dumps(
        {
            "scope": "tenant",
            "name": TENANT,
            "job_id": job_id,
            "owner": "another-replica",
            "acquired_at": "2026-01-01T00:00:00Z",
            "expires_at": time.time() + expires_in,
        }
    ).encode()


@pytest.mark.parametrize("operation", ["migrate", "drain"])
async def test_a_tenant_lock_held_by_another_job_refuses_with_409(
    env: OpsEnv, operation: str
) -> None:
    """T5.3: the lock gate, for migrate and drain."""
    holder = f"j_{uuid.uuid4().hex}"
    await env.locks.put(f"tenant.{TENANT}", _lock_record(holder))
    if operation == "migrate":
        p = await plan(env.api)
        assert [c["check"] for c in p["preflight"]["checks"] if not c["ok"]] == [
            "no_conflicting_lock"
        ]
        body = migrate_body(p)
    else:
        body = {"reason": "maintenance"}
    r = await env.api.post(
        f"/admin/v1/tenants/{TENANT}/{operation}", json=body, headers=job_headers()
    )
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "lock_held" and r.json()["job_id"] == holder
    assert await jobs_of(env, f"tenant.{operation}") == []
    assert len(await refused_events(env, f"job.create.tenant.{operation}")) == 1
    assert (await tenant_status(env.instances["aggregate-1"]))["draining"] is False
    # An expired lock is no conflict (the lock service reclaims it).
    await env.locks.put(f"tenant.{TENANT}", _lock_record(holder, expires_in=-1))
    p = await plan(env.api)
    assert p["ok"] is True, p["preflight"]


async def test_drain_refuses_when_an_instance_of_the_tenant_does_not_answer(
    env: OpsEnv,
) -> None:
    """T5.3: the reachability gate of drain."""
    await switch(env.instances["runner-1"].url, hung=True)
    try:
        r = await env.api.post(
            f"/admin/v1/tenants/{TENANT}/drain",
            json={"reason": "maintenance"},
            headers=job_headers(),
        )
        assert r.status_code == 422, r.text
        assert [f["check"] for f in r.json()["failures"]] == ["runner_reachable"]
    finally:
        await switch(env.instances["runner-1"].url, hung=False)
    assert await jobs_of(env, "tenant.drain") == []
    assert (await tenant_status(env.instances["aggregate-1"]))["draining"] is False


async def list_row(api: Any, tenant: str) -> dict[str, Any]:
    page = (await api.get("/admin/v1/tenants", params={"q": tenant}, headers=bearer())).json()
    [row] = [i for i in page["items"] if i["tenant_id"] == tenant]
    return row


async def test_drain_then_resume(env: OpsEnv) -> None:
    await submit_work(env.instances["aggregate-1"], 600)
    r = await env.api.post(
        f"/admin/v1/tenants/{TENANT}/drain",
        json={"reason": "maintenance", "kinds": ["aggregate", "runner"]},
        headers=job_headers(),
    )
    assert r.status_code == 202, r.text
    job = await wait_job(env.api, r.json()["id"])
    assert job["status"] == "succeeded", job
    assert [s["name"] for s in job["steps"]] == ["drain:aggregate", "drain:runner"]
    row = await list_row(env.api, TENANT)
    assert (row["state"], row["state_job_id"]) == ("drained", job["id"])
    agg = await tenant_status(env.instances["aggregate-1"])
    assert agg["draining"] is True and agg["inflight"] == 0
    assert (await tenant_status(env.instances["projection-1"]))["draining"] is False
    r = await env.api.post(
        f"/admin/v1/tenants/{TENANT}/resume", json={"reason": "done"}, headers=job_headers()
    )
    job = await wait_job(env.api, r.json()["id"])
    assert job["status"] == "succeeded", job
    assert (await tenant_status(env.instances["aggregate-1"]))["accepting"] is True
    row = await list_row(env.api, TENANT)
    assert (row["state"], row["state_job_id"]) == ("serving", job["id"])
    assert row["health"] == "ok"  # every instance of its shards answers (fleet snapshot)


async def test_a_drain_that_never_empties_times_out(tmp_path: Path, secret_file: Path) -> None:
    async with ops_env(tmp_path, secret_file, CONTROL_OPS_DRAIN_TIMEOUT_S="0.5") as env:
        await submit_work(env.instances["aggregate-1"], 30_000)
        r = await env.api.post(
            f"/admin/v1/tenants/{TENANT}/drain",
            json={"reason": "maintenance", "kinds": ["aggregate"]},
            headers=job_headers(),
        )
        job = await wait_job(env.api, r.json()["id"])
        assert job["status"] == "failed", job
        assert job["error"]["code"] == "drain_timeout"
        row = await list_row(env.api, TENANT)
        assert (row["state"], row["state_job_id"]) == ("attention", job["id"])
        assert job["steps"][0]["output"]["inflight"] >= 1


async def test_a_hung_step_times_out_and_the_migration_compensates(
    tmp_path: Path, secret_file: Path
) -> None:
    async with ops_env(tmp_path, secret_file, CONTROL_OPS_STEP_TIMEOUT_S="0.5") as env:
        before = await history(env.placement, "aggregate_placement")
        p = await plan(env.api)
        await switch(env.gateway_url, hung=True)
        r = await env.api.post(
            f"/admin/v1/tenants/{TENANT}/migrate", json=migrate_body(p), headers=job_headers()
        )
        assert r.status_code == 202, r.text
        job_id = r.json()["id"]
        await wait_step(env.api, job_id, "reload_routing", {"failed"})
        await switch(env.gateway_url, hung=False)
        job = await wait_job(env.api, job_id)
        assert job["status"] == "failed", job
        steps = {s["name"]: s for s in job["steps"]}
        assert steps["reload_routing"]["error"]["code"] == "step_timeout"
        assert steps["reload_routing"]["attempts"] == 3  # retried, then given up
        assert job["error"]["code"] == "step_timeout"
        assert job["compensation"]["outcome"] == "failed"
        for name in (
            "compensate:restore_placement",
            "compensate:reload_routing",
            "compensate:resume_source",
        ):
            assert steps[name]["status"] == "succeeded", steps[name]
        assert steps["verify_routing"]["status"] == "skipped"
        after = await history(env.placement, "aggregate_placement")
        assert len(after) == len(before) + 2  # the move and its undo, nothing else
        assert after[-1]["tenants"][TENANT] == "aggregate-1"
        assert (await resolve(env.gateway_url))["shard"] == "aggregate-1"
        assert (await tenant_status(env.instances["aggregate-1"]))["accepting"] is True
        assert job["remediation"].startswith("Nothing changed in the end")


async def test_without_compensation_a_failed_migration_stops_where_it_failed(
    tmp_path: Path, secret_file: Path
) -> None:
    async with ops_env(tmp_path, secret_file, CONTROL_OPS_STEP_TIMEOUT_S="0.3") as env:
        p = await plan(env.api)
        await switch(env.gateway_url, hung=True)
        try:
            r = await env.api.post(
                f"/admin/v1/tenants/{TENANT}/migrate",
                json=migrate_body(p, compensate=False),
                headers=job_headers(),
            )
            job = await wait_job(env.api, r.json()["id"])
        finally:
            await switch(env.gateway_url, hung=False)
        assert job["status"] == "failed" and job["compensation"] is None
        assert not any(s["name"].startswith("compensate:") for s in job["steps"])
        last = (await history(env.placement, "aggregate_placement"))[-1]
        assert last["tenants"][TENANT] == "aggregate-2"  # left as it was
        assert (await tenant_status(env.instances["aggregate-1"]))["draining"] is True
        assert "Compensation was switched off" in job["remediation"]


async def test_a_cancelled_migration_compensates(env: OpsEnv) -> None:
    before = await history(env.placement, "aggregate_placement")
    await submit_work(env.instances["aggregate-1"], 20_000)  # the drain waits for it
    p = await plan(env.api)
    r = await env.api.post(
        f"/admin/v1/tenants/{TENANT}/migrate", json=migrate_body(p), headers=job_headers()
    )
    job_id = r.json()["id"]
    await wait_step(env.api, job_id, "drain_source", {"running"})
    assert (await tenant_status(env.instances["aggregate-1"]))["draining"] is True
    c = await env.api.post(f"/admin/v1/jobs/{job_id}/cancel", headers=bearer())
    assert c.status_code == 202, c.text
    job = await wait_job(env.api, job_id)
    assert job["status"] == "cancelled", job
    steps = {s["name"]: s for s in job["steps"]}
    assert steps["drain_source"]["status"] == "cancelled"
    assert job["compensation"]["outcome"] == "cancelled"
    assert steps["compensate:resume_source"]["status"] == "succeeded"
    assert "compensate:restore_placement" not in steps  # placement was never touched
    assert await history(env.placement, "aggregate_placement") == before
    assert (await tenant_status(env.instances["aggregate-1"]))["accepting"] is True


async def test_two_api_replicas_never_run_one_migration_twice(
    env: OpsEnv, tmp_path: Path, secret_file: Path
) -> None:
    settings = app_settings(env.nats_url, secret_file, tmp_path, **env.settings_env)
    second = create_app(settings, rights_source=FakeRights())
    async with serve(second) as url2, httpx.AsyncClient(base_url=url2, timeout=30) as api2:
        before = await history(env.placement, "aggregate_placement")
        p = await plan(env.api)
        r = await api2.post(
            f"/admin/v1/tenants/{TENANT}/migrate", json=migrate_body(p), headers=job_headers()
        )
        assert r.status_code == 202, r.text
        job = await wait_job(env.api, r.json()["id"])
        assert job["status"] == "succeeded", job
        assert job["runs"] == 1
        assert all(s["attempts"] == 1 for s in job["steps"]), job["steps"]
        assert len(await history(env.placement, "aggregate_placement")) == len(before) + 1


async def test_config_reload_reloads_the_chosen_services(env: OpsEnv) -> None:
    gen_before = (await resolve(env.gateway_url))["config_generation"]
    r = await env.api.post(
        "/admin/v1/config/reload",
        json={"reason": "pick up routing", "services": ["gateway", "runner-1"]},
        headers=job_headers(),
    )
    assert r.status_code == 202, r.text
    job = await wait_job(env.api, r.json()["id"])
    assert job["status"] == "succeeded", job
    assert [s["name"] for s in job["steps"]] == ["reload:gateway", "reload:runner-1"]
    assert (await resolve(env.gateway_url))["config_generation"] == gen_before + 1
    bad = await env.api.post(
        "/admin/v1/config/reload",
        json={"reason": "x", "services": ["nope"]},
        headers=job_headers(),
    )
    # A service the fleet does not have: a valid request the world cannot serve (422).
    assert bad.status_code == 422 and bad.json()["code"] == "params_invalid"
