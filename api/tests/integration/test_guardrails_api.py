"""GET /admin/v1/guardrails through the real app and NATS: every guardrail the issue names, with
its thresholds and where each comes from; a flags document changes what it says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nats
from litestar import Litestar
from litestar.testing import AsyncTestClient

from cloudlysis_control.bootstrap.app import create_app
from tests.support.auth import FakeRights, bearer
from tests.support.settings import app_settings

REQUIRED = {
    "service_healthy",
    "crash_loop",
    "tenant_lag",
    "tenant_inflight",
    "impact_radius",
    "routing_verified",
    "lock_free",
    "plan_fresh",
}


async def _list(client: AsyncTestClient[Litestar]) -> dict[str, Any]:
    r = await client.get("/admin/v1/guardrails", headers=bearer("viewer"))
    assert r.status_code == 200, r.text
    return {g["name"]: g for g in r.json()["items"]}


async def test_the_guardrails_list_their_thresholds_and_follow_the_flags(
    own_nats: str, secret_file: Path, tmp_path: Path
) -> None:
    app = create_app(app_settings(own_nats, secret_file, tmp_path), rights_source=FakeRights())
    async with AsyncTestClient(app=app) as client:
        before = await _list(client)
        assert set(before) >= REQUIRED
        crash = {t["name"]: t for t in before["crash_loop"]["thresholds"]}
        assert crash["crash_loop_restarts"]["value"] == 5
        assert crash["crash_loop_restarts"]["source"] == "default"
        assert crash["crash_loop_restarts"]["flag"] == "crash_loop_restarts"
        assert "service.deploy" in before["crash_loop"]["workflows"]
        # A flags document (written as the registry writes it) is what the checks compare with.
        nc = await nats.connect(own_nats)
        try:
            kv = await nc.jetstream().key_value("control_config")
            doc = {"schema_version": 1, "crash_loop_restarts": 9}
            await kv.put("flags/control/platform", json.dumps(doc).encode())
        finally:
            await nc.close()
        after = await _list(client)
        crash = {t["name"]: t for t in after["crash_loop"]["thresholds"]}
        assert (crash["crash_loop_restarts"]["value"], crash["crash_loop_restarts"]["source"]) == (
            9,
            "flag",
        )
        r = await client.get("/admin/v1/guardrails", headers={})
        assert r.status_code == 401
