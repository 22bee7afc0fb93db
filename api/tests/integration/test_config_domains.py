"""Each registry domain through the API against the devfleet: placement (every affected
instance reports the new revision), runner activation (the runners run it; an unknown
definition is refused), validation findings, definitions, read-only observability."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.support.auth import bearer
from tests.support.config import apply_and_wait, config_env, current, plan, resolve
from tests.support.ops import TENANT

pytestmark = pytest.mark.integration
PLACEMENT = "/admin/v1/config/placement/map"
ACTIVATION = "/admin/v1/config/runner.activation/activation"


async def test_placement_change_is_verified_on_every_affected_instance(
    tmp_path: Path, secret_file: Path
) -> None:
    async with config_env(tmp_path, secret_file) as e:
        before = await current(e.api, PLACEMENT, scope="aggregate")
        doc = before["value"]
        doc["tenants"][TENANT] = "aggregate-2"
        p = await plan(
            e.api,
            doc,
            before["revision"],
            "/admin/v1/plans/config/placement/map",
            scope="aggregate",
        )
        assert p["ok"] is True, p["findings"]
        services = sorted(s["instance"] for s in p["impact"]["services"])
        assert services == ["aggregate-1", "aggregate-2", "gateway"]
        job = await apply_and_wait(e.api, p, url=PLACEMENT, name="map", scope="aggregate")
        assert job["status"] == "succeeded", job
        written = next(s for s in job["steps"] if s["name"] == "write")["output"]["revision"]
        async with httpx.AsyncClient() as c:
            for name in ("aggregate-1", "aggregate-2"):
                state = (await c.get(f"{e.instances[name].url}/admin/v1/instance")).json()
                assert state["revisions"]["aggregate"] == written
        assert (await resolve(e.gateway_url, TENANT))["shard"] == "aggregate-2"


async def test_a_placement_naming_an_instance_outside_the_fleet_is_refused(
    tmp_path: Path, secret_file: Path
) -> None:
    async with config_env(tmp_path, secret_file) as e:
        before = await current(e.api, PLACEMENT, scope="aggregate")
        doc = before["value"]
        doc["shards"]["aggregate-3"] = {"endpoints": ["http://127.0.0.1:9"]}
        text = json.dumps(doc)[:-1] + ', "tenants": {"acme": "aggregate-1"}}'  # a key given twice
        r = await e.api.post(
            f"{PLACEMENT}/validate",
            params={"scope": "aggregate"},
            json={"document": text},
            headers=bearer(),
        )
        assert r.status_code == 422, r.text
        body = r.json()
        codes = {(f["code"], f["pointer"]) for f in body["findings"]}
        assert ("config.placement.unknown_instance", "/shards/aggregate-3/endpoints/0") in codes
        assert ("config.placement.duplicate_key", "/tenants") in codes
        assert body["code"] == "config_invalid"


async def test_runner_activation_is_applied_and_run_by_the_runners(
    tmp_path: Path, secret_file: Path
) -> None:
    async with config_env(tmp_path, secret_file) as e:
        before = await current(e.api, ACTIVATION)
        assert before["present"] is False and before["revision"] is None
        doc = {
            "schema_version": 1,
            "activations": [{"type": "saga", "name": "order-fulfilment", "version": 2}],
        }
        p = await plan(e.api, doc, None, "/admin/v1/plans/config/runner.activation/activation")
        assert p["ok"] is True, p["findings"]
        assert [s["instance"] for s in p["impact"]["services"]] == ["runner-1"]
        job = await apply_and_wait(e.api, p, url=ACTIVATION, name="activation")
        assert job["status"] == "succeeded", job
        written = next(s for s in job["steps"] if s["name"] == "write")["output"]["revision"]
        defs = (await e.api.get("/admin/v1/definitions", headers=bearer())).json()
        saga = next(
            d for d in defs["definitions"] if d["name"] == "order-fulfilment" and d["version"] == 2
        )
        assert saga["active_in"] == ["platform"] and saga["runners"] == ["runner-1"]
        assert defs["runners"][0]["activation"] == {"platform": written}
        doc_r = await e.api.get("/admin/v1/definitions/saga/order-fulfilment/2", headers=bearer())
        assert doc_r.status_code == 200 and "fraud-check" in doc_r.json()["steps"]

        unknown = {
            "schema_version": 1,
            "activations": [{"type": "effect", "name": "nope", "version": 1}],
        }
        r = await e.api.post(
            f"{ACTIVATION}/validate", json={"document": json.dumps(unknown)}, headers=bearer()
        )
        assert r.status_code == 422, r.text
        assert r.json()["findings"][0]["code"] == "config.runner.activation.unknown_definition"
        yaml_doc = (
            "schema_version: 1\nactivations:\n  - {type: effect, name: sync-crm, version: 1}\n"
        )
        r = await e.api.post(
            f"{ACTIVATION}/validate",
            json={"document": yaml_doc, "format": "yaml"},
            headers=bearer(),
        )
        assert r.status_code == 200 and r.json()["ok"] is True, r.text


async def test_secrets_are_refused_and_listing_filters(tmp_path: Path, secret_file: Path) -> None:
    async with config_env(tmp_path, secret_file) as e:
        doc = {"schema_version": 1, "api_token": "abc"}
        r = await e.api.post(
            "/admin/v1/config/flags/control/validate",
            json={"document": json.dumps(doc)},
            headers=bearer(),
        )
        assert r.status_code == 422
        assert r.json()["findings"][0] == {
            "code": "config.flags.secret_refused",
            "pointer": "/api_token",
            "message": r.json()["findings"][0]["message"],
            "severity": "error",
        }
        page = (
            await e.api.get("/admin/v1/config", params={"domain": "placement"}, headers=bearer())
        ).json()
        assert [(c["name"], c["scope"]) for c in page["items"]] == [
            ("map", "aggregate"),
            ("map", "projection"),
            ("map", "runner"),
        ]
        viewer = await e.api.post(
            "/admin/v1/config/flags/control/apply",
            json={
                "reason": "x",
                "base_revision": None,
                "patch": [],
                "plan_hash": "0" * 64,
                "confirm": "control",
            },
            headers={**bearer("viewer"), "Idempotency-Key": "k1"},
        )
        assert viewer.status_code == 403
