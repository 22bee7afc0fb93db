"""The devfleet Gateway routing from the dev placement file (`--placement-file`): it follows the
file, applies a change on reload, reports the revision it serves, and honours routing
overrides; the fault switch keeps the old table for one reload."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from cloudlysis_devfleet import GatewayConfig, create_gateway_app, serve

from cloudlysis_control.placement.sources import content_revision, write_atomic

pytestmark = pytest.mark.integration


def dev_file(overrides: list[dict[str, Any]]) -> bytes:
    shards = {f"aggregate-{n}": {"endpoints": [f"http://127.0.0.1:{8710 + n}"]} for n in (1, 2)}
    aggregate = {
        "schema_version": 1,
        "kind": "aggregate",
        "default_shard": "aggregate-1",
        "shards": shards,
        "tenants": {"acme": "aggregate-1"},
    }
    routing = {
        "schema_version": 1,
        "routes": [{"path_prefix": "/v1/c", "kind": "aggregate"}],
        "overrides": overrides,
    }
    return json.dumps(
        {"schema_version": 1, "aggregate_placement": aggregate, "routing": routing}
    ).encode()


async def test_the_gateway_routes_from_the_file_and_applies_changes_on_reload(
    tmp_path: Path,
) -> None:
    path = tmp_path / "dev.json"
    write_atomic(path, dev_file([]))
    app = create_gateway_app(GatewayConfig(data_dir=tmp_path / "gw", placement_file=path))
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as c:
        resolve = {"tenant": "acme", "kind": "aggregate"}
        first = (await c.get("/admin/routing/resolve", params=resolve)).json()
        assert first["shard"] == "aggregate-1" and first["source"] == "placement"
        assert first["routing_revision"] == content_revision(path.read_bytes())

        moved = dev_file([{"tenant": "acme", "kind": "aggregate", "shard": "aggregate-2"}])
        write_atomic(path, moved)
        before_reload = (await c.get("/admin/routing/resolve", params=resolve)).json()
        assert before_reload["shard"] == "aggregate-1"  # observed, not active until reload
        r = await c.post("/admin/v1/config/reload")
        assert r.status_code == 200, r.text
        assert r.json()["revisions"]["routing"] == content_revision(moved)
        after = (await c.get("/admin/routing/resolve", params=resolve)).json()
        assert (after["shard"], after["source"]) == ("aggregate-2", "override")
        assert after["endpoints"] == ["http://127.0.0.1:8712"]
        state = (await c.get("/admin/v1/instance")).json()
        assert state["revisions"]["routing"] == content_revision(moved)

        # The fault switch: the next reload reports the new revision, answers from the old table.
        assert (await c.post("/_devfleet/routing/fault", json={})).json()["wrong_after_reload"]
        write_atomic(path, dev_file([]))
        await c.post("/admin/v1/config/reload")
        wrong = (await c.get("/admin/routing/resolve", params=resolve)).json()
        assert wrong["shard"] == "aggregate-2"
        assert wrong["routing_revision"] == content_revision(path.read_bytes())
        await c.post("/admin/v1/config/reload")
        healed = (await c.get("/admin/routing/resolve", params=resolve)).json()
        assert healed["shard"] == "aggregate-1"
