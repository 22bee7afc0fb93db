"""Crash test: the API is SIGKILLed mid-migration and restarted; the job completes exactly once.

The API runs as a real subprocess (`python -m cloudlysis_control serve`) against a real
nats-server, the devfleet Aggregate/Projection/Runner instances and the devfleet Gateway (which
issues the tokens and answers the rights lookups, as in production). A slow step is arranged
through the devfleet (work the drain must wait for, or a slow Gateway), the process is killed
while that step runs, and a second process with another instance id takes the job over once the
lease expires.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest

from tests.support.api_process import api_process, tail, wait_ready
from tests.support.net import free_port
from tests.support.ops import (
    TENANT,
    TERMINAL,
    devfleet_world,
    history,
    resolve,
    submit_work,
    switch,
    tenant_status,
)

pytestmark = pytest.mark.integration
LEASE_S = 2


async def get_job(api: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    r = await api.get(f"/admin/v1/jobs/{job_id}")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def wait_running_step(api: httpx.AsyncClient, job_id: str, step: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        job = await get_job(api, job_id)
        s = next(s for s in job["steps"] if s["name"] == step)
        if s["status"] == "running":
            return job
        assert job["status"] not in TERMINAL, job
        assert time.monotonic() < deadline, job
        await asyncio.sleep(0.02)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    async with devfleet_world(tmp_path) as w:
        gateway_url = w.gateway_url
        port = free_port()
        env = {
            "CONTROL_NATS_URL": w.nats_url,
            "CONTROL_PORT": str(port),
            "CONTROL_HOST": "127.0.0.1",
            "CONTROL_DATA_DIR": str(tmp_path / "data"),
            "CONTROL_JWKS_URL": f"{gateway_url}/.well-known/jwks.json",
            "CONTROL_GATEWAY_URL": gateway_url,
            "CONTROL_FLEET_FILE": str(w.fleet_file),
            "CONTROL_JOB_LEASE_S": str(LEASE_S),
            "CONTROL_LOG_LEVEL": "info",
            "CONTROL_OPS_STEP_TIMEOUT_S": "10",
            "CONTROL_OPS_DRAIN_TIMEOUT_S": "20",
        }
        async with httpx.AsyncClient() as c:
            r = await c.post(f"{gateway_url}/auth/v1/dev-login", json={"principal": "admin"})
            assert r.status_code == 200, r.text
            token = r.json()["access_token"]
        yield {
            "env": env,
            "url": f"http://127.0.0.1:{port}",
            "token": token,
            "instances": w.instances,
            "gateway_url": gateway_url,
            "placement": w.placement,
            "locks": w.locks,
        }


@pytest.mark.parametrize("kill_during", ["drain_source", "reload_routing"])
async def test_sigkill_mid_migration_then_restart_completes_the_job_exactly_once(
    world: dict[str, Any], tmp_path: Path, kill_during: str
) -> None:
    instances = world["instances"]
    headers = {"authorization": f"Bearer {world['token']}"}
    before = await history(world["placement"], "aggregate_placement")
    async with httpx.AsyncClient(base_url=world["url"], headers=headers, timeout=30) as api:
        first_log = tmp_path / "api-1.log"
        with api_process(world["env"], "api-run-1", first_log) as first:
            await wait_ready(world["url"], first, first_log)
            p = (
                await api.post(
                    f"/admin/v1/plans/tenants/{TENANT}/migrate",
                    json={"kind": "aggregate", "target_shard": "aggregate-2"},
                )
            ).json()
            assert p["ok"] is True, p
            # Make the step we kill in slow, through the devfleet's own switches.
            if kill_during == "drain_source":
                await submit_work(instances["aggregate-1"], 4_000)
            else:
                await switch(world["gateway_url"], slow_ms=3_000)
            r = await api.post(
                f"/admin/v1/tenants/{TENANT}/migrate",
                json={
                    "reason": "crash test",
                    "kind": "aggregate",
                    "target_shard": "aggregate-2",
                    "plan_hash": p["plan_hash"],
                },
                headers={"Idempotency-Key": f"crash-{kill_during}"},
            )
            assert r.status_code == 202, r.text
            job_id = r.json()["id"]
            running = await wait_running_step(api, job_id, kill_during)
            assert running["lease_owner"] == "api-run-1"
            os.kill(first.pid, signal.SIGKILL)
            first.wait(10)
        await switch(world["gateway_url"], slow_ms=0)

        second_log = tmp_path / "api-2.log"
        with api_process(world["env"], "api-run-2", second_log) as second:
            await wait_ready(world["url"], second, second_log)
            deadline = time.monotonic() + 60
            while (job := await get_job(api, job_id))["status"] not in TERMINAL:
                assert time.monotonic() < deadline, job
                await asyncio.sleep(0.1)
            assert job["status"] == "succeeded", (job, tail(second_log))
            assert job["runs"] == 2 and job["lease_owner"] is None
            steps = {s["name"]: s for s in job["steps"]}
            # Run again after the takeover (a slow machine may add a retry before the kill).
            assert steps[kill_during]["attempts"] >= 2, steps[kill_during]
            assert steps["update_placement"]["attempts"] == 1
            assert "taken over after lease expiry" in tail(second_log, 100_000)

    after = await history(world["placement"], "aggregate_placement")
    assert len(after) == len(before) + 1  # exactly one placement write
    assert after[-1]["tenants"][TENANT] == "aggregate-2"
    assert (await resolve(world["gateway_url"]))["shard"] == "aggregate-2"
    assert (await tenant_status(instances["aggregate-1"]))["draining"] is True
    assert (await tenant_status(instances["aggregate-2"]))["accepting"] is True
    lock = await _lock(world["locks"])
    assert lock is None or lock["job_id"] != job_id or lock["expires_at"] < time.time()


async def _lock(kv: Any) -> dict[str, Any] | None:
    try:
        entry = await kv.get(f"tenant.{TENANT}")
    except nats.js.errors.KeyNotFoundError:
        return None
    if entry.value is None:
        return None
    body: dict[str, Any] = json.loads(entry.value)
    return body
