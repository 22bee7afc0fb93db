"""What each domain's change becomes on the live bus: a small event naming what changed (the
console refetches the thing itself), and the right needed to see it."""

from __future__ import annotations

import time
from collections.abc import Callable

from cloudlysis_control.audit.schemas import AuditEvent
from cloudlysis_control.deployments.schemas import Deployment
from cloudlysis_control.fleet.schemas import FleetSnapshot
from cloudlysis_control.jobs.schemas import Job
from cloudlysis_control.live.bus import EventBus
from cloudlysis_control.placement.service import PlacementState

# A fleet snapshot is taken every few seconds; its event is sent when an instance's health,
# readiness or version changed, else at most this often (its figures move on every snapshot).
FLEET_FIGURES_EVERY_S = 30.0


class Feeds:
    def __init__(self, bus: EventBus, clock: Callable[[], float] = time.monotonic) -> None:
        self.bus = bus
        self.clock = clock
        self._job_status: dict[str, tuple[str, int]] = {}
        self._fleet_seen: tuple[tuple[str, str, str, str], ...] | None = None
        self._fleet_sent_at = 0.0

    def job(self, job: Job) -> None:
        # One event per visible change (status or step progress), not per lease heartbeat.
        progress = (job.status, sum(s.attempts for s in job.steps))
        if self._job_status.get(job.id) == progress:
            return
        self._job_status[job.id] = progress
        if job.terminal:
            self._job_status.pop(job.id, None)
        self.bus.publish(
            "job",
            {"id": job.id, "kind": job.kind, "status": job.status, "tenant_id": job.tenant_id},
            "control.jobs.read",
            job.tenant_id,
        )

    def audit(self, event: AuditEvent) -> None:
        self.bus.publish(
            "audit",
            {
                "id": event.id,
                "action": event.action,
                "outcome": event.outcome,
                "job_id": event.job_id,
                "tenant_id": event.tenant_id,
            },
            "control.audit.read",
            event.tenant_id,
        )

    def deployment(self, d: Deployment) -> None:
        self.bus.publish(
            "deployment",
            {"id": d.id, "service": d.service, "status": d.status, "job_id": d.job_id},
            "control.deployments.read",
        )

    def placement(self, state: PlacementState) -> None:
        self.bus.publish(
            "placement",
            {
                "generation": state.generation,
                "revisions": {k: v.revision for k, v in state.maps.items()},
            },
            "control.placement.read",
        )

    def fleet(self, snapshot: FleetSnapshot) -> None:
        seen = tuple(
            sorted(
                (i.instance, str(i.health), str(i.ready), i.version or "")
                for i in snapshot.instances
            )
        )
        now = self.clock()
        if seen == self._fleet_seen and now - self._fleet_sent_at < FLEET_FIGURES_EVERY_S:
            return
        self._fleet_seen, self._fleet_sent_at = seen, now
        self.bus.publish(
            "fleet",
            {
                "taken_at": snapshot.taken_at,
                "instances": snapshot.summary.instances,
                "healthy": snapshot.summary.healthy,
                "ready": snapshot.summary.ready,
            },
            "control.fleet.read",
        )
