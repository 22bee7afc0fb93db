"""Deployment history: built from Swarm service update events, persisted in JetStream.

Every replica follows the CONTROL_DEPLOYMENTS stream into an in-memory index (like the audit
trail) and watches the engine's service events. On an update event it inspects the service and
turns its `UpdateStatus` into records: started, paused, completed, rollback_started,
rollback_paused, rollback_completed. Record ids are derived from the service id and the update's
`StartedAt`, and the stream deduplicates by message id, so several replicas (and a reconcile at
start-up from the services' current state) write each record once; only the writer whose append
was new counts `control_deployments_total` and sends the Grafana annotation.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from typing import Any

import msgspec

from cloudlysis_control.core.clock import cancel_and_wait, parse_rfc3339, rfc3339
from cloudlysis_control.core.errors import ControlError, NotFound, StateUnavailable
from cloudlysis_control.core.logging import get_logger
from cloudlysis_control.core.metrics import Metrics
from cloudlysis_control.deployments.diff import JOB_LABEL
from cloudlysis_control.deployments.history import (
    DeploymentFilter,
    DeploymentHistory,
    epoch_ms,
)
from cloudlysis_control.deployments.ports import Annotator, DeploymentLog
from cloudlysis_control.deployments.schemas import (
    Deployment,
    DeploymentDetail,
    DeploymentEventType,
    DeploymentPage,
    DeploymentRecord,
)
from cloudlysis_control.swarm.normalise import service_labels
from cloudlysis_control.swarm.ports import Raw, SwarmEngine

_log = get_logger("control.deployments")
_decoder = msgspec.json.Decoder(DeploymentRecord)
# How long a read waits for this replica's history to fold what the stream holds.
SYNC_TIMEOUT_S = 5.0

_OUTCOME: dict[str, str] = {
    "completed": "completed",
    "paused": "paused",
    "rollback_completed": "rolled_back",
    "rollback_paused": "rollback_paused",
}
_ROLLBACK_STATES = ("rollback_started", "rollback_paused", "rollback_completed")


def deployment_id(service_id: str, started_at: str) -> str:
    return "d_" + hashlib.sha256(f"{service_id}\0{started_at}".encode()).hexdigest()[:24]


def job_label(spec: dict[str, Any], previous: dict[str, Any] | None) -> str | None:
    """The job that wrote this spec (label JOB_LABEL), when it is new in this spec: any replica
    can then link the deployment to its job. (A rollback restores an older spec and its older
    label, so rollbacks are linked through expect_job instead.)"""
    job = (spec.get("Labels") or {}).get(JOB_LABEL)
    before = ((previous or {}).get("Labels") or {}).get(JOB_LABEL)
    return job if isinstance(job, str) and job != before else None


class DeploymentService:
    def __init__(
        self,
        log: DeploymentLog,
        engine: SwarmEngine,
        metrics: Metrics,
        annotator: Annotator | None = None,
        reconcile_interval_s: float = 60.0,
    ) -> None:
        self.reconcile_interval_s = reconcile_interval_s
        self.log = log
        self.engine = engine
        self.metrics = metrics
        self.annotator = annotator
        self.history = DeploymentHistory()
        self._expected_jobs: dict[str, tuple[str, float]] = {}  # service id → (job id, deadline)
        self._tasks: list[asyncio.Task[None]] = []
        self._lock = asyncio.Lock()
        self.caught_up = asyncio.Event()
        self.watching = asyncio.Event()
        self._target_seq: int | None = None
        self._folded_seq = 0  # the stream's records up to here are folded
        self._folded = asyncio.Condition()

    async def _follow(self) -> None:
        async for msg in self.log.follow(1):
            try:
                self.history.fold(_decoder.decode(msg.data))
            except msgspec.DecodeError:
                _log.warning("undecodable deployment record skipped", seq=msg.seq)
            if self._target_seq is not None and msg.seq >= self._target_seq:
                self.caught_up.set()
            self._folded_seq = msg.seq
            async with self._folded:
                self._folded.notify_all()

    async def sync(self) -> None:
        """Fold every record the stream holds now before answering, so every replica answers
        the same (a record another replica appended a moment ago included). Without NATS the
        history answers from what it folded; a follower that does not catch up in
        SYNC_TIMEOUT_S is an error, never a silently different answer."""
        if not self._tasks:
            return  # not following the stream (tests that fold by hand)
        try:
            last = await self.log.last_seq()
        except ControlError:
            return
        if self._folded_seq >= last:
            return
        try:
            async with asyncio.timeout(SYNC_TIMEOUT_S), self._folded:
                await self._folded.wait_for(lambda: self._folded_seq >= last)
        except TimeoutError:
            raise StateUnavailable("deployment history is behind its stream") from None

    # -- writing ----------------------------------------------------------------------------------

    async def _append(self, rec: DeploymentRecord) -> None:
        if self.history.has(rec.deployment_id, rec.type):
            return
        if rec.type in ("started", "rollback_started"):
            expected = self._expected_jobs.pop(rec.service_id, None)
            if rec.job_id is None and expected is not None and expected[1] >= time.monotonic():
                rec.job_id = expected[0]
        _seq, duplicate = await self.log.publish(
            msgspec.json.encode(rec), msg_id=f"{rec.deployment_id}.{rec.type}"
        )
        if duplicate:
            # Another replica appended this record first, perhaps not the same (its job link,
            # its message): fold the stored one, as every replica does, never this copy.
            return
        self.history.fold(rec)
        outcome = _OUTCOME.get(rec.type)
        if outcome is not None:
            self.metrics.deployments.labels(rec.service, outcome).inc()
            self._annotate(self.history.deployments[rec.deployment_id])

    def _annotate(self, d: Deployment) -> None:
        if self.annotator is None:
            return
        tags = ["deploy", f"service:{d.service}"]
        if d.stack:
            tags.append(f"stack:{d.stack}")
        if d.version:
            tags.append(f"version:{d.version}")
        if d.job_id:
            tags.append(f"job:{d.job_id}")
        tags.append(f"outcome:{d.status}")
        verb = "rollback" if d.kind == "rollback" else "deploy"
        text = (
            f"{verb} {d.service}: {d.from_image or '?'} → {d.to_image or '?'} ({d.status})"
            f" spec v{d.from_spec_version} → v{d.to_spec_version}"
        )
        payload: dict[str, Any] = {"time": epoch_ms(d.started_at), "tags": tags, "text": text}
        if d.finished_at:
            payload["timeEnd"] = epoch_ms(d.finished_at)
        self.annotator.submit(payload)

    def expect_job(self, service_id: str, job_id: str, within_s: float = 60.0) -> None:
        """The next deployment that starts on this service was caused by this job."""
        self._expected_jobs[service_id] = (job_id, time.monotonic() + within_s)

    async def observe(self, raw: Raw, source: str = "event") -> None:
        """Turn a service's current UpdateStatus into the records it implies."""
        async with self._lock:
            await self._observe(raw, "reconcile" if source == "reconcile" else "event")

    async def _observe(self, raw: Raw, source: Any) -> None:
        status = raw.get("UpdateStatus") or {}
        state = status.get("State")
        started_at = status.get("StartedAt")
        if not isinstance(state, str) or not isinstance(started_at, str):
            return
        sid = str(raw.get("ID"))
        spec = raw.get("Spec") or {}
        name = str(spec.get("Name") or sid)
        version = (raw.get("Version") or {}).get("Index")
        labels = service_labels(raw)
        at_start = rfc3339(parse_rfc3339(started_at))
        key = deployment_id(sid, started_at)
        rollback = state in _ROLLBACK_STATES
        did = self.history.alias(key)
        if rollback and did not in self.history.deployments:
            open_id = self.history.open.get(sid)
            if open_id is not None and self.history.deployments[open_id].kind == "update":
                did = open_id  # the rollback of the update in progress (failure or manual)
            self.history.set_alias(key, did)
        base = {
            "deployment_id": did,
            "service": name,
            "service_id": sid,
            "stack": labels.get("com.docker.stack.namespace"),
            "source": source,
            "status_key": key,
        }
        if did not in self.history.deployments:
            first: DeploymentEventType = "rollback_started" if rollback else "started"
            await self._append(
                DeploymentRecord(
                    **base,
                    type=first,
                    at=at_start,
                    kind="rollback" if rollback else "update",
                    spec_version=version if isinstance(version, int) else None,
                    previous_spec_version=self.history.previous_version(sid, version),
                    message=status.get("Message"),
                    spec=spec,
                    previous_spec=raw.get("PreviousSpec"),
                    job_id=None if rollback else job_label(spec, raw.get("PreviousSpec")),
                )
            )
        if rollback and not self.history.has(did, "rollback_started"):
            await self._append(
                DeploymentRecord(
                    **base,
                    type="rollback_started",
                    at=at_start,
                    spec_version=version,
                    message=status.get("Message"),
                )
            )
        terminal = {
            "completed": "completed",
            "paused": "paused",
            "rollback_completed": "rollback_completed",
            "rollback_paused": "rollback_paused",
        }.get(state)
        if terminal is not None:
            completed_at = status.get("CompletedAt")
            at = (
                rfc3339(parse_rfc3339(completed_at)) if isinstance(completed_at, str) else rfc3339()
            )
            await self._append(
                DeploymentRecord(
                    **base,
                    type=terminal,  # type: ignore[arg-type]
                    at=max(at, at_start),
                    spec_version=version if isinstance(version, int) else None,
                    message=status.get("Message"),
                )
            )

    # -- running ----------------------------------------------------------------------------------

    async def start(self) -> None:
        try:
            last = await self.log.last_seq()
        except ControlError:
            last = 0
        self._target_seq = last
        if last == 0:
            self.caught_up.set()
        self._tasks.append(asyncio.create_task(self._follow(), name="deployments-follow"))
        self._tasks.append(asyncio.create_task(self._watch(), name="deployments-watch"))

    async def _reconcile(self) -> None:
        for raw in await self.engine.services():
            try:
                await self.observe(raw, "reconcile")
            except ControlError as e:
                _log.warning("deployment reconcile failed", error=e.detail)

    async def _watch(self) -> None:
        try:
            async with asyncio.timeout(30):
                await self.caught_up.wait()
        except TimeoutError:
            _log.warning("deployment history not caught up after 30 s; watching anyway")
        since = time.time()
        delay = 0.5
        while True:
            try:
                await self._reconcile()
                break
            except ControlError as e:
                _log.warning("swarm not reachable for the deployment reconcile", error=e.detail)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 15.0)
        self.watching.set()
        self._tasks.append(
            asyncio.create_task(self._reconcile_every(), name="deployments-reconcile")
        )
        async for event in self.engine.events(since - 1):
            if event.get("Action") != "update":
                continue
            sid = (event.get("Actor") or {}).get("ID")
            if not sid:
                continue
            try:
                await self.observe(await self.engine.service(str(sid)))
            except NotFound:
                continue
            except ControlError as e:
                _log.warning("deployment event not recorded", error=e.detail, service_id=sid)

    async def _reconcile_every(self) -> None:
        """A safety net: an event lost while NATS was unreachable (or while the engine
        connection was down longer than its event buffer) is recorded at the next pass."""
        while True:
            await asyncio.sleep(self.reconcile_interval_s)
            try:
                await self._reconcile()
            except ControlError as e:
                _log.warning("periodic deployment reconcile failed", error=e.detail)

    async def stop(self) -> None:
        if self._tasks:
            await cancel_and_wait(self._tasks)

    # -- reading (the history answers) ------------------------------------------------------------

    async def page(self, flt: DeploymentFilter, cursor: str | None, limit: int) -> DeploymentPage:
        await self.sync()
        return self.history.page(flt, cursor, limit)

    async def get(self, did: str) -> DeploymentDetail:
        await self.sync()
        return self.history.get(did)

    def recorded_spec(self, service: str, spec_version: int) -> dict[str, Any] | None:
        return self.history.recorded_spec(service, spec_version)

    def recorded_versions(self, service: str) -> list[int]:
        return self.history.recorded_versions(service)
