"""A claimed job as its owner sees it: the latest revision and serialised writes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

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
    ) -> None:
        self.store = store
        self.job = job
        self.revision = revision
        self.owner = owner
        self.lease_s = lease_s
        self.clock = clock
        self.lock = asyncio.Lock()
        self.cancel_requested = job.status == "cancelling"
        self.compensating = False
        self.step_task: asyncio.Task[Any] | None = None

    async def save(self, mutate: Callable[[Job], None]) -> None:
        async with self.lock:
            for _ in range(20):
                candidate = self.job
                mutate(candidate)
                candidate.lease_expires_at = self.clock() + self.lease_s
                try:
                    self.revision = await self.store.update(candidate, self.revision)
                    return
                except RevisionMismatch:
                    latest = await self.store.get(self.job.id)
                    if latest is None or latest.job.lease_owner != self.owner:
                        raise LeaseLost(self.job.id) from None
                    if latest.job.status == "cancelling":
                        self.cancel_requested = True
                    # Keep our step progress, adopt the latest status (e.g. cancelling).
                    latest.job.steps = self.job.steps
                    latest.job.started_at = self.job.started_at
                    latest.job.compensation = self.job.compensation
                    self.job = latest.job
                    self.revision = latest.revision
            raise LeaseLost(self.job.id)
