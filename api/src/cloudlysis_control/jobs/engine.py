"""Runs jobs: claims them by compare-and-set, keeps a lease alive, resumes after a crash.

(Over 400 lines on purpose: one state machine, claim → steps → compensation → end, whose
scheduler, step loop and finish share the lease and lock bookkeeping; split, it would scatter.)

A job is created already leased to the replica that created it, which runs it with the revision
the create returned (`hand_over`: no claim read, its locks' revisions carried along). Any other
job is claimed by writing `lease_owner`/`lease_expires_at` with a CAS on its revision; only one
replica can win. The owner renews the lease every `renew_s` and fences itself (stops acting)
when no renewal has succeeded for `lease_s - fence_margin_s` (jobs.running). When a process dies
its lease expires and any replica takes the job over, resuming at the first step that has not
succeeded (steps are idempotent, so a step interrupted mid-way is simply run again).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable
from typing import Any

import msgspec

from cloudlysis_control.audit.schemas import AuditOutcome
from cloudlysis_control.audit.service import AuditService
from cloudlysis_control.core.clock import cancel_and_wait, parse_rfc3339, rfc3339, utcnow
from cloudlysis_control.core.errors import ControlError, StateUnavailable
from cloudlysis_control.core.identity import RequestIdentity, current_identity, new_span_id
from cloudlysis_control.core.logging import get_logger
from cloudlysis_control.core.metrics import Metrics
from cloudlysis_control.jobs.kinds import (
    COMPENSATE_PREFIX,
    JobKind,
    KindRegistry,
    LockSpec,
    StepContext,
    StepFailed,
    sorted_locks,
)
from cloudlysis_control.jobs.running import LeaseLost, RunningJob
from cloudlysis_control.jobs.schemas import Compensation, Job, StepError, new_steps
from cloudlysis_control.jobs.store import JobStore
from cloudlysis_control.locks.service import LockService
from cloudlysis_control.ports import RevisionMismatch

_log = get_logger("control.jobs")


class JobEngine:
    def __init__(
        self,
        store: JobStore,
        kinds: KindRegistry,
        audit: AuditService,
        metrics: Metrics,
        instance_id: str,
        lease_s: float = 15.0,
        workers: int = 8,
        clock: Callable[[], float] = time.time,
        locks: LockService | None = None,
        renew_s: float | None = None,
        fence_margin_s: float | None = None,
    ) -> None:
        self.renew_s = renew_s if renew_s is not None else lease_s / 3
        self.fence_margin_s = fence_margin_s if fence_margin_s is not None else lease_s / 5
        if not 0 < self.renew_s < lease_s - self.fence_margin_s:
            raise ValueError(
                f"renew_s ({self.renew_s:g}) must be > 0 and < lease_s - fence_margin_s "
                f"({lease_s - self.fence_margin_s:g})"
            )
        self.locks = locks
        self.store = store
        self.kinds = kinds
        self.audit = audit
        self.metrics = metrics
        self.instance_id = instance_id
        self.lease_s = lease_s
        self.clock = clock
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._queued: set[str] = set()
        self._running: dict[str, RunningJob] = {}
        self._handed: dict[str, tuple[Job, int, dict[LockSpec, int]]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._workers = workers
        store.on_change(self._on_change)

    # -- scheduling -------------------------------------------------------------------------
    def _on_change(self, job: Job) -> None:
        running = self._running.get(job.id)
        if running is not None:
            if job.status == "cancelling" and not running.cancel_requested:
                running.cancel_requested = True
                # A compensation in progress is never interrupted: it is the undo.
                if running.step_task is not None and not running.compensating:
                    running.step_task.cancel()
            return
        if self._claimable(job):
            self.enqueue(job.id)

    def _claimable(self, job: Job) -> bool:
        if job.terminal:
            return False
        if job.status == "pending" and job.lease_owner is None:
            return True
        return job.lease_expires_at is not None and job.lease_expires_at < self.clock()

    def enqueue(self, job_id: str) -> None:
        if job_id not in self._queued and job_id not in self._running:
            self._queued.add(job_id)
            self._queue.put_nowait(job_id)

    def creation_lease(self) -> float:
        return self.clock() + self.lease_s

    def hand_over(self, job: Job, revision: int, locks: dict[LockSpec, int]) -> None:
        """Run a job this replica just created (leased to it) at `revision`, holding `locks`."""
        own = msgspec.json.decode(
            msgspec.json.encode(job), type=Job
        )  # the caller answers with `job`
        self._handed[job.id] = (own, revision, dict(locks))
        self.enqueue(job.id)

    async def start(self) -> None:
        for i in range(self._workers):
            self._tasks.append(asyncio.create_task(self._worker(), name=f"job-worker-{i}"))
        self._tasks.append(asyncio.create_task(self._sweeper(), name="job-sweeper"))

    async def stop(self) -> None:
        stuck = await cancel_and_wait(self._tasks)
        if stuck:
            _log.error("job tasks did not stop in time", count=stuck)
        self._tasks.clear()

    async def _sweeper(self) -> None:
        """Pick up jobs whose owner died (expired lease) and pending jobs nobody claimed."""
        while True:
            await asyncio.sleep(max(0.2, self.lease_s / 3))
            for job in list(self.store.all()):
                if job.id not in self._running and self._claimable(job):
                    self.enqueue(job.id)

    async def _worker(self) -> None:
        while True:
            job_id = await self._queue.get()
            self._queued.discard(job_id)
            try:
                await self.run(job_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                _log.exception("job runner crashed", job_id=job_id)
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise asyncio.CancelledError

    # -- claiming ---------------------------------------------------------------------------
    async def _claim(self, job_id: str) -> RunningJob | None:
        handed = self._handed.pop(job_id, None)
        cached = self.store.cached(job_id)
        if handed is not None and cached is not None and cached.revision != handed[1]:
            handed = None  # written since it was created (e.g. cancelled): read it again
        if handed is not None:
            job, revision, locks = handed
            # Leased to us at creation: claim in memory, the first write (CAS on the create's
            # revision) records it. Unless the lease is too old to act on (fenced already).
            left = (job.lease_expires_at or 0.0) - self.clock()
            if job.lease_owner == self.instance_id and left > self.fence_margin_s:
                job.runs += 1
                job.status = "running"
                job.started_at = rfc3339()
                return self._handle(job, revision, time.monotonic() + left, locks)
        stored = await self.store.get(job_id)
        if stored is None or not self._claimable(stored.job):
            return None
        job = stored.job
        takeover = job.lease_owner is not None and job.lease_owner != self.instance_id
        job.lease_owner = self.instance_id
        job.lease_expires_at = self.clock() + self.lease_s
        job.runs += 1
        if job.status == "pending":
            job.status = "running"
            job.started_at = rfc3339()
        sent = time.monotonic()
        try:
            rev = await self.store.update(job, stored.revision)
        except RevisionMismatch:
            return None  # another replica won the claim
        if takeover:
            _log.info("job taken over after lease expiry", job_id=job_id, run=job.runs)
        return self._handle(job, rev, sent + self.lease_s, None)

    def _handle(
        self, job: Job, revision: int, lease_until: float, locks: dict[LockSpec, int] | None
    ) -> RunningJob:
        return RunningJob(
            self.store,
            job,
            revision,
            self.instance_id,
            self.lease_s,
            self.clock,
            margin_s=self.fence_margin_s,
            fence_at=lease_until - self.fence_margin_s,
            locks=locks,
        )

    # -- running ----------------------------------------------------------------------------
    async def run(self, job_id: str) -> None:
        if job_id in self._running:
            return
        handle = await self._claim(job_id)
        if handle is None:
            return
        self._running[job_id] = handle
        job = handle.job
        token = current_identity.set(
            RequestIdentity(
                request_id=job.request_id or job.id,
                correlation_id=job.correlation_id or job.id,
                trace_id=job.trace_id or "0" * 32,
                span_id=new_span_id(),
                parent_span_id=None,
                trace_flags=1,
                tracestate=None,
                principal_id=job.created_by,
                tenant_id=job.tenant_id,
            )
        )
        heartbeat = asyncio.create_task(self._heartbeat(handle))
        fence = asyncio.create_task(self._fence(handle))
        try:
            if await self._take_locks(handle):
                await self._execute(handle)
        except LeaseLost:
            if handle.fenced:
                _log.warning(
                    "job fenced: its lease could not be renewed in time; stopped acting on it",
                    job_id=job_id,
                )
            else:
                _log.warning("job lease lost; another runner owns it now", job_id=job_id)
        finally:
            for task in (heartbeat, fence):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            self._running.pop(job_id, None)
            current_identity.reset(token)

    def _locks_of(self, job: Job) -> list[tuple[LockService, str, str]]:
        kind = self.kinds.get(job.kind)
        if kind is None or self.locks is None:
            return []
        return [(self.locks, scope, name) for scope, name in sorted_locks(kind.locks(job.params))]

    async def _take_locks(self, handle: RunningJob) -> bool:
        """(Re-)acquire the job's locks: taken at creation (and handed over with their
        revisions: nothing to do), re-taken after a takeover."""
        if all(s.status not in ("pending", "running") for s in handle.job.steps):
            return True  # nothing left to change: only the end is still to be recorded
        for locks, scope, name in self._locks_of(handle.job):
            if (scope, name) in handle.locks:
                continue
            try:
                handle.check_fence()
                _, handle.locks[(scope, name)] = await locks.take(scope, name, handle.job.id)
            except StateUnavailable as e:
                # NATS failing over is not a lost lock: leave the job to be claimed again once
                # this run's lease lapses (issue 19's HA suite found jobs failing here).
                _log.warning(
                    "could not re-take the job's locks; retrying later",
                    job_id=handle.job.id,
                    error=e.detail,
                )
                return False
            except ControlError as e:
                await self._finish(handle, "failed", StepError("lock_lost", e.detail))
                return False
        return True

    async def _heartbeat(self, handle: RunningJob) -> None:
        """Renew the job's locks and its lease every `renew_s` (each one compare-and-set)."""
        while True:
            await asyncio.sleep(self.renew_s)
            for locks, scope, name in self._locks_of(handle.job):
                if handle.fenced:
                    return
                try:
                    _, handle.locks[(scope, name)] = await locks.renew(
                        scope, name, handle.job.id, revision=handle.locks.get((scope, name))
                    )
                except ControlError as e:
                    handle.locks.pop((scope, name), None)
                    _log.warning("lock refresh failed", job_id=handle.job.id, error=e.detail)
            try:
                await handle.save(lambda _job: None)
            except LeaseLost:
                handle.fence()
                return
            except ControlError as e:
                _log.warning("lease heartbeat failed", job_id=handle.job.id, error=e.detail)

    async def _fence(self, handle: RunningJob) -> None:
        """Stop acting on the job once its lease has gone unrenewed for lease - margin."""
        while not handle.fenced:
            delay = handle.fence_at - time.monotonic()
            if delay <= 0:
                _log.error(
                    "job lease not renewed in time: fencing (step cancelled, no more writes)",
                    job_id=handle.job.id,
                    margin_s=self.fence_margin_s,
                )
                handle.fence()
                return
            await asyncio.sleep(delay)

    async def _execute(self, handle: RunningJob) -> None:
        job = handle.job
        kind = self.kinds.get(job.kind)
        if kind is None:
            await self._finish(
                handle, "failed", StepError("unknown_kind", f"no job kind {job.kind}")
            )
            return
        if job.compensation is None:
            status, error = await self._run_forward(handle, kind)
            names = self._compensation_steps(kind, handle.job, status)
            if not names:
                await self._finish(handle, status, error)
                return
            compensation = Compensation(outcome=status, error=error)  # type: ignore[arg-type]

            def begin(j: Job) -> None:
                j.compensation = compensation
                known = {s.name for s in j.steps}
                j.steps.extend(new_steps([n for n in names if n not in known]))

            await handle.save(begin)
            _log.warning("job compensating", job_id=job.id, outcome=status, steps=names)
        await self._run_compensation(handle, kind)
        comp = handle.job.compensation
        assert comp is not None
        await self._finish(handle, comp.outcome, comp.error)

    @staticmethod
    def _compensation_steps(kind: JobKind, job: Job, status: str) -> list[str]:
        if status == "succeeded":
            return []
        names = kind.compensation(job, status)
        return [n if n.startswith(COMPENSATE_PREFIX) else COMPENSATE_PREFIX + n for n in names]

    async def _run_compensation(self, handle: RunningJob, kind: JobKind) -> None:
        """Run every pending `compensate:*` step once (with retries); a failed one does not stop
        the others: each undoes an independent change, and the remediation names what is left."""
        handle.compensating = True
        for index, step in enumerate(handle.job.steps):
            if not step.name.startswith(COMPENSATE_PREFIX) or step.status in (
                "succeeded",
                "skipped",
                "failed",
            ):
                continue
            await self._run_step(handle, kind, index, None)

    async def _run_forward(self, handle: RunningJob, kind: JobKind) -> tuple[str, StepError | None]:
        job = handle.job
        deadline = (
            parse_rfc3339(job.started_at).timestamp() + kind.job_timeout_s
            if job.started_at
            else None
        )
        cancelled = StepError("cancelled", "cancelled by request")
        timed_out = StepError("job_timeout", f"job exceeded {kind.job_timeout_s:g} s")
        failed: StepError | None = None
        for index, step in enumerate(job.steps):
            if step.name.startswith(COMPENSATE_PREFIX):
                continue
            if step.status in ("succeeded", "skipped"):
                continue
            if step.status == "failed" and kind.continue_on_failure:
                failed = failed or step.error
                continue
            if handle.cancel_requested:
                return "cancelled", cancelled
            if deadline is not None and self.clock() > deadline:
                return "timed_out", timed_out
            outcome = await self._run_step(handle, kind, index, deadline)
            if outcome == "cancelled":
                return "cancelled", cancelled
            if outcome == "timed_out":
                return "timed_out", timed_out
            if outcome == "failed":
                failed = failed or handle.job.steps[index].error
                if not kind.continue_on_failure:
                    break
        if failed is not None:
            return "failed", failed
        return "succeeded", None

    async def _run_step(
        self, handle: RunningJob, kind: JobKind, index: int, deadline: float | None
    ) -> str:
        while True:
            step = handle.job.steps[index]
            attempt = step.attempts + 1
            started = time.perf_counter()

            def begin(job: Job, attempt: int = attempt) -> None:
                s = job.steps[index]
                s.status = "running"
                s.attempts = attempt
                s.started_at = s.started_at or rfc3339()
                s.error = None

            await handle.save(begin)
            if handle.cancel_requested and not handle.compensating:
                # The cancel arrived while this step was being recorded as running.
                await self._step_done(
                    handle,
                    index,
                    started,
                    "cancelled",
                    None,
                    StepError("cancelled", "cancelled by request"),
                )
                return "cancelled"
            timeout = kind.step_timeout_for(step.name)
            if deadline is not None:
                timeout = max(0.0, min(timeout, deadline - self.clock()))
            ctx = StepContext(job=handle.job, step=handle.job.steps[index], attempt=attempt)
            handle.step_task = asyncio.create_task(kind.run_step(ctx))
            error: StepError | None = None
            output: dict[str, Any] | None = None
            try:
                output = await asyncio.wait_for(handle.step_task, timeout)
            except StepFailed as e:
                error = StepError(e.code, e.message, e.retryable)
                output = e.output
            except TimeoutError:
                if deadline is not None and self.clock() >= deadline:
                    await self._step_done(
                        handle,
                        index,
                        started,
                        "failed",
                        None,
                        StepError("job_timeout", "job deadline reached"),
                    )
                    return "timed_out"
                error = StepError(
                    "step_timeout", f"step exceeded {timeout:g} s", kind.retry.retry_timeouts
                )
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise  # this replica is shutting down: the lease expires, another resumes
                if handle.compensating or not handle.cancel_requested:
                    raise LeaseLost(handle.job.id) from None  # the heartbeat lost the lease
                await self._step_done(
                    handle,
                    index,
                    started,
                    "cancelled",
                    None,
                    StepError("cancelled", "cancelled by request"),
                )
                return "cancelled"
            except ControlError as e:
                error = StepError(e.code, e.detail, e.status >= 500)
            finally:
                handle.step_task = None
            if error is None:
                await self._step_done(handle, index, started, "succeeded", output, None)
                return "succeeded"
            if (
                error.retryable
                and attempt < kind.retry.max_attempts
                and (handle.compensating or not handle.cancel_requested)
            ):
                await self._step_done(handle, index, started, "pending", output, error)
                delay = min(kind.retry.max_delay_s, kind.retry.base_delay_s * 2 ** (attempt - 1))
                await asyncio.sleep(delay * random.uniform(0.5, 1.5))  # noqa: S311 - jitter
                continue
            await self._step_done(handle, index, started, "failed", output, error)
            return "failed"

    async def _step_done(
        self,
        handle: RunningJob,
        index: int,
        started: float,
        status: str,
        output: dict[str, Any] | None,
        error: StepError | None,
    ) -> None:
        elapsed_ms = round((time.perf_counter() - started) * 1000, 3)

        def done(job: Job) -> None:
            s = job.steps[index]
            s.status = status  # type: ignore[assignment]
            s.output = output
            s.error = error
            s.duration_ms = round((s.duration_ms or 0) + elapsed_ms, 3)
            if status != "pending":
                s.finished_at = rfc3339()

        await handle.save(done)

    async def _finish(self, handle: RunningJob, status: str, error: StepError | None) -> None:
        kind = self.kinds.get(handle.job.kind)

        def finish(job: Job) -> None:
            job.status = status  # type: ignore[assignment]
            job.error = error
            job.finished_at = rfc3339()
            for s in job.steps:
                if s.status in ("pending", "running"):
                    s.status = "cancelled" if status == "cancelled" else "skipped"
            job.summary = kind.summarize(job) if kind else None
            job.remediation = kind.remediation(job) if kind else None
            job.lease_owner = None

        # Locks go before the job is saved as ended: whoever sees it ended can take them at once.
        # (A crash in between leaves a job whose work is done without its locks; the replica
        # that takes it over only records the end, see _take_locks.)
        for locks, scope, name in self._locks_of(handle.job):
            handle.check_fence()
            try:
                await locks.release(
                    scope, name, handle.job.id, handle.locks.pop((scope, name), None)
                )
            except ControlError as e:  # it expires on its own; say so loudly
                _log.error("lock release failed", job_id=handle.job.id, error=e.detail)
        await handle.save(finish)
        handle.job.lease_expires_at = None
        self.metrics.jobs.labels(handle.job.kind, status).inc()
        outcome: AuditOutcome = "succeeded" if status == "succeeded" else "failed"
        try:
            await self.audit.record(
                actor=handle.job.created_by,
                action=f"job.{status}",
                target=f"job:{handle.job.id}",
                outcome=outcome,
                tenant_id=handle.job.tenant_id,
                reason=handle.job.reason,
                job_id=handle.job.id,
                detail={"kind": handle.job.kind, "summary": handle.job.summary},
                event_id=f"{handle.job.id}.finish",
            )
        except ControlError as e:
            _log.error("could not audit job completion", job_id=handle.job.id, error=e.detail)
        _log.info(
            "job finished",
            job_id=handle.job.id,
            kind=handle.job.kind,
            status=status,
            took_s=round(
                (utcnow() - parse_rfc3339(handle.job.started_at or rfc3339())).total_seconds(), 3
            ),
        )
