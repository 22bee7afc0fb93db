"""The console's named metrics queries against a real VictoriaMetrics loaded with a fixture
series for every contract metric and the recording rules replayed (tests/observability/conftest):
each named query returns data through the metrics adapter, and the API answers them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from tests.observability.conftest import LoadedVM
from tests.support.auth import FakeRights, bearer
from tests.support.settings import app_settings
from tests.support.wait import eventually

from cloudlysis_control.adapters.metrics import PrometheusApi
from cloudlysis_control.bootstrap.app import create_app
from cloudlysis_control.metrics.catalogue import CATALOGUE, render
from cloudlysis_control.metrics.service import MetricsService
from cloudlysis_control.tenants.state import TenantLag

# What the contract's fixtures hold for the variables a query takes.
VALUES: dict[str, dict[str, Any]] = {
    "request_rate_by_service": {"kind": "gateway"},
    "error_ratio_by_service": {"kind": "gateway"},
    "p99_by_service": {"kind": "gateway"},
    "p50_by_service": {"kind": "gateway"},
    "request_rate_by_instance": {"service": "gateway"},
    "error_ratio_by_version": {"service": "gateway"},
    "request_rate_by_version": {"service": "gateway"},
    "latency_p99_by_version": {"service": "gateway"},
    "p99_of_service_by_version": {"service": "gateway"},
    "tenant_gateway_inflight": {"tenant": "t-acme"},
    "tenant_aggregate_inflight": {"tenant": "t-acme"},
    "tenant_projection_lag": {"tenant": "t-acme"},
}


@pytest.mark.parametrize("name", sorted(CATALOGUE))
async def test_every_named_query_returns_series_from_the_store(
    loaded_vm: LoadedVM, name: str
) -> None:
    query = CATALOGUE[name]
    store = PrometheusApi(loaded_vm.vm.url, None, timeout_s=10)
    try:
        step = 60.0
        expr = render(query, step, VALUES.get(name, {}))
        series = await store.query_range(expr, loaded_vm.now - 900, loaded_vm.now, step)
    finally:
        await store.aclose()
    assert series, f"{name}: no series for {expr}"
    points = [v for s in series for _, v in s.points if v is not None]
    assert points, f"{name}: series without a value: {series[:2]}"
    for label in query.legend.split():
        assert any(label in s.labels for s in series), (name, label, series[0].labels)


async def test_the_api_serves_a_named_query_from_the_store(
    loaded_vm: LoadedVM, nats_url: str, secret_file: Path, tmp_path: Path
) -> None:
    settings = app_settings(nats_url, secret_file, tmp_path, CONTROL_METRICS_URL=loaded_vm.vm.url)
    async with AsyncTestClient(app=create_app(settings, rights_source=FakeRights())) as client:
        listed = await client.get("/admin/v1/metrics", headers=bearer("viewer"))
        assert listed.status_code == 200
        assert {q["name"] for q in listed.json()} == set(CATALOGUE)
        r = await client.get(
            "/admin/v1/metrics/request_rate_by_service",
            params={"range": 900, "step": 60, "kind": "gateway"},
            headers=bearer("viewer"),
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["unit"] == "reqps" and body["step"] == 60
        assert body["series"] and body["series"][0]["labels"]["service"] == "gateway"
        assert all(len(point) == 2 for point in body["series"][0]["points"])


async def test_the_tenants_list_lag_comes_from_the_store(loaded_vm: LoadedVM) -> None:
    """The lag column's background refresh against the real store: the dashboards' query, the
    latest value per tenant, the `__other__` series left out."""
    store = PrometheusApi(loaded_vm.vm.url, None, timeout_s=10)
    try:
        lag = TenantLag(MetricsService(store, clock=lambda: loaded_vm.now))
        assert lag.current() == ({}, None)

        async def figures() -> dict[str, int] | None:
            values, age = lag.current()
            return values if age is not None else None

        values = await eventually(figures, 20)
        await lag.stop()
    finally:
        await store.aclose()
    assert "t-acme" in values and "__other__" not in values
    assert all(isinstance(v, int) and v >= 0 for v in values.values())
