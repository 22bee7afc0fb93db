"""Tenant-scoped rights without a server: the principal's scope, JobService.create checking a
kind's right where the job acts, a job read by id, and the filters lists use."""

from __future__ import annotations

import time
from typing import Any

import msgspec
import pytest

from cloudlysis_control.audit.schemas import AuditEvent, AuditFilter
from cloudlysis_control.audit.service import AuditService
from cloudlysis_control.auth.principal import Principal
from cloudlysis_control.core.errors import Forbidden, TenantRequired
from cloudlysis_control.core.metrics import Metrics
from cloudlysis_control.core.scope import in_scope
from cloudlysis_control.jobs.creation import JobCreation
from cloudlysis_control.jobs.kinds import JobKind, KindRegistry, Params, StepContext
from cloudlysis_control.jobs.service import JobFilter, JobService
from cloudlysis_control.jobs.store import JobStore
from cloudlysis_control.locks.service import LockService
from tests.support.clock import FakeClock
from tests.support.fakes import MemoryEventLog, MemoryKeyValue, RecordingRunner

OPERATE = "control.tenants.operate"


def operator(*tenants: str, rights: frozenset[str] = frozenset()) -> Principal:
    scoped = frozenset(tenants)
    return Principal(
        id="op",
        session_id="s-op",
        rights=rights,
        authorization="Bearer x",
        tenant_rights={OPERATE: scoped, "control.jobs.read": scoped, "control.jobs.run": scoped},
    )


class Kind(JobKind):
    description = "a kind"
    params_type = msgspec.Struct

    def __init__(self, name: str, right: str, tenant_scoped: bool) -> None:
        self.name = name  # type: ignore[misc]
        self.right = right  # type: ignore[misc]
        self.tenant_scoped = tenant_scoped  # type: ignore[misc]

    def steps(self, params: Params) -> list[str]:
        return ["one"]

    async def run_step(self, ctx: StepContext) -> dict[str, Any]:
        return {}


@pytest.fixture
def jobs() -> JobService:
    kinds = KindRegistry()
    kinds.register(Kind("t.tenant_op", OPERATE, tenant_scoped=True))
    kinds.register(Kind("t.platform_op", "control.jobs.run", tenant_scoped=False))
    clock = FakeClock(time.time())
    return JobService(
        JobCreation(
            JobStore(MemoryKeyValue()),
            kinds,
            RecordingRunner(),
            AuditService(MemoryEventLog(), Metrics()),
            LockService(MemoryKeyValue(), instance_id="r1", clock=clock),
        )
    )


async def create(jobs: JobService, who: Principal, kind: str, tenant: str | None) -> Any:
    return await jobs.create(
        kind_name=kind,
        reason="because",
        params={},
        principal=who,
        idempotency_key=f"k-{kind}-{tenant}",
        tenant_id=tenant,
    )


def test_principal_scope() -> None:
    op = operator("acme-eu", "acme-us", rights=frozenset({"control.access"}))
    assert op.holds("control.access") and op.holds("control.access", "anything")
    assert op.holds(OPERATE, "acme-eu") and not op.holds(OPERATE, "hooli-eu")
    assert not op.holds(OPERATE)  # never platform-wide
    assert op.holds_anywhere(OPERATE) and not op.holds_anywhere("control.fleet.read")
    assert op.scope(OPERATE) == {"acme-eu", "acme-us"}
    assert op.scope("control.access") is None and op.scope("control.fleet.read") == frozenset()
    assert in_scope(None, None) and in_scope(None, "x")
    assert in_scope(frozenset({"x"}), "x") and not in_scope(frozenset({"x"}), None)


async def test_a_tenant_job_is_created_only_for_a_tenant_in_scope(jobs: JobService) -> None:
    job = await create(jobs, operator("acme-eu"), "t.tenant_op", "acme-eu")
    assert job.tenant_id == "acme-eu"
    with pytest.raises(Forbidden) as denied:
        await create(jobs, operator("acme-eu"), "t.tenant_op", "hooli-eu")
    assert denied.value.extra == {"missing_right": OPERATE, "scope": "tenant:hooli-eu"}
    with pytest.raises(TenantRequired):
        await create(jobs, operator("acme-eu"), "t.tenant_op", None)
    with pytest.raises(Forbidden) as platform:
        await create(jobs, operator("acme-eu"), "t.platform_op", None)
    assert platform.value.extra["scope"] == "platform"
    denials = (await jobs.audit.query(AuditFilter(action="authz.deny"), None, 10)).items
    assert [(d.target, d.tenant_id, d.detail) for d in denials] == [
        (
            "job.create.t.platform_op",
            None,
            {"missing_right": "control.jobs.run", "scope": "platform"},
        ),
        (
            "job.create.t.tenant_op",
            "hooli-eu",
            {"missing_right": OPERATE, "scope": "tenant:hooli-eu"},
        ),
    ]


async def test_jobs_are_read_cancelled_and_listed_within_scope(jobs: JobService) -> None:
    admin = Principal(
        "admin", "s", frozenset({OPERATE, "control.jobs.read", "control.jobs.run"}), ""
    )
    acme = await create(jobs, admin, "t.tenant_op", "acme-eu")
    hooli = await create(jobs, admin, "t.tenant_op", "hooli-eu")
    platform = await create(jobs, admin, "t.platform_op", None)
    op = operator("acme-eu")
    assert (await jobs.get_for(acme.id, op, "control.jobs.read")).id == acme.id
    for other in (hooli, platform):
        with pytest.raises(Forbidden):
            await jobs.get_for(other.id, op, "control.jobs.read")
        with pytest.raises(Forbidden):
            await jobs.cancel(other.id, op)
    assert (await jobs.cancel(acme.id, op)).status in ("cancelled", "cancelling")
    listed = (await jobs.page(JobFilter(scope=op.scope("control.jobs.read")), None, 50)).items
    assert [j.id for j in listed] == [acme.id]
    assert len((await jobs.page(JobFilter(), None, 50)).items) == 3


def test_audit_filter_hides_other_tenants_and_platform_events() -> None:
    def event(tenant: str | None) -> AuditEvent:
        return AuditEvent(
            id="a", at="t", actor="x", action="y", target="z", outcome="accepted", tenant_id=tenant
        )

    flt = AuditFilter(scope=frozenset({"acme-eu"}))
    assert flt.matches(event("acme-eu"))
    assert not flt.matches(event("hooli-eu")) and not flt.matches(event(None))
    assert AuditFilter().matches(event(None))
