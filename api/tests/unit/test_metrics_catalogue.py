"""The console's named queries: one definition with the Grafana dashboards, safe substitution,
bounded ranges, and a clear 503 without a store (no NATS, no server: fakes of the port)."""

from __future__ import annotations

import asyncio
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
    # the window ends at the last whole step before now
    assert (answer.start, answer.end, answer.step) == (6396.0, 9996.0, 12.0)
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


class GatedStore:
    def __init__(self) -> None:
        self.calls = 0
        self.fail = False
        self.gate = asyncio.Event()
        self.gate.set()

    async def query_range(self, expr: str, start: float, end: float, step: float) -> list[Series]:
        self.calls += 1
        await self.gate.wait()
        if self.fail:
            raise MetricsUnavailable("down")
        return [Series(labels={"n": str(self.calls)}, points=[(end, 1.0)])]


async def test_identical_questions_share_one_answer_within_a_step() -> None:
    store = GatedStore()
    wall, mono = [10_007.0], [0.0]
    service = MetricsService(store, cache_s=5, clock=lambda: wall[0], monotonic=lambda: mono[0])
    first = await service.range("request_rate_by_service", 3600, 15, {})
    assert first.end == 10_005.0  # "now" ends at the last whole step: consoles ask alike
    again = await service.range("request_rate_by_service", 3600, 15, {})
    assert store.calls == 1 and again.series == first.series
    # another question (variables, step) is another answer
    await service.range("request_rate_by_service", 3600, 15, {"kind": "gateway"})
    assert store.calls == 2
    # concurrent identical questions make one request to the store
    mono[0] += 6
    store.gate.clear()
    waiting = [
        asyncio.create_task(service.range("request_rate_by_service", 3600, 15, {}))
        for _ in range(5)
    ]
    await asyncio.sleep(0.01)
    store.gate.set()
    answers = await asyncio.gather(*waiting)
    assert store.calls == 3 and len({a.series[0].labels["n"] for a in answers}) == 1
    # a failure is not remembered: the next question asks again
    mono[0] += 6
    store.fail = True
    with pytest.raises(MetricsUnavailable):
        await service.range("request_rate_by_service", 3600, 15, {})
    store.fail = False
    await service.range("request_rate_by_service", 3600, 15, {})
    assert store.calls == 5
    # an explicit end is used as given; cache_s=0 asks every time
    off = MetricsService(store, cache_s=0, clock=lambda: wall[0])
    await off.range("request_rate_by_service", 3600, 15, {}, end=9_999.0)
    await off.range("request_rate_by_service", 3600, 15, {}, end=9_999.0)
    assert store.calls == 7


async def test_when_the_first_asker_leaves_the_others_still_get_an_answer() -> None:
    store = GatedStore()
    service = MetricsService(store, cache_s=5, clock=lambda: 10_000.0)
    store.gate.clear()
    leader = asyncio.create_task(service.range("node_cpu_busy", 600, 15, {}))
    await asyncio.sleep(0.01)
    follower = asyncio.create_task(service.range("node_cpu_busy", 600, 15, {}))
    await asyncio.sleep(0.01)
    leader.cancel()
    await asyncio.sleep(0.01)
    store.gate.set()
    answer = await follower
    assert answer.series and store.calls == 2
