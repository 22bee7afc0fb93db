"""A replica's lists do not depend on what it happened to load (issue 19): the jobs index
waits for the bucket and keeps what was written, the deployment history waits for its stream
and folds the stored record (in-memory ports, no NATS)."""

from __future__ import annotations

import asyncio

import msgspec

from cloudlysis_control.core.metrics import Metrics
from cloudlysis_control.deployments.history import DeploymentFilter
from cloudlysis_control.deployments.schemas import DeploymentRecord
from cloudlysis_control.deployments.service import DeploymentService
from cloudlysis_control.jobs.schemas import Job
from cloudlysis_control.jobs.store import JobStore
from tests.support.fakes import MemoryEventLog, MemoryKeyValue


def _job(i: int) -> Job:
    return Job(
        id=f"j_{i:032x}",
        kind="t.k",
        status="pending",
        reason="r",
        params={},
        created_by="admin",
        created_at=f"2026-12-06T10:00:{i:02d}.000Z",
    )


async def test_a_job_another_replica_wrote_is_listed_once_synced() -> None:
    kv = MemoryKeyValue()
    store = JobStore(kv)
    await store.start()
    try:
        await kv.create(_job(1).id, msgspec.json.encode(_job(1)))  # through another replica
        assert store.cached(_job(1).id) is None  # the watch has not delivered it yet
        assert await store.sync(5.0) is True
        assert [j.id for j in store.all()] == [_job(1).id]
    finally:
        await store.stop()


async def test_without_a_watch_sync_says_the_index_may_be_stale() -> None:
    store = JobStore(MemoryKeyValue())
    assert await store.sync(5.0) is False


async def test_the_index_holds_what_was_written_not_the_writers_object() -> None:
    kv = MemoryKeyValue()
    store = JobStore(kv)
    job = _job(2)
    rev = await store.create(job)
    job.status = "running"  # the engine goes on changing its object before its next write
    cached = store.cached(job.id)
    assert cached is not None and cached.job.status == "pending" and cached.revision == rev


def _started(job_id: str | None) -> DeploymentRecord:
    return DeploymentRecord(
        deployment_id="d_1",
        type="started",
        at="2026-12-06T10:00:00.000Z",
        service="svc",
        service_id="sid",
        job_id=job_id,
    )


async def test_a_record_another_replica_appended_first_is_folded_as_stored() -> None:
    log = MemoryEventLog()
    first = DeploymentService(log, None, Metrics())  # type: ignore[arg-type]
    second = DeploymentService(log, None, Metrics())  # type: ignore[arg-type]
    await first._append(_started("j_first"))
    await second._append(_started(None))  # the same record, seen later: a duplicate
    second._tasks.append(asyncio.create_task(second._follow()))
    try:
        page = await second.page(DeploymentFilter(), None, 10)
        assert [(d.id, d.job_id) for d in page.items] == [("d_1", "j_first")]
    finally:
        await second.stop()
