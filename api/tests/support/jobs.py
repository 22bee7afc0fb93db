"""Jobs machinery for tests: a scripted kind and a replica (store, engine, service, audit,
locks) on a real nats-server."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import msgspec

from cloudlysis_control.adapters.nats.state import (
    BUCKET_IDEMPOTENCY,
    BUCKET_JOBS,
    BUCKET_LOCKS,
    STREAM_AUDIT,
    NatsEventLog,
    NatsKeyValue,
    NatsState,
)
from cloudlysis_control.audit.service import AuditService
from cloudlysis_control.auth.principal import Principal
from cloudlysis_control.core.metrics import Metrics
from cloudlysis_control.jobs.creation import JobCreation
from cloudlysis_control.jobs.engine import JobEngine
from cloudlysis_control.jobs.kinds import (
    JobKind,
    KindRegistry,
    LockSpec,
    Params,
    RetryPolicy,
    StepContext,
    StepFailed,
)
from cloudlysis_control.jobs.schemas import Job
from cloudlysis_control.jobs.service import JobService
from cloudlysis_control.jobs.store import JobStore
from cloudlysis_control.locks.service import LockService
from tests.support.auth import ALL_RIGHTS


def principal(sub: str = "admin", rights: frozenset[str] = ALL_RIGHTS) -> Principal:
    return Principal(id=sub, session_id=f"s-{sub}", rights=rights, authorization="Bearer x")


class ScriptedKind(JobKind):
    """A job kind whose steps record every execution and can block, fail or hang on demand."""

    description = "test kind"
    right = "control.jobs.run"
    params_type = msgspec.Struct

    def __init__(self, name: str = "test.scripted", **settings: Any) -> None:
        self.name = name  # type: ignore[misc]
        self.step_timeout_s = float(settings.pop("step_timeout_s", 5.0))
        self.job_timeout_s = float(settings.pop("job_timeout_s", 30.0))
        self.retry = settings.pop("retry", RetryPolicy(3, 0.01, 0.05))
        self.continue_on_failure = bool(settings.pop("continue_on_failure", False))
        assert not settings, settings
        self.executions: list[tuple[str, str, str]] = []  # (job, step, instance)
        self.gates: dict[str, asyncio.Event] = {}
        self.fail_times: dict[str, int] = {}
        self.hang: set[str] = set()
        self.instance_of: dict[int, str] = {}

    def validate(self, params: Params, tenant_id: str | None) -> Params:
        return dict(params)  # scripted: whatever the test sends

    def locks(self, params: Params) -> list[LockSpec]:
        return [("tenant", params["lock"])] if params.get("lock") else []

    def steps(self, params: Params) -> list[str]:
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
    service = JobService(JobCreation(store, kinds, engine, audit, locks))
    await store.start()
    await engine.start()
    return Replica(nats, store, engine, service, audit, locks)


async def wait_terminal(service: JobService, job_id: str, timeout: float = 20.0) -> Job:
    async with asyncio.timeout(timeout):
        while True:
            job = await service.get(job_id)
            if job.terminal:
                return job
            await asyncio.sleep(0.02)


def job_request(principal_id: str = "admin", **params: Any) -> dict[str, Any]:
    """Keyword arguments of JobService.create but kind and key: reason, params, principal."""
    return {"reason": "test", "params": params, "principal": principal(principal_id)}


def job_request_with(
    principal_id: str, reason: str = "test", params: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {"reason": reason, "params": params or {}, "principal": principal(principal_id)}
