"""Drift: one consistent observation of the Swarm (plus instance revisions and health) against
the desired stacks, the control plane's own deployments and adoptions; kept current by a loop
(every `interval_s`), so the endpoint, the gauge and the playbooks read the same answer.

Never corrects anything: remedies are job links (drift.reapply, drift.adopt, service.deploy,
config.reload, ...) an operator submits through the usual job flow."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from cloudlysis_control.core.clock import raise_if_cancelling, rfc3339
from cloudlysis_control.core.errors import ControlError, NotFound
from cloudlysis_control.core.logging import get_logger
from cloudlysis_control.core.metrics import Metrics
from cloudlysis_control.deployments.service import DeploymentService
from cloudlysis_control.drift.classify import (
    Finding,
    HealthFailure,
    RevisionGap,
    Thresholds,
    classify,
)
from cloudlysis_control.drift.desired import DesiredService, DesiredState, StackReader
from cloudlysis_control.drift.schemas import (
    CATEGORIES,
    SEVERITIES,
    DriftAck,
    DriftItem,
    DriftReport,
    DriftSummary,
    Inventory,
    InventoryNode,
    InventoryTask,
)
from cloudlysis_control.drift.sources import ObservedSources
from cloudlysis_control.drift.state import Ack, Adoption, DriftState
from cloudlysis_control.guardrails.limits import LimitsSource
from cloudlysis_control.swarm.normalise import normalise_node
from cloudlysis_control.swarm.ports import Raw
from cloudlysis_control.swarm.service import SwarmObservation, SwarmView

_log = get_logger("control.drift")


def _ts(epoch: float) -> str:
    return rfc3339(datetime.fromtimestamp(epoch, UTC))


@dataclass(frozen=True)
class DriftFilter:
    category: str | None = None
    severity: str | None = None
    stack: str | None = None
    service: str | None = None
    include_acknowledged: bool = True

    def matches(self, item: DriftItem) -> bool:
        return (
            (self.category is None or item.category == self.category)
            and (self.severity is None or item.severity == self.severity)
            and (self.stack is None or item.stack == self.stack)
            and (self.service is None or item.service == self.service)
            and (self.include_acknowledged or item.acknowledged is None)
        )


@dataclass
class Computed:
    observation: SwarmObservation
    desired: DesiredState
    findings: dict[str, Finding]
    items: list[DriftItem]


class DriftService:
    def __init__(
        self,
        swarm: SwarmView,
        state: DriftState,
        metrics: Metrics,
        *,
        stacks_dir: Path | None,
        deployments: DeploymentService | None = None,
        sources: ObservedSources | None = None,
        thresholds: Thresholds | None = None,
        limits: LimitsSource | None = None,
        interval_s: float = 10.0,
        persist_every_s: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.swarm = swarm
        self.state = state
        self.metrics = metrics
        self.stacks_dir = stacks_dir
        self.stacks = StackReader(stacks_dir)
        self.deployments = deployments
        self.sources = sources
        self.thresholds = thresholds or Thresholds()
        self.limits = limits  # when given, the crash-loop thresholds come from the guardrails
        self.interval_s = interval_s
        self.persist_every_s = persist_every_s
        self.clock = clock
        self._last: Computed | None = None
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    # -- desired ---------------------------------------------------------------------------

    def _desired(self) -> DesiredState:
        desired = self.stacks.read()
        if self.deployments is None:
            return desired
        # A deployment the control plane made (a job's) is what is now desired for its service.
        services: list[DesiredService] = []
        for d in desired.services:
            image = self.deployments.history.last_control_image(d.service)
            services.append(
                dataclasses.replace(d, image=image, source="deployment") if image else d
            )
        return dataclasses.replace(desired, services=tuple(services))

    # -- computing -------------------------------------------------------------------------

    async def compute(self) -> Computed:
        """One observation → items, first/last seen updated, gauge set."""
        async with self._lock:
            if not self.state.loaded:
                await self.state.load()
            observation = await self.swarm.observe()
            if self.limits is not None:
                limits = await self.limits.limits()
                self.thresholds = Thresholds(
                    crash_restarts=limits.crash_loop_restarts,
                    crash_window_s=limits.crash_loop_window_s,
                )
            desired = self._desired()
            now = self.clock()
            revisions: list[RevisionGap] = []
            health: list[HealthFailure] = []
            if self.sources is not None:
                try:
                    revisions, health = await asyncio.gather(
                        self.sources.revision_gaps(observation.services),
                        self.sources.health_failures(observation.services),
                    )
                except ControlError as e:
                    raise_if_cancelling(e)
                    _log.warning("drift: instance revisions or health unavailable", error=e.detail)
            found = classify(
                desired,
                observation.services,
                observation.tasks,
                now=now,
                thresholds=self.thresholds,
                revisions=revisions,
                health=health,
            )
            findings: dict[str, Finding] = {}
            for f in found:
                adopted = self.state.adoptions.get(f.id)
                if adopted is not None and adopted.observed == f.observed:
                    continue  # an operator made what runs the desired value
                findings.setdefault(f.id, f)
            for item_id in [i for i in self.state.adoptions if i not in findings]:
                # what runs changed again, or the item is gone: the adoption no longer applies
                if not any(f.id == item_id for f in found):
                    await self.state.forget_adoption(item_id)
            await self.state.observe(set(findings), now, self.persist_every_s)
            items = [self._item(f, now) for f in findings.values()]
            self._gauge(items)
            self._last = Computed(observation, desired, findings, items)
            return self._last

    def _item(self, f: Finding, now: float) -> DriftItem:
        seen = self.state.seen.get(f.id)
        ack = self.state.ack_of(f.id, now)
        return DriftItem(
            id=f.id,
            category=f.category,
            severity=f.severity,
            stack=f.stack,
            service=f.service,
            instance=f.instance,
            field=f.field,
            desired=f.desired,
            observed=f.observed,
            detail=f.detail,
            first_seen=_ts(seen.first_seen if seen else now),
            last_seen=_ts(seen.last_seen if seen else now),
            acknowledged=DriftAck(
                by=ack.by,
                reason=ack.reason,
                at=_ts(ack.at),
                expires_at=_ts(ack.expires_at),
                job_id=ack.job_id,
            )
            if ack
            else None,
            remedies=[
                msgspec.structs.replace(r, params={**r.params, "item_id": f.id})
                if r.job_kind.startswith("drift.")
                else r
                for r in f.remedies
            ],
        )

    def _gauge(self, items: list[DriftItem]) -> None:
        counts = {(c, s): 0 for c in CATEGORIES for s in SEVERITIES}
        for i in items:
            if i.acknowledged is None:
                counts[(i.category, i.severity)] += 1
        for (c, s), n in counts.items():
            self.metrics.drift_items.labels(c, s).set(n)

    async def current(self, max_age_s: float | None = None) -> Computed:
        last = self._last
        limit = self.interval_s if max_age_s is None else max_age_s
        if last is None or self.clock() - last.observation.observed_at > limit:
            return await self.compute()
        return last

    # -- answers ---------------------------------------------------------------------------

    async def report(self, flt: DriftFilter) -> DriftReport:
        c = await self.current()
        items = [i for i in c.items if flt.matches(i)]
        open_items = [i for i in items if i.acknowledged is None]
        by_category: dict[str, int] = {k: 0 for k in CATEGORIES}
        by_severity: dict[str, int] = {k: 0 for k in SEVERITIES}
        for i in open_items:
            by_category[i.category] += 1
            by_severity[i.severity] += 1
        return DriftReport(
            observed_at=_ts(c.observation.observed_at),
            source=c.observation.source,
            stale=c.observation.stale,
            desired_source=c.desired.source,
            stacks=list(c.desired.stacks),
            desired_errors=list(c.desired.errors),
            summary=DriftSummary(
                total=len(open_items),
                by_category=by_category,
                by_severity=by_severity,
                acknowledged=len(items) - len(open_items),
            ),
            items=items,
        )

    @staticmethod
    def etag(report: DriftReport) -> str:
        # What the items say, not when they were last looked at: `last_seen` moves on every
        # observation and would make every answer new.
        items = [msgspec.structs.replace(i, last_seen="") for i in report.items]
        body = msgspec.json.encode([items, report.stacks, report.desired_errors, report.stale])
        return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'

    async def finding(self, item_id: str, fresh: bool = True) -> tuple[Finding, Computed]:
        c = await (self.compute() if fresh else self.current())
        f = c.findings.get(item_id)
        if f is None:
            raise NotFound(f"no open drift item {item_id} (it may have been resolved)")
        return f, c

    async def new_items(self, service: str, since: float) -> list[str]:
        """Drift items of `service` first seen at or after `since` (the post-deploy playbook's
        "no new drift" check)."""
        c = await self.compute()
        out = []
        for i in c.items:
            seen = self.state.seen.get(i.id)
            if i.service == service and seen is not None and seen.first_seen >= since:
                out.append(f"{i.category} {i.field}: {i.detail}")
        return out

    async def acknowledge(
        self, item_id: str, by: str, reason: str, expires_at: float, job_id: str | None
    ) -> DriftAck:
        await self.finding(item_id, fresh=False)
        now = self.clock()
        ack = Ack(by=by, reason=reason, at=now, expires_at=expires_at, job_id=job_id)
        await self.state.acknowledge(item_id, ack)
        self._refresh_items()
        return DriftAck(
            by=by, reason=reason, at=_ts(now), expires_at=_ts(expires_at), job_id=job_id
        )

    async def adopt(self, f: Finding, by: str, reason: str, job_id: str | None) -> None:
        await self.state.adopt(
            f.id,
            Adoption(
                service=f.service,
                field=f.field,
                observed=f.observed,
                by=by,
                reason=reason,
                at=self.clock(),
                job_id=job_id,
            ),
        )

    def _refresh_items(self) -> None:
        last = self._last
        if last is not None:
            now = self.clock()
            last.items = [self._item(f, now) for f in last.findings.values()]
            self._gauge(last.items)

    # -- inventory -------------------------------------------------------------------------

    async def inventory(self) -> Inventory:
        obs = await self.swarm.observe()
        names = {
            str(s.get("ID")): str((s.get("Spec") or {}).get("Name") or s.get("ID"))
            for s in obs.services
        }
        per_node: dict[str, list[Raw]] = {}
        running_total = 0
        for t in obs.tasks:
            if (t.get("Status") or {}).get("State") == "running" and t.get(
                "DesiredState"
            ) == "running":
                per_node.setdefault(str(t.get("NodeID")), []).append(t)
                running_total += 1
        nodes: list[InventoryNode] = []
        for raw in obs.nodes:
            n = normalise_node(raw)
            resources = ((raw.get("Description") or {}).get("Resources")) or {}
            nano = resources.get("NanoCPUs")
            mem = resources.get("MemoryBytes")
            tasks = per_node.get(n.id, [])
            nodes.append(
                InventoryNode(
                    id=n.id,
                    hostname=n.hostname,
                    role=n.role,
                    availability=n.availability,
                    status=n.state,
                    leader=n.leader,
                    addr=n.addr,
                    engine_version=n.engine_version,
                    labels=n.labels,
                    cpus=nano / 1e9 if isinstance(nano, int | float) else None,
                    memory_bytes=int(mem) if isinstance(mem, int | float) else None,
                    tasks_running=len(tasks),
                    services=sorted(
                        {names.get(str(t.get("ServiceID")), str(t.get("ServiceID"))) for t in tasks}
                    ),
                    tasks=sorted(
                        (
                            InventoryTask(
                                service=names.get(str(t.get("ServiceID")), str(t.get("ServiceID"))),
                                task_id=str(t.get("ID")),
                                slot=t.get("Slot") if isinstance(t.get("Slot"), int) else None,
                                state=str((t.get("Status") or {}).get("State") or ""),
                                desired_state=t.get("DesiredState"),
                            )
                            for t in tasks
                        ),
                        key=lambda x: (x.service, x.slot or 0),
                    ),
                )
            )
        nodes.sort(key=lambda n: (n.hostname or "", n.id))
        return Inventory(
            observed_at=_ts(obs.observed_at),
            source=obs.source,
            stale=obs.stale,
            nodes=nodes,
            services_total=len(obs.services),
            tasks_running=running_total,
        )

    # -- lifecycle -------------------------------------------------------------------------

    async def _loop(self) -> None:
        while True:
            try:
                await self.compute()
            except asyncio.CancelledError:
                raise
            except ControlError as e:
                raise_if_cancelling(e)
                _log.warning("drift observation failed", error=e.detail)
            except Exception as e:  # never let the loop die; the endpoint reports its own errors
                raise_if_cancelling(e)
                _log.exception("drift observation failed")
            # A cancel that something below swallowed (and returned normally) still stops us.
            raise_if_cancelling()
            await asyncio.sleep(self.interval_s)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="drift")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
