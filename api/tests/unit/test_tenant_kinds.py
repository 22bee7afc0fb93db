"""The tenant drain/resume kinds on in-memory ports (no NATS, no sockets): the preflight reads
the world through the ServiceAdmin port and refuses with every failed check; the steps drain and
resume every instance of the tenant's shard."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cloudlysis_control.core.errors import LockHeld, PreflightRefused
from cloudlysis_control.core.settings import OpsSettings
from cloudlysis_control.fleet.registry import FleetRegistry
from cloudlysis_control.guardrails.limits import Limits, StaticLimits
from cloudlysis_control.jobs.kinds import PreflightContext, StepContext
from cloudlysis_control.jobs.schemas import Job, Step
from cloudlysis_control.locks.service import LockService
from cloudlysis_control.operations.deps import OpsDeps
from cloudlysis_control.operations.drain import TenantDrain, TenantResume
from cloudlysis_control.operations.preflight import Preflight
from cloudlysis_control.placement.service import PlacementService
from tests.support.fakes import FakeProber, FakeServiceAdmin, MemoryKeyValue

A1, A2, P1, R1 = "http://a1:1", "http://a2:1", "http://p1:1", "http://r1:1"


def placement() -> PlacementService:
    svc = PlacementService("nats")
    for kind, shards in (
        ("aggregate", {"aggregate-1": [A1, A2]}),
        ("projection", {"projection-1": [P1]}),
        ("runner", {"runner-1": [R1]}),
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


@pytest.fixture
def deps() -> OpsDeps:
    admin = FakeServiceAdmin(unreachable={P1})
    locks = LockService(MemoryKeyValue(), instance_id="r1")
    place = placement()
    return OpsDeps(
        placement=place,
        placement_kv=None,
        admin=admin,
        gateway=None,
        preflight=Preflight(
            place,
            FakeProber(),
            admin,
            locks,
            StaticLimits(Limits(max_tenant_lag=10, max_tenant_inflight=10)),
        ),
        settings=OpsSettings(drain_timeout_s=1.0),
        fleet=FleetRegistry(),
    )


def ctx() -> PreflightContext:
    return PreflightContext(job_id="j_" + "a" * 32, tenant_id="acme", principal_id="admin")


async def test_drain_preflight_refuses_listing_every_unreachable_kind(deps: OpsDeps) -> None:
    kind = TenantDrain(deps)
    params = kind.validate({}, "acme")
    assert params == {"tenant_id": "acme", "kinds": ["aggregate", "projection", "runner"]}
    with pytest.raises(PreflightRefused) as refused:
        await kind.preflight(params, ctx())
    failures = refused.value.extra["failures"]
    assert [f.check for f in failures] == ["projection_reachable"]
    assert P1 in failures[0].detail
    only = kind.validate({"kinds": ["aggregate", "runner"]}, "acme")
    assert await kind.preflight(only, ctx()) == only


async def test_drain_preflight_names_the_job_holding_the_tenant(deps: OpsDeps) -> None:
    assert deps.preflight.locks is not None
    await deps.preflight.locks.acquire("tenant", "acme", "j_" + "b" * 32)
    kind = TenantDrain(deps)
    with pytest.raises(LockHeld) as held:
        await kind.preflight(kind.validate({"kinds": ["aggregate"]}, "acme"), ctx())
    assert held.value.extra["job_id"] == "j_" + "b" * 32


async def test_drain_and_resume_act_on_every_instance_of_the_shard(deps: OpsDeps) -> None:
    admin: Any = deps.admin
    for kind_cls, action in ((TenantDrain, "drain"), (TenantResume, "resume")):
        kind = kind_cls(deps)
        params = kind.validate({"kinds": ["aggregate"]}, "acme")
        job = Job(
            id="j_" + "c" * 32,
            kind=kind.name,
            status="running",
            reason="r",
            params=params,
            created_by="admin",
            created_at="2026-01-01T00:00:00.000Z",
        )
        out = await kind.run_step(StepContext(job, Step(name=f"{action}:aggregate"), 1))
        assert out["endpoints"] == [A1, A2]
        assert {(c[1], c[2]) for c in admin.calls if c[0] == action} == {
            (A1, "acme"),
            (A2, "acme"),
        }
    assert all(s.accepting for s in admin.status.values())
