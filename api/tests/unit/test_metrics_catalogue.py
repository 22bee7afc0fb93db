"""The console's named queries: one definition with the Grafana dashboards, safe substitution,
bounded ranges, and a clear 503 without a store (no NATS, no server: fakes of the port)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cloudlysis_control.core.errors import MetricsUnavailable, NotFound, ParamsInvalid
from cloudlysis_control.metrics import queries
from cloudlysis_control.metrics.catalogue import CATALOGUE, render
from cloudlysis_control.metrics.ports import Series
from cloudlysis_control.metrics.service import MetricsService

REPO = Path(__file__).resolve().parents[3]


def dashboard_exprs() -> set[str]:
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("expr"), str):
                found.add(node["expr"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in (REPO / "grafana" / "dashboards").glob("*.json"):
        walk(json.loads(path.read_text()))
    return found


def test_every_console_query_is_a_dashboard_query_string() -> None:
    """The console and Grafana never disagree: each named query runs a string a committed
    dashboard panel runs, taken from the one catalogue (metrics.queries)."""
    panels = dashboard_exprs()
    constants = {v for k, v in vars(queries).items() if k.isupper() and isinstance(v, str)}
    for name, query in CATALOGUE.items():
        assert query.expr in constants, f"{name} is not a metrics.queries constant"
        assert query.expr in panels, f"{name} is not on any dashboard panel"


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_every_query_renders_without_template_variables(name: str) -> None:
    query = CATALOGUE[name]
    values = {
        v: {"kind": "runner", "service": "runner", "tenant": "acme"}[v] for v in query.variables
    }
    expr = render(query, 30, values)
    assert "$" not in expr
    for value in values.values():
        assert value in expr


def test_variable_values_are_refused_unless_plain() -> None:
    query = CATALOGUE["tenant_projection_lag"]
    for bad in ('acme"}) or vector(1', "a b", "", "x" * 200, "ü"):
        with pytest.raises(ValueError, match="not accepted"):
            render(query, 30, {"tenant": bad})
    with pytest.raises(ValueError, match="not accepted"):
        render(query, 30, {"kind": "gateway"})  # a variable the query does not take


def test_the_control_kind_is_the_control_api_service() -> None:
    assert 'service=~"control-api"' in render(
        CATALOGUE["request_rate_by_service"], 30, {"kind": "control"}
    )


class FakeStore:
    def __init__(self) -> None:
        self.asked: list[tuple[str, float, float, float]] = []

    async def query_range(self, expr: str, start: float, end: float, step: float) -> list[Series]:
        self.asked.append((expr, start, end, step))
        return [Series(labels={"service": "gateway"}, points=[(start, 1.0), (end, None)])]


async def test_a_range_is_bounded_and_stepped() -> None:
    store = FakeStore()
    service = MetricsService(store, clock=lambda: 10_000.0)
    answer = await service.range("request_rate_by_service", 3600, None, {"kind": "gateway"})
    assert (answer.start, answer.end, answer.step) == (6400.0, 10_000.0, 12.0)
    assert store.asked[0][0] == render(
        CATALOGUE["request_rate_by_service"], 12.0, {"kind": "gateway"}
    )
    with pytest.raises(ParamsInvalid, match="points"):
        await service.range("request_rate_by_service", 86400, 5, {})
    with pytest.raises(ParamsInvalid, match="takes"):
        await service.range("node_cpu_busy", 3600, None, {"tenant": "acme"})
    with pytest.raises(NotFound):
        await service.range("no_such_query", 3600, None, {})


async def test_without_a_store_the_answer_is_metrics_unavailable() -> None:
    with pytest.raises(MetricsUnavailable, match="CONTROL_METRICS_URL"):
        await MetricsService(None).range("node_cpu_busy", 3600, None, {})
