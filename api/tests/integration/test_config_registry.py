"""The config registry on real NATS with the devfleet: apply, history, rollback, a stale plan,
two applies at once, and the automatic restore after a Gateway answers wrongly."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from tests.support.auth import bearer
from tests.support.config import (
    PLAN_URL,
    ROUTING_URL,
    apply,
    apply_and_wait,
    config_env,
    current,
    job_headers,
    plan,
    resolve,
    routing_doc,
)
from tests.support.ops import TENANT, wait_job

pytestmark = pytest.mark.integration
MOVE = [{"tenant": TENANT, "kind": "aggregate", "shard": "aggregate-2"}]


async def test_apply_history_and_rollback_to_an_older_revision(
    tmp_path: Path, secret_file: Path
) -> None:
    async with config_env(tmp_path, secret_file) as e:
        before = await current(e.api)
        assert before["present"] is True and before["source"] == "nats"
        assert (await resolve(e.gateway_url, TENANT))["shard"] == "aggregate-1"

        p = await plan(e.api, routing_doc(MOVE), before["revision"])
        assert p["ok"] is True and p["changed"] is True, p["findings"]
        assert p["impact"]["tenants_changed"] == 1
        assert p["impact"]["changes"] == [
            {
                "tenant": TENANT,
                "kind": "aggregate",
                "from_shard": "aggregate-1",
                "to_shard": "aggregate-2",
                "from_source": "placement",
                "to_source": "override",
            }
        ]
        assert [s["instance"] for s in p["impact"]["services"]] == ["gateway"]
        assert p["patch"][0]["op"] == "add" and p["patch"][0]["path"] == "/overrides/0"
        again = await plan(e.api, routing_doc(MOVE), before["revision"])
        assert again == p  # deterministic

        job = await apply_and_wait(e.api, p)
        assert job["status"] == "succeeded", job
        steps = {s["name"]: s for s in job["steps"]}
        written = steps["write"]["output"]["revision"]
        assert steps["verify"]["output"]["resolved"] >= 1
        answer = await resolve(e.gateway_url, TENANT)
        assert answer["shard"] == "aggregate-2" and answer["routing_revision"] == written

        after = await current(e.api)
        assert after["revision"] == written and after["sha256"] == p["proposed_sha256"]
        assert after["updated_by"] == "admin" and after["job_id"] == job["id"]
        history = (await e.api.get(f"{ROUTING_URL}/history", headers=bearer())).json()["items"]
        assert [h["op"] for h in history] == ["apply", "baseline"]
        assert history[0]["revision"] == written and history[0]["plan_hash"] == p["plan_hash"]
        assert history[1]["revision"] == before["revision"]
        old = (
            await e.api.get(f"{ROUTING_URL}/revisions/{before['revision']}", headers=bearer())
        ).json()
        assert old["value"]["overrides"] == []

        r = await e.api.post(
            f"{PLAN_URL}/rollback",
            json={"base_revision": written, "target_revision": before["revision"]},
            headers=bearer(),
        )
        assert r.status_code == 200, r.text
        back = r.json()
        assert back["impact"]["changes"][0]["to_shard"] == "aggregate-1"
        r = await e.api.post(
            f"{ROUTING_URL}/rollback",
            json={
                "reason": "undo",
                "base_revision": written,
                "target_revision": before["revision"],
                "plan_hash": back["plan_hash"],
                "confirm": "gateway",
            },
            headers=job_headers(),
        )
        assert r.status_code == 202, r.text
        job = await wait_job(e.api, r.json()["id"])
        assert job["status"] == "succeeded", job
        assert (await resolve(e.gateway_url, TENANT))["shard"] == "aggregate-1"
        history = (await e.api.get(f"{ROUTING_URL}/history", headers=bearer())).json()["items"]
        assert [h["op"] for h in history] == ["rollback", "apply", "baseline"]
        assert (await current(e.api))["sha256"] == before["sha256"]


async def test_a_plan_made_before_another_write_is_refused_as_stale(
    tmp_path: Path, secret_file: Path
) -> None:
    async with config_env(tmp_path, secret_file) as e:
        before = await current(e.api)
        p = await plan(e.api, routing_doc(MOVE), before["revision"])
        moved = await e.placement.put("routing", json.dumps(routing_doc()).encode())
        r = await apply(e.api, p)
        assert r.status_code == 409, r.text
        body = r.json()
        assert body["code"] == "plan_stale" and body["current_revision"] == str(moved)
        r = await e.api.post(
            PLAN_URL,
            json={"base_revision": before["revision"], "document": json.dumps(routing_doc(MOVE))},
            headers=bearer(),
        )
        assert r.status_code == 409 and r.json()["code"] == "plan_stale"


async def test_two_applies_at_once_one_runs_one_gets_409(tmp_path: Path, secret_file: Path) -> None:
    async with config_env(tmp_path, secret_file) as e:
        before = await current(e.api)
        p = await plan(e.api, routing_doc(MOVE), before["revision"])
        first, second = await asyncio.gather(apply(e.api, p), apply(e.api, p))
        statuses = sorted([first.status_code, second.status_code])
        assert statuses == [202, 409], (first.text, second.text)
        loser = first if first.status_code == 409 else second
        assert loser.json()["code"] in ("lock_held", "plan_stale")
        winner = first if first.status_code == 202 else second
        job = await wait_job(e.api, winner.json()["id"])
        assert job["status"] == "succeeded", job
        history = (await e.api.get(f"{ROUTING_URL}/history", headers=bearer())).json()["items"]
        assert [h["op"] for h in history] == ["apply", "baseline"]


async def test_a_wrong_gateway_answer_restores_the_previous_revision(
    tmp_path: Path, secret_file: Path
) -> None:
    async with config_env(tmp_path, secret_file) as e:
        before = await current(e.api)
        p = await plan(e.api, routing_doc(MOVE), before["revision"])
        async with httpx.AsyncClient() as c:
            r = await c.post(
                f"{e.gateway_url}/_devfleet/routing/fault", json={"wrong_after_reload": True}
            )
            assert r.status_code == 200, r.text
        job = await apply_and_wait(e.api, p)
        assert job["status"] == "failed", job
        assert job["error"]["code"] == "verification_failed"
        steps = {s["name"]: s for s in job["steps"]}
        seen = steps["verify"]["output"]["seen"]["resolutions"]
        assert any(
            a["tenant"] == TENANT and a["answered"] == "aggregate-1" and not a["ok"] for a in seen
        )
        for name in ("compensate:restore", "compensate:reload", "compensate:verify"):
            assert steps[name]["status"] == "succeeded", steps[name]
        assert "restored" in job["summary"]
        after = await current(e.api)
        assert after["sha256"] == before["sha256"]
        assert after["revision"] == steps["compensate:restore"]["output"]["revision"]
        assert (await resolve(e.gateway_url, TENANT))["shard"] == "aggregate-1"
        history = (await e.api.get(f"{ROUTING_URL}/history", headers=bearer())).json()["items"]
        assert [h["op"] for h in history] == ["restore", "apply", "baseline"]
