"""The jobs engine against a real nats-server: idempotency, leases, takeover, cancel, timeouts."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import pytest

from cloudlysis_control.audit.schemas import AuditFilter
from cloudlysis_control.core.errors import IdempotencyKeyReused
from cloudlysis_control.jobs.kinds import RetryPolicy
from tests.support.jobs import (
    Replica,
    ScriptedKind,
    job_request,
    make_replica,
    principal,
    wait_terminal,
)

pytestmark = pytest.mark.integration


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


async def test_job_runs_steps_in_order(replica: Replica, kind: ScriptedKind) -> None:
    job = await replica.service.create(
        kind_name=kind.name, **job_request("admin"), idempotency_key=uuid.uuid4().hex
    )
    done = await wait_terminal(replica.service, job.id)
    assert done.status == "succeeded"
    assert [s.status for s in done.steps] == ["succeeded"] * 3
    assert [e[1] for e in kind.executions] == ["one", "two", "three"]
    assert all(s.attempts == 1 and s.duration_ms is not None for s in done.steps)
    actions = [
        e.action for e in (await replica.audit.query(AuditFilter(job_id=job.id), None, 10)).items
    ]
    assert actions == ["job.succeeded", f"job.create.{kind.name}"]


async def test_fifty_concurrent_identical_requests_create_one_job(
    replica: Replica, kind: ScriptedKind
) -> None:
    key = uuid.uuid4().hex
    jobs = await asyncio.gather(
        *[
            replica.service.create(kind_name=kind.name, **job_request("admin"), idempotency_key=key)
            for _ in range(50)
        ]
    )
    assert len({j.id for j in jobs}) == 1
    await wait_terminal(replica.service, jobs[0].id)
    assert Counter(e[0] for e in kind.executions) == {jobs[0].id: 3}


async def test_same_key_other_body_is_rejected(replica: Replica, kind: ScriptedKind) -> None:
    key = uuid.uuid4().hex
    first = await replica.service.create(
        kind_name=kind.name, **job_request("admin"), idempotency_key=key
    )
    with pytest.raises(IdempotencyKeyReused) as e:
        await replica.service.create(
            kind_name=kind.name, **job_request("admin", steps=["x"]), idempotency_key=key
        )
    assert e.value.extra["job_id"] == first.id
    # Another principal may use the same key string for its own job.
    other = await replica.service.create(
        kind_name=kind.name, **job_request("bob"), idempotency_key=key
    )
    assert other.id != first.id


async def test_retryable_failures_are_retried(replica: Replica, kind: ScriptedKind) -> None:
    kind.fail_times["two"] = 2
    job = await replica.service.create(
        kind_name=kind.name, **job_request("admin"), idempotency_key=uuid.uuid4().hex
    )
    done = await wait_terminal(replica.service, job.id)
    assert done.status == "succeeded"
    assert done.steps[1].attempts == 3


async def test_retries_are_bounded_and_fatal_errors_stop_the_job(
    replica: Replica, kind: ScriptedKind
) -> None:
    kind.fail_times["two"] = 10
    job = await replica.service.create(
        kind_name=kind.name, **job_request("admin"), idempotency_key=uuid.uuid4().hex
    )
    done = await wait_terminal(replica.service, job.id)
    assert done.status == "failed"
    assert done.steps[1].attempts == kind.retry.max_attempts
    assert done.error is not None and done.error.code == "flaky"
    assert done.steps[2].status == "skipped"
    job = await replica.service.create(
        kind_name=kind.name,
        **job_request("admin", steps=["fatal", "after"]),
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
        kind_name=kind.name, **job_request("admin"), idempotency_key=uuid.uuid4().hex
    )
    done = await wait_terminal(replica.service, job.id)
    assert done.status == "failed"
    assert done.steps[1].error is not None and done.steps[1].error.code == "step_timeout"
    assert done.steps[1].attempts == 2


async def test_job_deadline_marks_timed_out(replica: Replica, kind: ScriptedKind) -> None:
    kind.hang.add("two")
    kind.job_timeout_s = 0.5
    job = await replica.service.create(
        kind_name=kind.name, **job_request("admin"), idempotency_key=uuid.uuid4().hex
    )
    done = await wait_terminal(replica.service, job.id)
    assert done.status == "timed_out"


async def test_cancel_a_running_job(replica: Replica, kind: ScriptedKind) -> None:
    kind.hang.add("two")
    job = await replica.service.create(
        kind_name=kind.name, **job_request("admin"), idempotency_key=uuid.uuid4().hex
    )
    async with asyncio.timeout(10):
        while [e[1] for e in kind.executions if e[0] == job.id] != ["one", "two"]:
            await asyncio.sleep(0.02)
    cancelling = await replica.service.cancel(job.id, principal())
    assert cancelling.status == "cancelling"
    done = await wait_terminal(replica.service, job.id)
    assert done.status == "cancelled"
    assert [s.status for s in done.steps] == ["succeeded", "cancelled", "cancelled"]
    assert done.cancel_requested_by == "admin"


async def test_a_job_cancelled_before_it_started_never_runs_and_frees_its_lock(
    nats_url: str, kind: ScriptedKind
) -> None:
    """Created (leased to its creator) but still queued behind a busy worker: a cancel ends it
    at once, its lock is released, and the creator never runs it."""
    r = await make_replica(nats_url, kind, "replica-c", workers=1)
    try:
        kind.gates["block"] = asyncio.Event()
        first = await r.service.create(
            kind_name=kind.name,
            **job_request("admin", steps=["block"]),
            idempotency_key=uuid.uuid4().hex,
        )
        async with asyncio.timeout(10):
            while not any(e[0] == first.id for e in kind.executions):
                await asyncio.sleep(0.02)
        tenant = f"t{uuid.uuid4().hex[:8]}"
        queued = await r.service.create(
            kind_name=kind.name,
            **job_request("admin", lock=tenant),
            idempotency_key=uuid.uuid4().hex,
        )
        assert queued.status == "pending" and queued.lease_owner == "replica-c"
        assert (await r.locks.get("tenant", tenant)).job_id == queued.id  # type: ignore[union-attr]
        cancelled = await r.service.cancel(queued.id, principal())
        assert cancelled.status == "cancelled"
        assert await r.locks.get("tenant", tenant) is None
        kind.gates.pop("block").set()
        assert (await wait_terminal(r.service, first.id)).status == "succeeded"
        await asyncio.sleep(0.3)  # the worker has long picked the cancelled job up by now
        done = await wait_terminal(r.service, queued.id)
        assert done.status == "cancelled" and done.runs == 0
        assert [e for e in kind.executions if e[0] == queued.id] == []
    finally:
        await r.stop()


async def test_crashed_runner_is_taken_over_and_resumes(nats_url: str, kind: ScriptedKind) -> None:
    a = await make_replica(nats_url, kind, "replica-a", lease_s=1.0)
    kind.gates["two"] = asyncio.Event()
    job = await a.service.create(
        kind_name=kind.name, **job_request("admin"), idempotency_key=uuid.uuid4().hex
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
                    **job_request("admin"),
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
