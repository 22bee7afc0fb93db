"""The metrics endpoints when the store is unset or down: a clear 503 problem, the rest of the
API unaffected (the store itself is tested in tests/observability against VictoriaMetrics)."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from cloudlysis_control.bootstrap.app import create_app
from tests.support.auth import FakeRights, bearer
from tests.support.net import free_port
from tests.support.problems import problem
from tests.support.settings import app_settings

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("store", ["unset", "down"])
async def test_no_store_is_a_503_problem_and_nothing_else_breaks(
    nats_url: str, secret_file: Path, tmp_path: Path, store: str
) -> None:
    env = {} if store == "unset" else {"CONTROL_METRICS_URL": f"http://127.0.0.1:{free_port()}"}
    app = create_app(
        app_settings(nats_url, secret_file, tmp_path, **env), rights_source=FakeRights()
    )
    async with AsyncTestClient(app=app) as client:
        r = await client.get(
            "/admin/v1/metrics/request_rate_by_service",
            params={"kind": "gateway"},
            headers=bearer(),
        )
        assert problem(r, 503)["code"] == "metrics_unavailable"
        assert (await client.get("/ready")).status_code == 200
        assert (await client.get("/admin/v1/metrics", headers=bearer())).status_code == 200


async def test_bad_requests_are_told_apart(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    r = await client.get("/admin/v1/metrics/nope", headers=bearer())
    assert problem(r, 400)["code"] == "validation_failed"
    r = await client.get(
        "/admin/v1/metrics/node_cpu_busy", params={"range": 86400, "step": 5}, headers=bearer()
    )
    assert problem(r, 422)["code"] == "params_invalid"
    r = await client.get("/admin/v1/metrics/node_cpu_busy", headers=bearer("nobody"))
    assert problem(r, 403)["missing_right"] == "control.fleet.read"
