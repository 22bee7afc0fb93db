"""/ready names every missing state bucket or stream, including the placement bucket."""

from __future__ import annotations

import asyncio
from pathlib import Path

import nats
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from cloudlysis_control.adapters.nats.server import EmbeddedNatsServer
from cloudlysis_control.bootstrap.app import create_app
from tests.support.auth import FakeRights
from tests.support.settings import app_settings

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("bucket", ["control_placement", "control_jobs"])
async def test_ready_names_a_missing_bucket(tmp_path: Path, secret_file: Path, bucket: str) -> None:
    server = EmbeddedNatsServer(tmp_path / "nats")
    await server.start()
    try:
        app = create_app(
            app_settings(server.url, secret_file, tmp_path), rights_source=FakeRights()
        )
        async with AsyncTestClient(app=app) as client:
            assert (await client.get("/ready")).status_code == 200
            nc = await nats.connect(server.url)
            try:
                await nc.jetstream().delete_key_value(bucket)
            finally:
                await nc.close()
            await asyncio.sleep(1.1)  # readiness answers are cached for 1 s
            r = await client.get("/ready")
            assert r.status_code == 503
            body = r.json()
            assert body["code"] == "not_ready"
            assert body["dependencies"] == {f"jetstream:KV_{bucket}": "missing"}
    finally:
        await server.stop()


async def test_ready_names_the_replication_on_a_single_server(
    client: AsyncTestClient[Litestar],
) -> None:
    r = await client.get("/ready")
    assert r.status_code == 200, r.text
    state = r.json()["state"]
    assert state["replicas"] == 1
    assert state["chosen_by"] == "auto: a single server (not part of a cluster)"
    assert state["streams"]["KV_control_jobs"] == {"replicas": 1, "leader": state["server"]}
    assert state["streams"]["CONTROL_AUDIT"]["leader"]
