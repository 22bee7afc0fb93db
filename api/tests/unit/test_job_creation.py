"""JobService.create on in-memory ports (no NATS): idempotency, refusals, half-way failures, and
what a job costs in KV operations (issue 19: at most 7, creation in two round trips).

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
from cloudlysis_control.jobs.creation import JobCreation, job_id_for, key_digest, request_hash
from cloudlysis_control.jobs.engine import JobEngine
from cloudlysis_control.jobs.kinds import (
    JobKind,
    KindRegistry,
    LockSpec,
    Params,
    PreflightContext,
    StepContext,
)
from cloudlysis_control.jobs.schemas import Job
from cloudlysis_control.jobs.service import JobService
from cloudlysis_control.jobs.store import JobStore
from cloudlysis_control.locks.service import LockService
from tests.support.clock import FakeClock
from tests.support.fakes import (
    CountingKeyValue,
    MemoryEventLog,
    MemoryKeyValue,
    RecordingRunner,
)
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


@pytest.fixture
def world() -> Any:
    kind = TenantThing()
    kinds = KindRegistry()
    kinds.register(kind)
    audit = AuditService(MemoryEventLog(), Metrics())
    clock = FakeClock(time.time())
    locks = LockService(MemoryKeyValue(), instance_id="r1", clock=clock)
    store = JobStore(MemoryKeyValue())
    enq = RecordingRunner()
    service = JobService(JobCreation(store, kinds, enq, audit, locks))
    return kind, service, audit, locks, store, enq, clock


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
    kind, service, audit, locks, store, enq, _clock = world
    job = await create(service)
    assert job.id == job_id_for("admin", "test.thing", "k1")
    assert job.lease_owner == "r1" and enq.handed[0][2] == {("tenant", "acme"): 1}
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
    kind, service, audit, locks, store, enq, _clock = world
    kind.refuse = "the target is on fire"
    with pytest.raises(PreflightRefused):
        await create(service)
    assert list(store.all()) == [] and enq.ids == [] and await locks.get("tenant", "acme") is None
    refused = (await audit.query(AuditFilter(outcomes=frozenset({"refused"})), None, 10)).items
    assert len(refused) == 1 and refused[0].action == "job.create.test.thing"
    assert refused[0].target.startswith("job:j_")
    kind.refuse = None
    await locks.acquire("tenant", "acme", "j_" + "0" * 32)
    with pytest.raises(LockHeld) as held:
        await create(service, key="k2")
    assert held.value.extra["job_id"] == "j_" + "0" * 32
    assert list(store.all()) == [] and enq.ids == []
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
async def test_a_creation_that_failed_half_way_blocks_no_retry(world: Any, same_body: bool) -> None:
    """A creator that died after taking the lock, before writing the job: the lock names the
    job the key derives, so the retry (same body or not) takes it at once and creates the job;
    no refusal names a job that does not exist."""
    _kind, service, audit, locks, store, _enq, _clock = world
    job_id = job_id_for("admin", "test.thing", "k1")
    await locks.acquire("tenant", "acme", job_id)
    params = {} if same_body else {"target": "b"}
    job = await create(service, params=params)
    assert job.id == job_id
    assert [j.id for j in store.all()] == [job.id]
    assert (await locks.get("tenant", "acme")).job_id == job.id
    accepted = (await audit.query(AuditFilter(outcomes=frozenset({"accepted"})), None, 10)).items
    assert [e.target for e in accepted] == [f"job:{job.id}"]


async def test_identical_requests_at_once_make_one_job_and_one_event(world: Any) -> None:
    kind, service, audit, locks, store, enq, _clock = world
    jobs = await asyncio.gather(*(create(service) for _ in range(20)))
    assert {j.id for j in jobs} == {jobs[0].id}
    assert [j.id for j in store.all()] == [jobs[0].id] and kind.preflights >= 1
    assert (await locks.get("tenant", "acme")).job_id == jobs[0].id  # kept: the job holds it
    events = (await audit.query(AuditFilter(job_id=jobs[0].id), None, 50)).items
    assert [(e.action, e.outcome) for e in events] == [("job.create.test.thing", "accepted")]
    assert len(enq.handed) == 1


async def test_a_replay_after_the_job_ended_gives_back_the_lock_it_took(world: Any) -> None:
    """The job ended and released its lock; a replay not yet in this replica's index takes the
    lock on its way and must give it back once it finds the job."""
    _kind, service, _audit, locks, store, _enq, _clock = world
    job = await create(service)
    stored = store.cached(job.id)
    assert stored is not None
    stored.job.status = "succeeded"
    await store.update(stored.job, stored.revision)
    await locks.release("tenant", "acme", job.id)
    store._index.clear()  # another replica: its index has not seen the job yet
    again = await create(service)
    assert again.id == job.id and again.status == "succeeded"
    assert await locks.get("tenant", "acme") is None


class OneStep(JobKind):
    """Like config.reload: one lock, one step, no preflight."""

    name = "test.onestep"
    description = "one lock, one step"
    right = "control.tenants.operate"
    params_type = msgspec.defstruct("P1", [("tenant_id", str)])
    tenant_scoped = True

    def locks(self, params: Params) -> list[LockSpec]:
        return [("tenant", params["tenant_id"])]

    def steps(self, params: Params) -> list[str]:
        return ["one"]

    async def run_step(self, ctx: StepContext) -> dict[str, Any]:
        return {}


async def test_a_job_costs_at_most_seven_kv_operations_and_creation_two_round_trips() -> None:
    """Counts, not timings: every KV operation of one job with one lock and one step, from the
    create request to the end, through the real engine on in-memory ports."""
    kind = OneStep()
    kinds = KindRegistry()
    kinds.register(kind)
    metrics = Metrics()
    audit = AuditService(MemoryEventLog(), metrics)
    jobs_kv = CountingKeyValue(MemoryKeyValue(), "jobs")
    locks_kv = CountingKeyValue(MemoryKeyValue(), "locks")
    store = JobStore(jobs_kv)
    locks = LockService(locks_kv, instance_id="r1")
    engine = JobEngine(store, kinds, audit, metrics, instance_id="r1", locks=locks)
    service = JobService(JobCreation(store, kinds, engine, audit, locks))
    await engine.start()
    try:
        job = await service.create(
            kind_name=kind.name,
            reason="because",
            params={},
            principal=principal(),
            idempotency_key="k1",
            tenant_id="acme",
        )
        creation = jobs_kv.calls + locks_kv.calls
        # Two round trips, one after the other (none overlapping), and nothing read.
        assert sorted(creation) == ["jobs.create", "locks.create"]
        assert set(jobs_kv.rounds + locks_kv.rounds) == {1}
        async with asyncio.timeout(5):
            while not (store.cached(job.id) and store.cached(job.id).job.terminal):  # type: ignore[union-attr]
                await asyncio.sleep(0.01)
        done = store.cached(job.id)
        assert done is not None and done.job.status == "succeeded"
        ops = jobs_kv.calls + locks_kv.calls
        assert len(ops) <= 7, ops
        # locks: create, delete; job: create, claim + step running, step done, finish.
        expected = ["jobs.create", "jobs.update", "jobs.update", "jobs.update"]
        expected += ["locks.create", "locks.delete"]
        assert sorted(ops) == expected, ops
        assert "locks.get" not in ops and "jobs.get" not in ops  # no read-after-write
        assert await locks.get("tenant", "acme") is None  # released at the end
        # The same request again: answered from the index, no KV operation at all.
        before = len(jobs_kv.calls + locks_kv.calls)
        again = await service.create(
            kind_name=kind.name,
            reason="because",
            params={},
            principal=principal(),
            idempotency_key="k1",
            tenant_id="acme",
        )
        assert again.id == job.id and len(jobs_kv.calls + locks_kv.calls) == before
    finally:
        await engine.stop()


async def test_a_key_remembered_before_issue_19_still_finds_its_job() -> None:
    """Upgrade: control_idempotency records written by the previous version are honoured, so a
    retry across the upgrade gets the job its key made (and another body is refused)."""
    kind = OneStep()
    kinds = KindRegistry()
    kinds.register(kind)
    audit = AuditService(MemoryEventLog(), Metrics())
    store = JobStore(MemoryKeyValue())
    legacy = MemoryKeyValue()
    old = Job(
        id="j_" + "3" * 32,
        kind=kind.name,
        status="succeeded",
        reason="because",
        params={"tenant_id": "acme"},
        tenant_id="acme",
        created_by="admin",
        created_at="2026-01-01T00:00:00.000Z",
    )
    await store.create(old)
    digest = request_hash(kind.name, "acme", "because", {"tenant_id": "acme"})
    record = {"job_id": old.id, "request_hash": digest, "job": msgspec.to_builtins(old)}
    await legacy.create(key_digest("admin", kind.name, "k-old"), msgspec.json.encode(record))
    runner = RecordingRunner()
    locks = LockService(MemoryKeyValue(), instance_id="r1")
    service = JobService(JobCreation(store, kinds, runner, audit, locks, legacy=legacy))
    args: dict[str, Any] = {
        "kind_name": kind.name,
        "reason": "because",
        "params": {},
        "principal": principal(),
        "tenant_id": "acme",
    }
    again = await service.create(**args, idempotency_key="k-old")
    assert again.id == old.id and runner.ids == []
    with pytest.raises(IdempotencyKeyReused):
        await service.create(**{**args, "reason": "other"}, idempotency_key="k-old")
    fresh = await service.create(**args, idempotency_key="k-new")
    assert fresh.id == job_id_for("admin", kind.name, "k-new") and runner.ids == [fresh.id]
