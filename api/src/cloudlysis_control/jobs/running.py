"""A claimed job as its owner sees it: the latest revision, serialised writes, and the fence.

Fencing (docs/jobs-and-locks.md, "Leases and fencing"): every write is a compare-and-set on the
revision the owner holds, and renews the lease. `fence_at` is when the owner must stop acting:
`lease_s - margin_s` after the last write that succeeded was *sent* (the lease it wrote counts
from then too). Past it the owner cancels its step and writes nothing more, so it has stopped
`margin_s` before any other replica may take the job over — even when it cannot reach NATS to
learn that it lost the lease.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from cloudlysis_control.jobs.kinds import LockSpec
from cloudlysis_control.jobs.schemas import Job
from cloudlysis_control.jobs.store import JobStore
from cloudlysis_control.ports import RevisionMismatch


class LeaseLost(Exception):
    pass


class RunningJob:
    """The owner's view of a claimed job: the latest revision, serialised writes."""

    def __init__(
        self,
        store: JobStore,
        job: Job,
        revision: int,
        owner: str,
        lease_s: float,
        clock: Callable[[], float],
        *,
        margin_s: float = 0.0,
        fence_at: float | None = None,
        locks: dict[LockSpec, int] | None = None,
    ) -> None:
        self.store = store
        self.job = job
        self.revision = revision
        self.owner = owner
        self.lease_s = lease_s
        self.margin_s = margin_s
        self.clock = clock
        # time.monotonic() after which this owner no longer acts on the job.
        self.fence_at = fence_at if fence_at is not None else time.monotonic() + lease_s - margin_s
        self.fenced = False
        # The job's locks this owner holds, with the revision it last wrote to each.
        self.locks: dict[LockSpec, int] = dict(locks or {})
        self.lock = asyncio.Lock()
        self.cancel_requested = job.status == "cancelling"
        self.compensating = False
        self.step_task: asyncio.Task[Any] | None = None

    def check_fence(self) -> None:
        """Raise LeaseLost once the lease can no longer be trusted to be ours."""
        if not self.fenced and time.monotonic() >= self.fence_at:
            self.fence()
        if self.fenced:
            raise LeaseLost(self.job.id)

    def fence(self) -> None:
        """Stop acting: no more writes, and the step in progress is cancelled."""
        self.fenced = True
        if self.step_task is not None:
            self.step_task.cancel()

    async def save(self, mutate: Callable[[Job], None]) -> None:
        async with self.lock:
            for _ in range(20):
                self.check_fence()
                candidate = self.job
                mutate(candidate)
                sent = time.monotonic()
                candidate.lease_expires_at = self.clock() + self.lease_s
                try:
                    self.revision = await self.store.update(candidate, self.revision)
                    self.fence_at = max(self.fence_at, sent + self.lease_s - self.margin_s)
                    return
                except RevisionMismatch:
                    latest = await self.store.get(self.job.id)
                    if (
                        latest is None
                        or latest.job.lease_owner != self.owner
                        or latest.job.terminal
                    ):
                        raise LeaseLost(self.job.id) from None
                    if latest.job.status == "cancelling":
                        self.cancel_requested = True
                    # Keep our step progress, adopt the latest status (e.g. cancelling).
                    latest.job.steps = self.job.steps
                    latest.job.started_at = self.job.started_at
                    latest.job.compensation = self.job.compensation
                    latest.job.runs = max(latest.job.runs, self.job.runs)
                    if latest.job.status == "pending":
                        latest.job.status = self.job.status
                    self.job = latest.job
                    self.revision = latest.revision
            raise LeaseLost(self.job.id)
