"""The jobs engine against a real nats-server: idempotency, leases, takeover, cancel, timeouts."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from cloudlysis_control.adapters.nats.state import (
    BUCKET_IDEMPOTENCY,
    BUCKET_JOBS,
    BUCKET_LOCKS,
    STREAM_AUDIT,
    NatsEventLog,
    NatsKeyValue,
    NatsState,
)
from cloudlysis_control.audit.schemas import AuditFilter
from cloudlysis_control.audit.service import AuditService
from cloudlysis_control.core.errors import IdempotencyKeyReused
from cloudlysis_control.core.metrics import Metrics
from cloudlysis_control.jobs.engine import JobEngine
from cloudlysis_control.jobs.kinds import KindRegistry, RetryPolicy, StepContext, StepFailed
from cloudlysis_control.jobs.schemas import Job, JobCreate
from cloudlysis_control.jobs.service import JobService
from cloudlysis_control.jobs.store import JobStore
from cloudlysis_control.locks.service import LockService

pytestmark = pytest.mark.integration


@dataclass
class ScriptedKind:
    """A job kind whose steps record every execution and can block, fail or hang on demand."""

    name: str = "test.scripted"
    description: str = "test kind"
    right: str = "control.jobs.run"
    tenant_scoped: bool = False
    step_timeout_s: float = 5.0
    job_timeout_s: float = 30.0
    retry: RetryPolicy = field(default_factory=lambda: RetryPolicy(3, 0.01, 0.05))
    continue_on_failure: bool = False
    executions: list[tuple[str, str, str]] = field(default_factory=list)  # (job, step, instance)
    gates: dict[str, asyncio.Event] = field(default_factory=dict)
    fail_times: dict[str, int] = field(default_factory=dict)
    hang: set[str] = field(default_factory=set)
    instance_of: dict[int, str] = field(default_factory=dict)

    def validate(self, params: dict[str, Any]) -> dict[str, Any]:
        return params

    def plan(self, params: dict[str, Any]) -> list[str]:
        return list(params.get("steps", ["one", "two", "three"]))

    async def run_step(self, ctx: StepContext) -> dict[str, Any]:
        task = asyncio.current_task()
        instance = self.instance_of.get(id(task), "?") if task else "?"
        self.executions.append((ctx.job.id, ctx.step.name, instance))
        gate = self.gates.get(ctx.step.name)
        if gate is not None:
            await gate.wait()
        if ctx.step.name in self.hang:
            await asyncio.sleep(3600)
        remaining = self.fail_times.get(ctx.step.name, 0)
        if remaining > 0:
            self.fail_times[ctx.step.name] = remaining - 1
            raise StepFailed("flaky", "transient failure", retryable=True)
        if ctx.step.name == "fatal":
            raise StepFailed("boom", "fatal failure", retryable=False)
        return {"step": ctx.step.name, "attempt": ctx.attempt}

    def summarize(self, job: Job) -> str:
        return f"{sum(s.status == 'succeeded' for s in job.steps)} ok"


@dataclass
class Replica:
    nats: NatsState
    store: JobStore
    engine: JobEngine
    service: JobService
    audit: AuditService
    locks: LockService

    async def stop(self) -> None:
        await self.engine.stop()
        await self.store.stop()
        await self.audit.stop()
        await self.nats.close()


async def make_replica(
    nats_url: str, kind: ScriptedKind, instance: str, lease_s: float = 1.0, workers: int = 4
) -> Replica:
    nats = NatsState(url=nats_url)
    await nats.connect()
    await nats.provision([BUCKET_JOBS, BUCKET_IDEMPOTENCY, BUCKET_LOCKS], [STREAM_AUDIT])
    metrics = Metrics()
    audit = AuditService(NatsEventLog(nats, STREAM_AUDIT, "control.audit.events"), metrics)
    await audit.start()
    store = JobStore(NatsKeyValue(nats, BUCKET_JOBS))
    kinds = KindRegistry()
    kinds.register(kind)
    locks = LockService(NatsKeyValue(nats, BUCKET_LOCKS), instance_id=instance)
    engine = JobEngine(
        store,
        kinds,
        audit,
        metrics,
        instance_id=instance,
        lease_s=lease_s,
        workers=workers,
        locks=locks,
    )
    service = JobService(
        store, NatsKeyValue(nats, BUCKET_IDEMPOTENCY), kinds, engine, audit, locks=locks
    )
    await store.start()
    await engine.start()
    return Replica(nats, store, engine, service, audit, locks)


@pytest.fixture
def kind() -> ScriptedKind:
    return ScriptedKind(name=f"test.k{uuid.uuid4().hex[:8]}")


@pytest.fixture
async def replica(nats_url: str, kind: ScriptedKind) -> AsyncIterator[Replica]:
    r = await make_replica(nats_url, kind, "replica-a")
    try:
        yield r
    finally:
        await r.stop()


async def wait_terminal(service: JobService, job_id: str, timeout: float = 20.0) -> Job:
    async with asyncio.timeout(timeout):
        while True:
            job = await service.get(job_id)
            if job.terminal:
                return job
            await asyncio.sleep(0.02)


def body(**params: Any) -> JobCreate:
    return JobCreate(reason="test", params=params)


async def test_job_runs_steps_in_order(replica: Replica, kind: ScriptedKind) -> None:
    job = await replica.service.create(
        kind_name=kind.name, body=body(), principal_id="admin", idempotency_key=uuid.uuid4().hex
    )
    done = await wait_terminal(replica.service, job.id)
    assert done.status == "succeeded"
    assert [s.status for s in done.steps] == ["succeeded"] * 3
    assert [e[1] for e in kind.executions] == ["one", "two", "three"]
    assert all(s.attempts == 1 and s.duration_ms is not None for s in done.steps)
    actions = [e.action for e in replica.audit.query(AuditFilter(job_id=job.id), None, 10).items]
    assert actions == ["job.succeeded", f"job.create.{kind.name}"]


async def test_fifty_concurrent_identical_requests_create_one_job(
    replica: Replica, kind: ScriptedKind
) -> None:
    key = uuid.uuid4().hex
    jobs = await asyncio.gather(
        *[
            replica.service.create(
                kind_name=kind.name, body=body(), principal_id="admin", idempotency_key=key
            )
            for _ in range(50)
        ]
    )
    assert len({j.id for j in jobs}) == 1
    await wait_terminal(replica.service, jobs[0].id)
    assert Counter(e[0] for e in kind.executions) == {jobs[0].id: 3}


async def test_same_key_other_body_is_rejected(replica: Replica, kind: ScriptedKind) -> None:
    key = uuid.uuid4().hex
    first = await replica.service.create(
        kind_name=kind.name, body=body(), principal_id="admin", idempotency_key=key
    )
    with pytest.raises(IdempotencyKeyReused) as e:
        await replica.service.create(
            kind_name=kind.name, body=body(steps=["x"]), principal_id="admin", idempotency_key=key
        )
    assert e.value.extra["job_id"] == first.id
    # Another principal may use the same key string for its own job.
    other = await replica.service.create(
        kind_name=kind.name, body=body(), principal_id="bob", idempotency_key=key
    )
    assert other.id != first.id


async def test_retryable_failures_are_retried(replica: Replica, kind: ScriptedKind) -> None:
    kind.fail_times["two"] = 2
    job = await replica.service.create(
        kind_name=kind.name, body=body(), principal_id="admin", idempotency_key=uuid.uuid4().hex
    )
    done = await wait_terminal(replica.service, job.id)
    assert done.status == "succeeded"
    assert done.steps[1].attempts == 3


async def test_retries_are_bounded_and_fatal_errors_stop_the_job(
    replica: Replica, kind: ScriptedKind
) -> None:
    kind.fail_times["two"] = 10
    job = await replica.service.create(
        kind_name=kind.name, body=body(), principal_id="admin", idempotency_key=uuid.uuid4().hex
    )
    done = await wait_terminal(replica.service, job.id)
    assert done.status == "failed"
    assert done.steps[1].attempts == kind.retry.max_attempts
    assert done.error is not None and done.error.code == "flaky"
    assert done.steps[2].status == "skipped"
    job = await replica.service.create(
        kind_name=kind.name,
        body=body(steps=["fatal", "after"]),
        principal_id="admin",
        idempotency_key=uuid.uuid4().hex,
    )
    done = await wait_terminal(replica.service, job.id)
    assert done.status == "failed" and done.steps[0].attempts == 1
    assert done.error is not None and done.error.code == "boom"


async def test_hung_step_times_out(replica: Replica, kind: ScriptedKind) -> None:
    kind.hang.add("two")
    kind.step_timeout_s = 0.3
    kind.retry = RetryPolicy(max_attempts=2, base_delay_s=0.01, max_delay_s=0.02)
    job = await replica.service.create(
        kind_name=kind.name, body=body(), principal_id="admin", idempotency_key=uuid.uuid4().hex
    )
    done = await wait_terminal(replica.service, job.id)
    assert done.status == "failed"
    assert done.steps[1].error is not None and done.steps[1].error.code == "step_timeout"
    assert done.steps[1].attempts == 2


async def test_job_deadline_marks_timed_out(replica: Replica, kind: ScriptedKind) -> None:
    kind.hang.add("two")
    kind.job_timeout_s = 0.5
    job = await replica.service.create(
        kind_name=kind.name, body=body(), principal_id="admin", idempotency_key=uuid.uuid4().hex
    )
    done = await wait_terminal(replica.service, job.id)
    assert done.status == "timed_out"


async def test_cancel_a_running_job(replica: Replica, kind: ScriptedKind) -> None:
    kind.hang.add("two")
    job = await replica.service.create(
        kind_name=kind.name, body=body(), principal_id="admin", idempotency_key=uuid.uuid4().hex
    )
    async with asyncio.timeout(10):
        while [e[1] for e in kind.executions if e[0] == job.id] != ["one", "two"]:
            await asyncio.sleep(0.02)
    cancelling = await replica.service.cancel(job.id, "admin")
    assert cancelling.status == "cancelling"
    done = await wait_terminal(replica.service, job.id)
    assert done.status == "cancelled"
    assert [s.status for s in done.steps] == ["succeeded", "cancelled", "cancelled"]
    assert done.cancel_requested_by == "admin"


async def test_crashed_runner_is_taken_over_and_resumes(nats_url: str, kind: ScriptedKind) -> None:
    a = await make_replica(nats_url, kind, "replica-a", lease_s=1.0)
    kind.gates["two"] = asyncio.Event()
    job = await a.service.create(
        kind_name=kind.name, body=body(), principal_id="admin", idempotency_key=uuid.uuid4().hex
    )
    async with asyncio.timeout(10):
        while [e[1] for e in kind.executions if e[0] == job.id] != ["one", "two"]:
            await asyncio.sleep(0.02)
    # "Crash" replica A: its tasks die without releasing the lease.
    await a.stop()
    kind.gates.pop("two").set()
    b = await make_replica(nats_url, kind, "replica-b", lease_s=1.0)
    try:
        done = await wait_terminal(b.service, job.id)
        assert done.status == "succeeded"
        steps = [e[1] for e in kind.executions if e[0] == job.id]
        assert steps.count("one") == 1, steps  # finished steps are never repeated
        assert steps.count("three") == 1
        assert done.runs == 2
    finally:
        await b.stop()


async def test_two_replicas_never_run_a_job_twice(nats_url: str, kind: ScriptedKind) -> None:
    a = await make_replica(nats_url, kind, "replica-a", lease_s=2.0)
    b = await make_replica(nats_url, kind, "replica-b", lease_s=2.0)
    try:
        jobs = []
        for i in range(20):
            svc = a.service if i % 2 else b.service
            jobs.append(
                await svc.create(
                    kind_name=kind.name,
                    body=body(),
                    principal_id="admin",
                    idempotency_key=uuid.uuid4().hex,
                )
            )
        for j in jobs:
            assert (await wait_terminal(a.service, j.id)).status == "succeeded"
        per_step = Counter((e[0], e[1]) for e in kind.executions)
        assert set(per_step.values()) == {1}, per_step
        assert len(per_step) == 60
    finally:
        await a.stop()
        await b.stop()
