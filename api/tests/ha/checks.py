"""What every HA scenario checks after a change ran through a failure: exactly-once effects."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import nats

from tests.ha.world import HaWorld, audit_stream, get_job
from tests.support.ops import TENANT, TERMINAL


async def plan_and_migrate(
    api: httpx.AsyncClient, target: str, key: str, reason: str = "HA suite"
) -> str:
    p = await api.post(
        f"/admin/v1/plans/tenants/{TENANT}/migrate",
        json={"kind": "aggregate", "target_shard": target},
    )
    assert p.status_code == 200 and p.json()["ok"] is True, p.text
    r = await api.post(
        f"/admin/v1/tenants/{TENANT}/migrate",
        json={
            "reason": reason,
            "kind": "aggregate",
            "target_shard": target,
            "plan_hash": p.json()["plan_hash"],
        },
        headers={"Idempotency-Key": key},
    )
    assert r.status_code == 202, r.text
    job_id: str = r.json()["id"]
    return job_id


async def wait_running_step(api: httpx.AsyncClient, job_id: str, step: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        job = await get_job(api, job_id)
        s = next(s for s in job["steps"] if s["name"] == step)
        if s["status"] == "running" and job["lease_owner"]:
            return job
        assert job["status"] not in TERMINAL, job
        assert time.monotonic() < deadline, job
        await asyncio.sleep(0.02)


async def lock_holder(world: HaWorld) -> str | None:
    """The job id holding the tenant's lock, if any (an expired record counts as none)."""
    try:
        entry = await world.locks.get(f"tenant.{TENANT}")
    except nats.js.errors.KeyNotFoundError:
        return None
    if not entry.value:
        return None
    body: dict[str, Any] = json.loads(entry.value)
    if float(body.get("expires_at", 0)) < time.time():
        return None
    holder: str = body["job_id"]
    return holder


async def assert_audit_complete(world: HaWorld, jobs: dict[str, str]) -> dict[str, int]:
    """CONTROL_AUDIT has no gap (every sequence from the first to the last is there, nothing
    deleted) and each job (id: its final status) has one acceptance and one end, not two."""
    state, events = await audit_stream(world)
    seqs = [seq for seq, _ in events]
    assert state["num_deleted"] == 0, state
    assert state["messages"] == state["last_seq"] - state["first_seq"] + 1, state
    assert seqs == list(range(state["first_seq"], state["last_seq"] + 1)), seqs
    for job_id, status in jobs.items():
        mine = [e for _, e in events if e.get("job_id") == job_id]
        actions = [(e["action"], e["outcome"]) for e in mine]
        accepted = [a for a in actions if a[0].startswith("job.create.") and a[1] == "accepted"]
        ended = [a for a in actions if a[0] in ("job.succeeded", "job.failed")]
        assert len(accepted) == 1, actions
        outcome = "succeeded" if status == "succeeded" else "failed"
        assert ended == [(f"job.{status}", outcome)], actions
    return state
