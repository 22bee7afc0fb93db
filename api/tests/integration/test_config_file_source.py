"""The registry with routing and placement in the dev file (CONTROL_PLACEMENT_SOURCE=file):
apply writes the file atomically by compare-and-set on its content revision, the API and a
devfleet Gateway started on that file hot-reload it, the job verifies through the Gateway, and
the history and a rollback work as with NATS."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import nats
import pytest
from cloudlysis_devfleet import GatewayConfig, create_gateway_app, serve
from cloudlysis_devfleet.platform_host import fleet_configs, serve_platform

from cloudlysis_control.adapters.nats.server import EmbeddedNatsServer
from cloudlysis_control.adapters.nats.state import BUCKET_CONFIG, NatsState
from cloudlysis_control.bootstrap.app import create_app
from cloudlysis_control.placement.sources import content_revision, write_atomic
from tests.support.auth import FakeRights, bearer
from tests.support.config import FLAGS, apply_and_wait, plan, resolve, routing_doc
from tests.support.ops import TENANT, wait_job
from tests.support.settings import app_settings

pytestmark = pytest.mark.integration
ROUTING = "/admin/v1/config/routing/gateway"


async def test_apply_and_rollback_with_the_dev_file_as_source(
    tmp_path: Path, secret_file: Path
) -> None:
    server = EmbeddedNatsServer(tmp_path / f"nats-{uuid.uuid4().hex[:6]}")
    await server.start()
    try:
        state = NatsState(url=server.url)
        await state.connect()
        await state.provision([BUCKET_CONFIG], [])
        await state.close()
        nc = await nats.connect(server.url)
        await (await nc.jetstream().key_value(BUCKET_CONFIG.name)).put(
            "flags/control/platform", json.dumps(FLAGS).encode()
        )
        await nc.close()
        configs = fleet_configs({"aggregate": 2})
        async with serve_platform(configs) as hosted:
            shards = {h.config.instance: {"endpoints": [h.url]} for h in hosted}
            aggregate = {
                "schema_version": 1,
                "kind": "aggregate",
                "default_shard": "aggregate-1",
                "shards": shards,
                "tenants": {TENANT: "aggregate-1", "globex": "aggregate-2"},
            }
            dev = tmp_path / "dev.json"
            doc = {"schema_version": 1, "aggregate_placement": aggregate, "routing": routing_doc()}
            write_atomic(dev, json.dumps(doc).encode())
            gateway_app = create_gateway_app(
                GatewayConfig(data_dir=tmp_path / "gw", placement_file=dev)
            )
            async with serve(gateway_app) as gateway_url:
                fleet = [h.fleet_entry() for h in hosted]
                fleet.append({"name": "gateway", "kind": "gateway", "url": gateway_url})
                (tmp_path / "fleet.json").write_text(json.dumps(fleet))
                settings = app_settings(
                    server.url,
                    secret_file,
                    tmp_path,
                    CONTROL_PLACEMENT_SOURCE="file",
                    CONTROL_PLACEMENT_FILE=str(dev),
                    CONTROL_FLEET_FILE=str(tmp_path / "fleet.json"),
                    CONTROL_GATEWAY_URL=gateway_url,
                )
                app = create_app(settings, rights_source=FakeRights())
                async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as api:
                    before = (await api.get(ROUTING, headers=bearer())).json()
                    assert before["source"] == "file" and before["read_only"] is False
                    assert before["revision"] == content_revision(dev.read_bytes())
                    move = [{"tenant": TENANT, "kind": "aggregate", "shard": "aggregate-2"}]
                    p = await plan(api, routing_doc(move), before["revision"])
                    assert p["ok"], p["findings"]
                    job = await apply_and_wait(api, p)
                    assert job["status"] == "succeeded", job
                    written = next(s for s in job["steps"] if s["name"] == "write")["output"]
                    assert written["revision"] == content_revision(dev.read_bytes())
                    on_disk = json.loads(dev.read_text())
                    assert on_disk["routing"]["overrides"][0]["shard"] == "aggregate-2"
                    assert on_disk["aggregate_placement"] == aggregate  # other sections kept
                    assert (await resolve(gateway_url, TENANT))["shard"] == "aggregate-2"
                    history = (await api.get(f"{ROUTING}/history", headers=bearer())).json()
                    assert [h["op"] for h in history["items"]] == ["apply", "baseline"]

                    back = await api.post(
                        "/admin/v1/plans/config/routing/gateway/rollback",
                        json={
                            "base_revision": written["revision"],
                            "target_revision": before["revision"],
                        },
                        headers=bearer(),
                    )
                    assert back.status_code == 200, back.text
                    r = await api.post(
                        f"{ROUTING}/rollback",
                        json={
                            "reason": "undo",
                            "base_revision": written["revision"],
                            "target_revision": before["revision"],
                            "plan_hash": back.json()["plan_hash"],
                            "confirm": "gateway",
                        },
                        headers={**bearer(), "Idempotency-Key": uuid.uuid4().hex},
                    )
                    assert r.status_code == 202, r.text
                    assert (await wait_job(api, r.json()["id"]))["status"] == "succeeded"
                    assert (await resolve(gateway_url, TENANT))["shard"] == "aggregate-1"
                    assert json.loads(dev.read_text())["routing"]["overrides"] == []
    finally:
        await server.stop()
