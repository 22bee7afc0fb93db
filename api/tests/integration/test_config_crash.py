"""Crash test: the API is SIGKILLed while a `config.apply` job reloads the Gateway, and
restarted; the job completes with exactly one write and its lock is released.

As in test_migration_crash.py: the API runs as a real subprocess against a real nats-server and
the devfleet (whose Gateway issues the tokens); the Gateway is made slow through its switches so
the kill lands inside the reload step.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest

from cloudlysis_control.adapters.nats.state import BUCKET_CONFIG
from tests.support.api_process import api_process, tail, wait_ready
from tests.support.config import FLAGS, routing_doc
from tests.support.net import free_port
from tests.support.ops import TENANT, TERMINAL, devfleet_world, history, resolve, switch

pytestmark = pytest.mark.integration
LEASE_S = 2


async def _job(api: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    r = await api.get(f"/admin/v1/jobs/{job_id}")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_sigkill_during_apply_then_restart_writes_exactly_once(tmp_path: Path) -> None:
    async with devfleet_world(tmp_path) as w:
        await w.placement.put("routing", json.dumps(routing_doc()).encode())
        nc = await nats.connect(w.nats_url)
        js = nc.jetstream()
        await (await js.key_value(BUCKET_CONFIG.name)).put(
            "flags/control/platform", json.dumps(FLAGS).encode()
        )
        port = free_port()
        env = {
            "CONTROL_NATS_URL": w.nats_url,
            "CONTROL_PORT": str(port),
            "CONTROL_HOST": "127.0.0.1",
            "CONTROL_DATA_DIR": str(tmp_path / "data"),
            "CONTROL_JWKS_URL": f"{w.gateway_url}/.well-known/jwks.json",
            "CONTROL_GATEWAY_URL": w.gateway_url,
            "CONTROL_FLEET_FILE": str(w.fleet_file),
            "CONTROL_JOB_LEASE_S": str(LEASE_S),
            "CONTROL_LOG_LEVEL": "info",
            "CONTROL_OPS_STEP_TIMEOUT_S": "10",
        }
        async with httpx.AsyncClient() as c:
            r = await c.post(f"{w.gateway_url}/auth/v1/dev-login", json={"principal": "admin"})
            token = r.json()["access_token"]
            await c.post(f"{w.gateway_url}/admin/v1/config/reload")
        url = f"http://127.0.0.1:{port}"
        before = await history(w.placement, "routing")
        doc = routing_doc([{"tenant": TENANT, "kind": "aggregate", "shard": "aggregate-2"}])
        headers = {"authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as api:
            first_log = tmp_path / "api-1.log"
            with api_process(env, "api-run-1", first_log) as first:
                await wait_ready(url, first, first_log)
                base = (await api.get("/admin/v1/config/routing/gateway")).json()["revision"]
                p = (
                    await api.post(
                        "/admin/v1/plans/config/routing/gateway",
                        json={"base_revision": base, "document": json.dumps(doc)},
                    )
                ).json()
                assert p["ok"] is True, p
                await switch(w.gateway_url, slow_ms=3_000)
                r = await api.post(
                    "/admin/v1/config/routing/gateway/apply",
                    json={
                        "reason": "crash test",
                        "base_revision": base,
                        "patch": p["patch"],
                        "plan_hash": p["plan_hash"],
                        "confirm": "gateway",
                    },
                    headers={"Idempotency-Key": "config-crash"},
                )
                assert r.status_code == 202, r.text
                job_id = r.json()["id"]
                deadline = time.monotonic() + 30
                while True:
                    job = await _job(api, job_id)
                    steps = {s["name"]: s for s in job["steps"]}
                    if steps["reload"]["status"] == "running":
                        break
                    assert job["status"] not in TERMINAL, job
                    assert time.monotonic() < deadline, job
                    await asyncio.sleep(0.02)
                assert steps["write"]["status"] == "succeeded"
                os.kill(first.pid, signal.SIGKILL)
                first.wait(10)
            await switch(w.gateway_url, slow_ms=0)

            second_log = tmp_path / "api-2.log"
            with api_process(env, "api-run-2", second_log) as second:
                await wait_ready(url, second, second_log)
                deadline = time.monotonic() + 60
                while (job := await _job(api, job_id))["status"] not in TERMINAL:
                    assert time.monotonic() < deadline, job
                    await asyncio.sleep(0.1)
                assert job["status"] == "succeeded", (job, tail(second_log))
                assert job["runs"] == 2
                steps = {s["name"]: s for s in job["steps"]}
                assert steps["write"]["attempts"] == 1
                assert steps["reload"]["attempts"] >= 2
                items = (await api.get("/admin/v1/config/routing/gateway/history")).json()["items"]
                assert [h["op"] for h in items] == ["apply", "baseline"]
        after = await history(w.placement, "routing")
        assert len(after) == len(before) + 1  # exactly one write
        assert after[-1]["overrides"][0]["shard"] == "aggregate-2"
        assert (await resolve(w.gateway_url))["shard"] == "aggregate-2"
        lock = await _lock(w.locks)
        assert lock is None or lock["job_id"] != job_id
        await nc.close()


async def _lock(kv: Any) -> dict[str, Any] | None:
    try:
        entry = await kv.get("config.routing-gateway-platform")
    except nats.js.errors.KeyNotFoundError:
        return None
    if entry.value is None:
        return None
    body: dict[str, Any] = json.loads(entry.value)
    return body
