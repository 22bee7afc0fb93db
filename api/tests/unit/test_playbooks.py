"""The verification playbooks' comparisons (pure, a table) and the playbook over an in-memory
metrics store: the named queries it runs, with which windows, and what it concludes."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import msgspec
import pytest

from cloudlysis_control.config.documents import DEFAULT_FLAGS, Flags
from cloudlysis_control.config.ports import AgentResolution
from cloudlysis_control.core.errors import MetricsUnavailable
from cloudlysis_control.deployments.ports import VerifyRequest
from cloudlysis_control.fleet.ports import ProbeResult
from cloudlysis_control.fleet.registry import FleetRegistry, FleetService
from cloudlysis_control.metrics.ports import Series
from cloudlysis_control.metrics.service import MetricsService
from cloudlysis_control.placement.service import TenantIndex
from cloudlysis_control.playbooks.checks import WindowFigures, error_rate_check, p99_check
from cloudlysis_control.playbooks.service import Playbooks, settle_s
from cloudlysis_control.swarm.schemas import SwarmService, SwarmTask
from tests.support.fakes import FakeProber

FLAGS = msgspec.structs.replace(
    DEFAULT_FLAGS,
    playbook_window_s=60,
    playbook_min_requests=100,
    playbook_max_error_rate_increase=0.02,
    playbook_max_p99_ratio=1.5,
    playbook_p99_floor_ms=50,
)


def w(requests: float, ratio: float | None, p99: float | None = 0.1) -> WindowFigures:
    return WindowFigures(requests=requests, error_ratio=ratio, p99_s=p99)


@pytest.mark.parametrize(
    ("before", "after", "ok", "value", "threshold", "detail"),
    [
        (w(1000, 0.01), w(1000, 0.02), True, 0.02, 0.03, "within"),
        (w(1000, 0.01), w(1000, 0.031), False, 0.031, 0.03, "more than"),
        (w(1000, 0.0), w(1000, 0.3), False, 0.3, 0.02, "more than"),
        (w(1000, 0.2), w(1000, 0.05), True, 0.05, 0.22, "within"),  # better after
        (w(1000, None), w(1000, 0.0), True, 0.0, 0.02, "within"),
        (w(99, 0.0), w(1000, 0.5), True, None, None, "not measured: 99 requests"),
        (w(1000, 0.0), w(10, 0.5), True, None, None, "window after"),
    ],
)
def test_error_rate_compares_the_window_after_with_the_window_before(
    before: WindowFigures,
    after: WindowFigures,
    ok: bool,
    value: float | None,
    threshold: float | None,
    detail: str,
) -> None:
    c = error_rate_check(before, after, FLAGS)
    assert (c.check, c.ok, c.value, c.threshold) == ("error_rate", ok, value, threshold)
    assert detail in c.detail


@pytest.mark.parametrize(
    ("before_p99", "after_p99", "ok", "threshold", "detail"),
    [
        (0.1, 0.149, True, 0.15, "within"),
        (0.1, 0.151, False, 0.15, "more than"),
        (0.01, 0.049, True, 0.05, "within"),  # 4.9x, but under the 50 ms floor
        (0.01, 0.9, False, 0.05, "more than"),
        (None, 0.9, True, None, "not measured: no latency histogram in the window before"),
        (0.1, None, True, None, "window after"),
    ],
)
def test_p99_is_a_ratio_above_a_floor(
    before_p99: float | None,
    after_p99: float | None,
    ok: bool,
    threshold: float | None,
    detail: str,
) -> None:
    c = p99_check(w(1000, 0.0, before_p99), w(1000, 0.0, after_p99), FLAGS)
    assert (c.check, c.ok, c.threshold) == ("p99_latency", ok, threshold)
    assert detail in c.detail


def test_not_measured_fails_when_the_flags_require_metrics() -> None:
    strict = msgspec.structs.replace(FLAGS, playbook_require_metrics=True)
    c = error_rate_check(w(5, 0.0), w(5, 0.0), strict)
    assert c.ok is False and "not measured" in c.detail and "require_metrics" in c.detail
    assert error_rate_check(w(5, 0.0), w(5, 0.0), FLAGS).ok is True


def test_flags_bound_the_playbook_thresholds() -> None:
    for bad in (
        {"playbook_window_s": 1},
        {"playbook_max_error_rate_increase": 2},
        {"playbook_max_p99_ratio": 0.5},
        {"playbook_min_requests": 0},
    ):
        with pytest.raises(msgspec.ValidationError):
            msgspec.convert({"schema_version": 1, **bad}, Flags)


# -- the playbook over an in-memory store -----------------------------------------------------

DEPLOYED_AT = 100_000.0
CONVERGED_AT = 100_030.0
ADMIN = "http://aggregate-1:9100"


class FakeStore:
    """Per window end (before / after) and per named query, the series the store answers."""

    def __init__(self, answers: dict[float, dict[str, list[Series]]]) -> None:
        self.answers = answers
        self.asked: list[tuple[str, float, float, float]] = []
        self.down = False

    async def query_range(self, expr: str, start: float, end: float, step: float) -> list[Series]:
        self.asked.append((expr, start, end, step))
        if self.down:
            raise MetricsUnavailable("the metrics store is unreachable")
        which = (
            "p99"
            if "histogram_quantile" in expr
            else "errors"
            if 'status=~"5.."' in expr
            else "rate"
        )
        return self.answers.get(end, {}).get(which, [])


def series(version: str, value: float, end: float, window: float = 60) -> Series:
    return Series(
        labels={"version": version, "image_tag": version},
        points=[(end - window, 0.0), (end, value)],
    )


class FakePlanner:
    def __init__(self, service: SwarmService, image: str) -> None:
        self.service = service
        self.image = image

    async def inspect(self, name: str) -> tuple[dict[str, Any], SwarmService]:
        raw = {"Spec": {"TaskTemplate": {"ContainerSpec": {"Image": self.image}}}}
        return raw, self.service


class StaticFlags:
    async def flags(self) -> Flags:
        return FLAGS


class Drift:
    def __init__(self, items: list[str]) -> None:
        self.items = items
        self.asked: list[tuple[str, float]] = []

    async def new_items(self, service: str, since: float) -> list[str]:
        self.asked.append((service, since))
        return self.items


def aggregate(running: int = 1) -> SwarmService:
    image = "cloudlysis/aggregate:2.0.2"
    return SwarmService(
        id="s1",
        service="platform_aggregate-1",
        kind="aggregate",
        image="cloudlysis/aggregate",
        image_tag="2.0.2",
        spec_version=3,
        update_state="completed",
        mode="replicated",
        replicas_desired=1,
        replicas_running=running,
        admin_url=ADMIN,
        tasks=[SwarmTask(id="t1", state="running", desired_state="running", image=image)],
    )


def playbooks(
    store: FakeStore | None,
    *,
    health: int = 200,
    service: SwarmService | None = None,
    drift: Drift | None = None,
) -> tuple[Playbooks, list[float]]:
    now = [CONVERGED_AT + 60 + settle_s(60)]
    slept: list[float] = []

    async def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    prober = FakeProber({ADMIN: ProbeResult(url=ADMIN, health=health, ready=200)})
    charts = MetricsService(store, cache_s=0)
    planner = FakePlanner(service or aggregate(), "cloudlysis/aggregate:2.0.2")
    p = Playbooks(
        planner,  # type: ignore[arg-type]
        prober,
        charts,
        StaticFlags(),
        drift=drift,
        clock=lambda: now[0],
        sleep=sleep,
    )
    return p, slept


REQUEST = VerifyRequest(
    playbook="post_deploy",
    service="platform_aggregate-1",
    started_at=DEPLOYED_AT,
    converged_at=CONVERGED_AT,
    from_version="2.0.1",
    to_version="2.0.2",
)


def windows(
    before_rate: float, before_errors: float, after_rate: float, after_errors: float
) -> dict[float, dict[str, list[Series]]]:
    after_end = CONVERGED_AT + 60
    return {
        DEPLOYED_AT: {
            "rate": [series("2.0.1", before_rate, DEPLOYED_AT), series("1.0", 99, DEPLOYED_AT)],
            "errors": [series("2.0.1", before_errors, DEPLOYED_AT)],
            "p99": [series("2.0.1", 0.08, DEPLOYED_AT)],
        },
        after_end: {
            "rate": [series("2.0.2", after_rate, after_end)],
            "errors": [series("2.0.2", after_errors, after_end)] if after_errors else [],
            "p99": [series("2.0.2", 0.09, after_end)],
        },
    }


async def test_a_healthy_deploy_passes_with_every_check_measured() -> None:
    store = FakeStore(windows(10.0, 0.01, 10.0, 0.0))
    p, _ = playbooks(store)
    report = await p.verify(REQUEST)
    checks = {c.check: c for c in report.checks}
    assert report.ok, report
    assert list(checks) == [
        "tasks_converged",
        "healthy_ready",
        "error_rate",
        "p99_latency",
        "routing_resolution",
        "no_new_drift",
    ]
    # no 5xx series after: a ratio of 0 over 600 requests, not "no data"
    assert (checks["error_rate"].value, checks["error_rate"].threshold) == (0.0, 0.03)
    assert checks["p99_latency"].value == 0.09
    assert checks["no_new_drift"].detail == "drift not configured"
    assert report.before == (DEPLOYED_AT - 60, DEPLOYED_AT)
    assert report.after == (CONVERGED_AT, CONVERGED_AT + 60)
    # the console's named queries, for the aggregate service, each window as the rate window
    exprs = {e for e, *_ in store.asked}
    assert all('service="aggregate"' in e and "[60s]" in e for e in exprs), exprs
    assert {(start, end, step) for _, start, end, step in store.asked} == {
        (DEPLOYED_AT - 60, DEPLOYED_AT, 60),
        (CONVERGED_AT, CONVERGED_AT + 60, 60),
    }


async def test_more_errors_after_the_deploy_fail_the_error_rate_with_the_measured_values() -> None:
    p, _ = playbooks(FakeStore(windows(10.0, 0.0, 10.0, 0.3)))
    report = await p.verify(REQUEST)
    assert not report.ok and report.failed() == ["error_rate"]
    c = next(c for c in report.checks if c.check == "error_rate")
    assert (c.value, c.threshold) == (0.3, 0.02)
    assert "600 requests" in c.detail


async def test_the_playbook_waits_for_the_window_after_to_end() -> None:
    p, slept = playbooks(FakeStore(windows(10.0, 0.0, 10.0, 0.0)))
    early = msgspec.structs.replace(REQUEST, converged_at=CONVERGED_AT + 20)
    report = await p.verify(early)
    assert slept == [20.0]
    assert report.after == (CONVERGED_AT + 20, CONVERGED_AT + 80)


@pytest.mark.parametrize("store", ["unset", "down", "no traffic"])
async def test_unmeasured_metrics_pass_and_say_so(store: str) -> None:
    fake = FakeStore(windows(0.1, 0.0, 0.1, 0.0))
    fake.down = store == "down"
    p, _ = playbooks(None if store == "unset" else fake)
    report = await p.verify(REQUEST)
    assert report.ok
    details = {c.check: c.detail for c in report.checks}
    expected = {
        "unset": "no metrics store is configured",
        "down": "the metrics store cannot answer",
        "no traffic": "6 requests in the window before",
    }[store]
    assert details["error_rate"].startswith("not measured: ") and expected in details["error_rate"]


async def test_an_unhealthy_or_unconverged_service_fails_without_waiting_for_metrics() -> None:
    store = FakeStore(windows(10.0, 0.0, 10.0, 0.0))
    p, slept = playbooks(store, health=503, service=aggregate(running=0))
    report = await p.verify(REQUEST)
    assert report.failed() == ["tasks_converged", "healthy_ready"]
    checks = {c.check: c for c in report.checks}
    assert (checks["tasks_converged"].value, checks["tasks_converged"].threshold) == (0, 1)
    assert checks["healthy_ready"].value == "health 503, ready 200"
    assert store.asked == [] and slept == []


async def test_new_drift_since_the_deploy_started_fails() -> None:
    drift = Drift(["version: platform_aggregate-1 runs 2.0.2, desired 2.0.1"])
    p, _ = playbooks(FakeStore(windows(10.0, 0.0, 10.0, 0.0)), drift=drift)
    report = await p.verify(REQUEST)
    assert report.failed() == ["no_new_drift"]
    assert drift.asked == [("platform_aggregate-1", DEPLOYED_AT)]


# -- routing resolution, sampled ---------------------------------------------------------------


class FakeAgents:
    """Gateways answering resolve: the shard placement says, except where `wrong` says."""

    def __init__(self, index: TenantIndex, wrong: dict[tuple[str, str], str] | None = None) -> None:
        self.index = index
        self.wrong = wrong or {}
        self.asked: list[tuple[str, str, str]] = []

    async def resolve(self, url: str, tenant: str, kind: str) -> AgentResolution:
        self.asked.append((url, tenant, kind))
        shard = self.wrong.get((url, tenant)) or self.index.placement(tenant, kind).shard  # type: ignore[arg-type]
        return AgentResolution(tenant=tenant, kind=kind, shard=shard)


class FakePlacement:
    def __init__(self, index: TenantIndex) -> None:
        self.state = SimpleNamespace(index=index)


INDEX = TenantIndex(
    tenants=tuple(f"t{i:02d}" for i in range(20)),
    by_kind={
        "aggregate": {f"t{i:02d}": ("aggregate-a" if i < 10 else "aggregate-b") for i in range(20)},
        "projection": {},
        "runner": {},
    },
    defaults={"aggregate": None, "projection": "projection-1", "runner": "runner-1"},
)
GATEWAYS = FleetRegistry(
    [
        FleetService(name="gateway-1", kind="gateway", url="http://gw1"),
        FleetService(name="gateway-2", kind="gateway", url="http://gw2"),
        FleetService(name="aggregate-a", kind="aggregate", url="http://agg-a"),
    ]
)


async def routing_of(agents: FakeAgents) -> Any:
    p, _ = playbooks(FakeStore(windows(10.0, 0.0, 10.0, 0.0)))
    p.placement, p.fleet, p.agents = FakePlacement(INDEX), GATEWAYS, agents  # type: ignore[assignment]
    report = await p.verify(REQUEST)
    return next(c for c in report.checks if c.check == "routing_resolution"), report


async def test_sampled_tenants_resolve_as_placed_through_every_gateway() -> None:
    agents = FakeAgents(INDEX)
    check, report = await routing_of(agents)
    assert report.ok and check.ok
    # 5 tenants (flags default) spread over the ids, of the deployed kind, through both Gateways
    assert sorted({t for _, t, _ in agents.asked}) == ["t00", "t04", "t08", "t12", "t16"]
    assert {k for *_, k in agents.asked} == {"aggregate"}
    assert {u for u, *_ in agents.asked} == {"http://gw1", "http://gw2"}
    assert (check.value, check.threshold) == (10, 10)


async def test_a_gateway_resolving_elsewhere_fails_the_routing_check() -> None:
    check, report = await routing_of(FakeAgents(INDEX, {("http://gw2", "t12"): "aggregate-a"}))
    assert report.failed() == ["routing_resolution"]
    assert (check.value, check.threshold) == (9, 10)
    assert "gateway-2 resolves t12 (aggregate) to aggregate-a, expected aggregate-b" in check.detail
