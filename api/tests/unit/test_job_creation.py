"""JobService.create on in-memory ports (no NATS): idempotency, refusals, abandoned records.

The same rules are proven against a real nats-server in tests/integration (jobs engine, outage,
creation paths); here each rule is isolated and fast.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import msgspec
import pytest

from cloudlysis_control.audit.schemas import AuditFilter
from cloudlysis_control.audit.service import AuditService
from cloudlysis_control.core.errors import (
    Forbidden,
    IdempotencyKeyMissing,
    IdempotencyKeyReused,
    LockHeld,
    PreflightRefused,
    TenantRequired,
)
from cloudlysis_control.core.metrics import Metrics
from cloudlysis_control.jobs.creation import (
    IdempotencyRecord,
    JobCreation,
    idempotency_record_key,
)
from cloudlysis_control.jobs.kinds import (
    JobKind,
    KindRegistry,
    LockSpec,
    Params,
    PreflightContext,
    StepContext,
)
from cloudlysis_control.jobs.schemas import Job, new_steps
from cloudlysis_control.jobs.service import JobService
from cloudlysis_control.jobs.store import JobStore
from cloudlysis_control.locks.service import LockService
from tests.support.clock import FakeClock
from tests.support.fakes import MemoryEventLog, MemoryKeyValue
from tests.support.jobs import principal


class TenantThing(JobKind):
    name = "test.thing"
    description = "a tenant-scoped kind with a preflight"
    right = "control.tenants.operate"
    params_type = msgspec.defstruct("P", [("tenant_id", str), ("target", str, "a")])
    tenant_scoped = True

    def __init__(self) -> None:
        self.refuse: str | None = None
        self.preflights = 0

    def locks(self, params: Params) -> list[LockSpec]:
        return [("tenant", params["tenant_id"])]

    async def preflight(self, params: Params, ctx: PreflightContext) -> Params:
        self.preflights += 1
        if self.refuse:
            raise PreflightRefused(self.refuse, failures=[])
        return {**params, "planned": True}

    def steps(self, params: Params) -> list[str]:
        return ["one"]

    async def run_step(self, ctx: StepContext) -> dict[str, Any]:
        return {}


class Enqueued:
    def __init__(self) -> None:
        self.ids: list[str] = []

    def enqueue(self, job_id: str) -> None:
        self.ids.append(job_id)


@pytest.fixture
def world() -> Any:
    kind = TenantThing()
    kinds = KindRegistry()
    kinds.register(kind)
    audit = AuditService(MemoryEventLog(), Metrics())
    clock = FakeClock(time.time())
    locks = LockService(MemoryKeyValue(), instance_id="r1", clock=clock)
    idem = MemoryKeyValue()
    store = JobStore(MemoryKeyValue())
    enq = Enqueued()
    service = JobService(
        JobCreation(store, idem, kinds, enq, audit, locks, instance_id="r1", clock=clock)
    )
    return kind, service, audit, locks, idem, store, enq, clock


async def create(service: JobService, key: str | None = "k1", **kw: Any) -> Job:
    args: dict[str, Any] = {
        "kind_name": "test.thing",
        "reason": "because",
        "params": {},
        "principal": principal(),
        "idempotency_key": key,
        "tenant_id": "acme",
    }
    args.update(kw)
    return await service.create(**args)


async def test_a_job_is_created_once_with_its_audit_event_and_lock(world: Any) -> None:
    kind, service, audit, locks, _idem, store, enq, _clock = world
    job = await create(service)
    assert job.params == {"tenant_id": "acme", "target": "a", "planned": True}
    assert enq.ids == [job.id]
    assert (await locks.get("tenant", "acme")).job_id == job.id
    events = (await audit.query(AuditFilter(job_id=job.id), None, 10)).items
    assert [(e.action, e.outcome) for e in events] == [("job.create.test.thing", "accepted")]
    again = await create(service)
    assert again.id == job.id and kind.preflights == 1  # a replay runs no second preflight
    assert [j.id for j in store.all()] == [job.id]


async def test_the_same_key_with_another_body_is_refused_naming_the_job(world: Any) -> None:
    _kind, service, *_ = world
    job = await create(service)
    with pytest.raises(IdempotencyKeyReused) as err:
        await create(service, params={"target": "b"})
    assert err.value.extra["job_id"] == job.id


async def test_refusals_change_nothing_and_are_audited_once(world: Any) -> None:
    kind, service, audit, locks, idem, store, enq, _clock = world
    kind.refuse = "the target is on fire"
    with pytest.raises(PreflightRefused):
        await create(service)
    assert list(store.all()) == [] and enq.ids == [] and await idem.keys() == []
    refused = (await audit.query(AuditFilter(outcomes=frozenset({"refused"})), None, 10)).items
    assert len(refused) == 1 and refused[0].action == "job.create.test.thing"
    assert refused[0].target.startswith("job:j_")
    kind.refuse = None
    await locks.acquire("tenant", "acme", "j_" + "0" * 32)
    with pytest.raises(LockHeld) as held:
        await create(service, key="k2")
    assert held.value.extra["job_id"] == "j_" + "0" * 32
    assert list(store.all()) == [] and await idem.keys() == []
    assert (
        len((await audit.query(AuditFilter(outcomes=frozenset({"refused"})), None, 10)).items) == 2
    )


async def test_right_key_and_tenant_are_checked_first(world: Any) -> None:
    _kind, service, audit, *_ = world
    with pytest.raises(IdempotencyKeyMissing):
        await create(service, key=None)
    with pytest.raises(TenantRequired):
        await create(service, tenant_id=None)
    with pytest.raises(Forbidden) as denied:
        await create(service, principal=principal("viewer", frozenset({"control.jobs.read"})))
    assert denied.value.extra["missing_right"] == "control.tenants.operate"
    denials = (await audit.query(AuditFilter(action="authz.deny"), None, 10)).items
    assert len(denials) == 1 and denials[0].actor == "viewer"


@pytest.mark.parametrize("same_body", [True, False])
async def test_an_abandoned_record_is_cleared_with_its_lock_not_named(
    world: Any, same_body: bool
) -> None:
    """A creator that died after claiming the key and the lock, before writing the job."""
    _kind, service, audit, locks, idem, store, _enq, clock = world
    ghost = Job(
        id="j_" + "1" * 32,
        kind="test.thing",
        status="pending",
        reason="because",
        params={"tenant_id": "acme", "target": "a", "planned": True},
        tenant_id="acme",
        created_by="admin",
        created_at="2026-01-01T00:00:00.000Z",
        steps=new_steps(["one"]),
    )
    record = IdempotencyRecord(ghost.id, "x", ghost, owner="r-dead", deadline=clock() + 10)
    await idem.create(
        idempotency_record_key("admin", "test.thing", "k1"), msgspec.json.encode(record)
    )
    await locks.acquire("tenant", "acme", ghost.id)
    clock.advance(60)  # the dead creator's deadline has passed
    params = {} if same_body else {"target": "b"}
    job = await create(service, params=params)
    assert job.id != ghost.id
    assert [j.id for j in store.all()] == [job.id]
    assert (await locks.get("tenant", "acme")).job_id == job.id
    abandoned = (await audit.query(AuditFilter(outcomes=frozenset({"failed"})), None, 10)).items
    assert [e.target for e in abandoned] == [f"job:{ghost.id}"]


async def test_a_record_whose_creator_may_still_be_working_is_waited_for(world: Any) -> None:
    """Before its deadline another replica's record is left alone: a retry waits for the job,
    and only once the deadline has passed clears the record and creates the job itself."""
    _kind, service, _audit, _locks, idem, store, _enq, clock = world
    ghost = Job(
        id="j_" + "2" * 32,
        kind="test.thing",
        status="pending",
        reason="because",
        params={"tenant_id": "acme"},
        tenant_id="acme",
        created_by="admin",
        created_at="2026-01-01T00:00:00.000Z",
    )
    key = idempotency_record_key("admin", "test.thing", "k1")
    record = IdempotencyRecord(ghost.id, "x", ghost, owner="r-other", deadline=clock() + 10)
    await idem.create(key, msgspec.json.encode(record))
    retry = asyncio.create_task(create(service))
    await asyncio.sleep(0.2)
    assert not retry.done()
    assert (await idem.get(key)) is not None and list(store.all()) == []
    clock.advance(60)
    job = await asyncio.wait_for(retry, 5)
    assert [j.id for j in store.all()] == [job.id]
