"""Guardrails as one set: each check alone blocks each workflow it belongs to, and the refusal
(422 `preflight_refused`, or 409 `lock_held` for the lock) and its `refused` audit event carry
that check's measured value and threshold. Every workflow goes through `JobCreation.create`
(the one path every endpoint uses) on in-memory ports; nothing is created on a refusal."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from cloudlysis_control.audit.schemas import AuditFilter
from cloudlysis_control.audit.service import AuditService
from cloudlysis_control.config.documents import Flags
from cloudlysis_control.config.jobs import ConfigApply
from cloudlysis_control.config.limits import limits_of
from cloudlysis_control.config.model import ConfigId
from cloudlysis_control.config.plan import make_plan
from cloudlysis_control.config.schemas import ConfigPlan
from cloudlysis_control.core.errors import ControlError, NotFound
from cloudlysis_control.core.metrics import Metrics
from cloudlysis_control.core.settings import OpsSettings
from cloudlysis_control.deployments.jobs import ServiceDeploy, ServiceRollback
from cloudlysis_control.deployments.plan import ServicePlanner
from cloudlysis_control.fleet.ports import ProbeResult
from cloudlysis_control.fleet.registry import FleetRegistry
from cloudlysis_control.guardrails.catalogue import GUARDRAILS, checks_of, describe
from cloudlysis_control.guardrails.limits import Limits, StaticLimits
from cloudlysis_control.jobs.creation import JobCreation
from cloudlysis_control.jobs.kinds import JobKind, KindRegistry
from cloudlysis_control.jobs.store import JobStore
from cloudlysis_control.locks.service import LockService
from cloudlysis_control.operations.deps import OpsDeps
from cloudlysis_control.operations.drain import TenantDrain, TenantResume
from cloudlysis_control.operations.migrate import TenantMigrate
from cloudlysis_control.operations.plan import MigrationPlanner
from cloudlysis_control.operations.preflight import Preflight
from cloudlysis_control.placement.service import PlacementService
from cloudlysis_control.tenants.ports import TenantStatus
from tests.support.fakes import (
    FakeProber,
    FakeServiceAdmin,
    MemoryEventLog,
    MemoryKeyValue,
    RecordingRunner,
)
from tests.support.jobs import principal
from tests.unit.test_config_jobs import World as ConfigWorld
from tests.unit.test_config_plan import _inputs as config_inputs

A1, A2, B1 = "http://a1:1", "http://a2:1", "http://b1:1"
OTHER_JOB = "j_" + "b" * 32
LIMITS = Limits(max_tenant_lag=100, max_tenant_inflight=10, crash_loop_restarts=3)
NOW = time.time()


def _placement() -> PlacementService:
    svc = PlacementService("nats")
    for kind, shards in (
        ("aggregate", {"aggregate-1": [A1], "aggregate-2": [A2]}),
        ("projection", {"projection-1": ["http://p1:1"]}),
        ("runner", {"runner-1": ["http://r1:1"]}),
    ):
        doc = {
            "schema_version": 1,
            "kind": kind,
            "default_shard": next(iter(shards)),
            "shards": {name: {"endpoints": urls} for name, urls in shards.items()},
            "tenants": {},
        }
        assert svc.apply(f"{kind}_placement", json.dumps(doc).encode(), "1")
    return svc


def _ts(seconds_ago: float) -> str:
    return datetime.fromtimestamp(NOW - seconds_ago, UTC).isoformat().replace("+00:00", "Z")


class FakeEngine:
    """The SwarmEngine port for one service `web` (2 replicas) and its tasks."""

    source = "engine"

    def __init__(self) -> None:
        self.running = 2
        self.update_state: str | None = "completed"
        self.failed_tasks = 0
        self.image_known: bool | None = True
        self.previous = True

    async def service(self, name: str) -> dict[str, Any]:
        if name != "web":
            raise NotFound(f"no service {name}")
        raw: dict[str, Any] = {
            "ID": "svc1",
            "Version": {"Index": 7},
            "Spec": {
                "Name": "web",
                "TaskTemplate": {"ContainerSpec": {"Image": "repo/web:1.0"}},
                "Mode": {"Replicated": {"Replicas": 2}},
            },
            "UpdateStatus": {"State": self.update_state},
        }
        if self.previous:
            raw["PreviousSpec"] = raw["Spec"]
        return raw

    async def tasks(self, service: str | None = None) -> list[dict[str, Any]]:
        live = [
            {
                "ID": f"t{i}",
                "ServiceID": "svc1",
                "Slot": i,
                "DesiredState": "running",
                "Status": {"State": "running"},
                "UpdatedAt": _ts(5),
            }
            for i in range(self.running)
        ]
        dead = [
            {
                "ID": f"f{i}",
                "ServiceID": "svc1",
                "Slot": 1,
                "DesiredState": "shutdown",
                "Status": {"State": "failed"},
                "UpdatedAt": _ts(30 + i),
            }
            for i in range(self.failed_tasks)
        ]
        return live + dead

    async def image_exists(self, reference: str) -> bool | None:
        return self.image_known


@dataclass
class Env:
    limits: StaticLimits
    locks: LockService
    admin: FakeServiceAdmin
    prober: FakeProber
    engine: FakeEngine
    config: ConfigWorld
    config_plan: ConfigPlan | None = None
    kinds: dict[str, JobKind] = field(default_factory=dict)


class PlannedApply(ConfigApply):
    """config.apply whose plan is a routing change computed from synthetic inputs."""

    env: Env

    async def _plan(self, p: Any) -> ConfigPlan:
        assert self.env.config_plan is not None
        return self.env.config_plan


@pytest.fixture
def env() -> Env:
    place = _placement()
    locks = LockService(MemoryKeyValue(), instance_id="r1")
    admin = FakeServiceAdmin()
    healthy = ProbeResult(url=A2, health=200, ready=200)
    prober = FakeProber({A2: healthy})
    limits = StaticLimits(LIMITS)
    preflight = Preflight(place, prober, admin, locks, limits)
    ops = OpsDeps(
        placement=place,
        placement_kv=None,
        admin=admin,
        gateway=None,
        preflight=preflight,
        settings=OpsSettings(),
        fleet=FleetRegistry(),
    )
    engine = FakeEngine()
    # The planner's clock is the fixtures' NOW: this module may be imported long before it runs
    # (the whole API suite is collected first), and task failures are dated from NOW.
    planner = ServicePlanner(engine, None, locks, limits, clock=lambda: NOW)  # type: ignore[arg-type]
    config = ConfigWorld()
    e = Env(limits, locks, admin, prober, engine, config)
    apply = PlannedApply(config.service, config.apply.changes.agents, None, None, 5.0, locks)  # type: ignore[arg-type]
    apply.env = e
    e.kinds = {
        "tenant.drain": TenantDrain(ops),
        "tenant.resume": TenantResume(ops),
        "tenant.migrate": TenantMigrate(ops, MigrationPlanner(place, preflight)),
        "service.deploy": ServiceDeploy(planner, prober),
        "service.rollback": ServiceRollback(planner, prober),
        "config.apply": apply,
    }
    return e


def _config_plan(env: Env, flags: Flags, healthy: bool = True) -> None:
    one = [{"tenant": "t000", "kind": "aggregate", "shard": "aggregate-3"}]
    env.config_plan = make_plan(config_inputs([], one, flags=flags, healthy=lambda url: healthy))


async def _params(env: Env, workflow: str) -> tuple[dict[str, Any], str | None]:
    if workflow in ("tenant.drain", "tenant.resume"):
        return {"kinds": ["aggregate"]}, "acme"
    if workflow == "tenant.migrate":
        plan = await env.kinds[workflow].planner.plan("acme", "aggregate", "aggregate-2")  # type: ignore[attr-defined]
        return {"kind": "aggregate", "target_shard": "aggregate-2", "plan_hash": plan.plan_hash}, (
            "acme"
        )
    if workflow == "service.deploy":
        return {"service": "web", "confirm": "web", "tag": "1.1"}, None
    if workflow == "service.rollback":
        return {"service": "web", "confirm": "web"}, None
    if env.config_plan is None:
        _config_plan(env, Flags(schema_version=1, max_impact_percent=100))
    plan = env.config_plan
    assert plan is not None
    return {
        "domain": "routing",
        "name": "gateway",
        "scope": "platform",
        "base_revision": plan.base_revision,
        "patch": plan.patch,
        "plan_hash": plan.plan_hash,
        "confirm": "gateway",
    }, None


async def _hold(env: Env, scope: str, name: str) -> None:
    await env.locks.acquire(scope, name, OTHER_JOB)


def _lag(env: Env) -> None:
    env.admin.status[(A1, "acme")] = TenantStatus(tenant_id="acme", inflight=0, lag=500)


def _inflight(env: Env) -> None:
    env.admin.status[(A1, "acme")] = TenantStatus(tenant_id="acme", inflight=25)


# (guardrail check, workflow, how to break only that check, expected value, threshold, status)
Breaker = Callable[[Env], Awaitable[None] | None]
CASES: list[tuple[str, str, Breaker, Any, Any, int]] = [
    *[
        (
            "no_conflicting_lock",
            w,
            lambda e: _hold(e, "tenant", "acme"),
            OTHER_JOB,
            None,
            409,
        )
        for w in ("tenant.drain", "tenant.resume", "tenant.migrate")
    ],
    *[
        ("no_conflicting_lock", w, lambda e: _hold(e, "service", "web"), OTHER_JOB, None, 409)
        for w in ("service.deploy", "service.rollback")
    ],
    (
        "no_conflicting_lock",
        "config.apply",
        lambda e: _hold(e, "config", ConfigId("routing", "gateway", "platform").lock_name),
        OTHER_JOB,
        None,
        409,
    ),
    ("source_lag", "tenant.migrate", _lag, 500, 100, 422),
    ("source_inflight", "tenant.migrate", _inflight, 25, 10, 422),
    (
        "aggregate_reachable",
        "tenant.drain",
        lambda e: e.admin.unreachable.add(A1),
        "0/1",
        "1/1",
        422,
    ),
    (
        "target_ready",
        "tenant.migrate",
        lambda e: e.prober.answers.update({A2: ProbeResult(url=A2, health=200, ready=503)}),
        "0/1",
        "1/1",
        422,
    ),
    *[
        ("service_healthy", w, lambda e: setattr(e.engine, "running", 1), 1, 2, 422)
        for w in ("service.deploy", "service.rollback")
    ],
    *[
        (
            "not_updating",
            w,
            lambda e: setattr(e.engine, "update_state", "updating"),
            "updating",
            None,
            422,
        )
        for w in ("service.deploy", "service.rollback")
    ],
    ("crash_loop", "service.deploy", lambda e: setattr(e.engine, "failed_tasks", 4), 4, 3, 422),
    (
        "image_exists",
        "service.deploy",
        lambda e: setattr(e.engine, "image_known", False),
        "repo/web:1.1",
        None,
        422,
    ),
    (
        "previous_spec",
        "service.rollback",
        lambda e: setattr(e.engine, "previous", False),
        None,
        None,
        422,
    ),
    (
        "config.guardrail.impact_radius",
        "config.apply",
        lambda e: _config_plan(e, Flags(schema_version=1, max_impact_percent=1)),
        2.5,
        1,
        422,
    ),
    (
        "config.guardrail.target_unhealthy",
        "config.apply",
        lambda e: _config_plan(e, Flags(schema_version=1, max_impact_percent=100), False),
        "0/1",
        "1/1",
        422,
    ),
    (
        "config.guardrail.changes_paused",
        "config.apply",
        lambda e: _config_plan(
            e, Flags(schema_version=1, max_impact_percent=100, config_changes="paused")
        ),
        "paused",
        "enabled",
        422,
    ),
]


async def _create(env: Env, workflow: str, params: dict[str, Any], tenant: str | None) -> Any:
    registry = KindRegistry()
    registry.register(env.kinds[workflow])
    audit = AuditService(MemoryEventLog(), Metrics())
    store = JobStore(MemoryKeyValue())

    enq = RecordingRunner()
    creation = JobCreation(store, registry, enq, audit, env.locks)
    try:
        job = await creation.create(
            kind_name=workflow,
            reason="guardrail table",
            params=params,
            principal=principal(),
            idempotency_key="k1",
            tenant_id=tenant,
        )
    except ControlError as refusal:
        assert list(store.all()) == [] and enq.ids == []  # no side effect
        events = (await audit.query(AuditFilter(), None, 10)).items
        return refusal, events
    return job, []


@pytest.mark.parametrize(
    ("check", "workflow", "breaker", "value", "threshold", "status"),
    CASES,
    ids=[f"{c[1]}:{c[0]}" for c in CASES],
)
async def test_each_check_alone_blocks_each_workflow_it_guards(
    env: Env,
    check: str,
    workflow: str,
    breaker: Breaker,
    value: Any,
    threshold: Any,
    status: int,
) -> None:
    params, tenant = await _params(env, workflow)
    passed, events = await _create(env, workflow, params, tenant)
    assert not isinstance(passed, ControlError), passed  # everything green: accepted
    await env.locks.release(*env.kinds[workflow].locks(passed.params)[0], passed.id)

    broken = breaker(env)
    if broken is not None:
        await broken
    params, tenant = await _params(env, workflow)
    refusal, events = await _create(env, workflow, params, tenant)
    assert isinstance(refusal, ControlError), f"{check} did not block {workflow}"
    assert refusal.status == status
    failures = refusal.extra["failures"]
    assert [f.check for f in failures] == [check]  # this check alone
    assert (failures[0].value, failures[0].threshold) == (value, threshold)
    (event,) = events
    assert event.outcome == "refused" and event.action == f"job.create.{workflow}"
    audited = msgspec.to_builtins(event.detail["failures"])
    assert [(f["check"], f["value"], f["threshold"]) for f in audited] == [
        (check, value, threshold)
    ]
    assert check in checks_of(workflow) or check.endswith("_reachable")


def test_every_preflight_check_of_the_catalogue_is_in_the_table() -> None:
    covered = {(c[0], c[1]) for c in CASES}
    table_workflows = {c[1] for c in CASES}
    for d in GUARDRAILS:
        if d.phase != "preflight":
            continue
        for w in d.workflows:
            if w not in table_workflows:
                continue  # config.rollback: the same preflight as config.apply
            assert any((c, w) in covered for c in d.checks) or d.name in (
                "plan_fresh",
                "target_differs",
                "service_exists",
            ), f"{d.name} has no case for {w}"


def test_thresholds_come_from_the_flags_and_fall_back_to_the_settings() -> None:
    ops = OpsSettings(max_lag=7, max_inflight=8)
    unset = limits_of(Flags(schema_version=1), ops)
    assert (unset.max_tenant_lag, unset.max_tenant_inflight) == (7, 8)
    assert unset.origin("max_tenant_lag") == "setting"
    assert unset.origin("crash_loop_restarts") == "default"
    flags = Flags(
        schema_version=1,
        max_tenant_lag=50,
        crash_loop_restarts=9,
        crash_loop_window="2m",
    )
    set_ = limits_of(flags, ops)
    assert (set_.max_tenant_lag, set_.crash_loop_restarts, set_.crash_loop_window_s) == (
        50,
        9,
        120.0,
    )
    assert set_.origin("max_tenant_lag") == "flag" and set_.origin("crash_loop_restarts") == "flag"
    listed = {g.name: g for g in describe(set_).items}
    (lag,) = listed["tenant_lag"].thresholds
    assert (lag.value, lag.flag, lag.source, lag.setting) == (
        50,
        "max_tenant_lag",
        "flag",
        "CONTROL_OPS_MAX_LAG",
    )
    assert "tenant.migrate" in listed["tenant_lag"].workflows
    assert {t.name for t in listed["crash_loop"].thresholds} == {
        "crash_loop_restarts",
        "crash_loop_window_s",
    }


def test_flag_bounds_are_enforced() -> None:
    for bad in ({"crash_loop_restarts": 0}, {"max_tenant_lag": -1}, {"crash_loop_window": "x"}):
        with pytest.raises(msgspec.ValidationError):
            msgspec.convert({"schema_version": 1, **bad}, Flags)
