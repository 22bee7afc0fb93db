"""config.apply / config.rollback on in-memory ports: the write is made once (a second run
finds it by its sha256), a restore puts the base value back and never overwrites a later change
by someone else, every write is recorded and annotated."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from cloudlysis_control.audit.service import AuditService
from cloudlysis_control.config.assets import AssetCatalog
from cloudlysis_control.config.history import ConfigHistory
from cloudlysis_control.config.jobs import ConfigApply, ConfigRollback
from cloudlysis_control.config.model import ConfigId
from cloudlysis_control.config.service import ConfigService
from cloudlysis_control.config.store import ConfigStore
from cloudlysis_control.config.world import WorldView
from cloudlysis_control.core.errors import ConfirmationMismatch, PlanStale, PreflightRefused
from cloudlysis_control.core.metrics import Metrics
from cloudlysis_control.fleet.registry import FleetRegistry
from cloudlysis_control.fleet.snapshot import FleetSnapshotService
from cloudlysis_control.jobs.kinds import PreflightContext, StepContext, StepFailed
from cloudlysis_control.jobs.schemas import Job, new_steps
from cloudlysis_control.placement.service import PlacementService
from tests.support.fakes import FakeProber, MemoryEventLog, MemoryKeyValue

FLAGS = ConfigId("flags", "control", "platform")
KEY = FLAGS.key


class Annotations:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def submit(self, payload: dict[str, Any]) -> None:
        self.sent.append(payload)


class NoAgents:
    async def reload(self, url: str) -> Any:
        raise AssertionError("flags reload nothing")

    state = resolve = definitions = definition = reload


class World:
    def __init__(self) -> None:
        self.kv = MemoryKeyValue()
        self.log = MemoryEventLog()
        self.annotations = Annotations()
        registry = FleetRegistry()
        store = ConfigStore(self.kv, MemoryKeyValue(), PlacementService("nats"))
        view = WorldView(
            store,
            PlacementService("nats"),
            registry,
            FleetSnapshotService(registry, FakeProber()),
            NoAgents(),
        )  # type: ignore[arg-type]
        self.service = ConfigService(store, ConfigHistory(self.log), view, AssetCatalog(None))
        self.audit_log = MemoryEventLog()
        audit = AuditService(self.audit_log, Metrics())
        args = (self.service, NoAgents(), audit, self.annotations, 5.0)
        self.apply = ConfigApply(*args)  # type: ignore[arg-type]
        self.rollback = ConfigRollback(*args)  # type: ignore[arg-type]

    async def plan(self, doc: dict[str, Any]) -> Any:
        current, _ = await self.service.read(FLAGS)
        return await self.service.plan(FLAGS, current.revision, json.dumps(doc), "json")

    async def job(self, kind: Any, params: dict[str, Any], job_id: str = "j_" + "a" * 32) -> Job:
        request = kind.validate(params, None)
        ready = await kind.preflight(request, PreflightContext(job_id, None, "alice"))
        return Job(
            id=job_id,
            kind=kind.name,
            status="running",
            reason="test",
            params=ready,
            created_by="alice",
            created_at="2026-12-06T00:00:00Z",
            steps=new_steps(kind.steps(ready)),
        )


async def run(kind: Any, job: Job, step: str) -> dict[str, Any]:
    found = (
        next(s for s in job.steps if s.name == step)
        if step in {s.name for s in job.steps}
        else None
    )
    if found is None:
        job.steps += new_steps([step])
        found = job.steps[-1]
    found.attempts += 1
    out: dict[str, Any] = await kind.run_step(StepContext(job, found, found.attempts))
    found.output, found.status = out, "succeeded"
    return out


def apply_params(plan: Any, **extra: Any) -> dict[str, Any]:
    return {
        "domain": "flags",
        "name": "control",
        "scope": "platform",
        "base_revision": plan.base_revision,
        "patch": plan.patch,
        "plan_hash": plan.plan_hash,
        "confirm": "control",
        **extra,
    }


async def test_apply_writes_once_records_and_annotates_and_a_rerun_writes_nothing() -> None:
    w = World()
    plan = await w.plan({"schema_version": 1, "max_impact_percent": 40})
    assert plan.ok and plan.base_revision is None
    job = await w.job(w.apply, apply_params(plan))
    first = await run(w.apply, job, "write")
    assert first["already_applied"] is False and w.kv.writes == 1
    again = await run(w.apply, job, "write")  # a crash after the write, then a takeover
    assert again["already_applied"] is True and again["revision"] == first["revision"]
    assert w.kv.writes == 1
    assert (await run(w.apply, job, "verify"))["sha256"] == plan.proposed_sha256
    records = w.service.history.records(FLAGS)
    assert [r.op for _, r in records] == ["apply"]
    assert records[0][1].actor == "alice" and records[0][1].plan_hash == plan.plan_hash
    (note,) = w.annotations.sent
    assert {
        "config",
        "domain:flags",
        "name:control",
        f"revision:{first['revision']}",
        f"job:{job.id}",
    } <= set(note["tags"])


async def test_restore_puts_the_base_back_and_a_rollback_replays_a_history_value() -> None:
    w = World()
    first = await w.plan({"schema_version": 1, "max_impact_percent": 40})
    await run(w.apply, await w.job(w.apply, apply_params(first)), "write")
    second = await w.plan({"schema_version": 1, "max_impact_percent": 60})
    job = await w.job(w.apply, apply_params(second), "j_" + "b" * 32)
    written = await run(w.apply, job, "write")
    restored = await run(w.apply, job, "compensate:restore")
    assert restored["restored"] is True and restored["previous_revision"] == written["revision"]
    _, digest = await w.service.read(FLAGS)
    assert digest == first.proposed_sha256
    ops = [r.op for _, r in w.service.history.records(FLAGS)]
    assert ops == ["restore", "apply", "apply"]
    assert (await run(w.apply, job, "compensate:restore"))["restored"] is False  # idempotent

    current, _ = await w.service.read(FLAGS)
    back = await w.service.plan_rollback(FLAGS, current.revision, written["revision"])
    rollback = await w.job(
        w.rollback,
        {
            "domain": "flags",
            "name": "control",
            "scope": "platform",
            "base_revision": back.base_revision,
            "target_revision": written["revision"],
            "plan_hash": back.plan_hash,
            "confirm": "control",
        },
        "j_" + "c" * 32,
    )
    await run(w.rollback, rollback, "write")
    _, digest = await w.service.read(FLAGS)
    assert digest == second.proposed_sha256

    # History shows what each one changed, as for an apply (they showed no patch: found by
    # review), and each change is in the audit log with its job and revisions.
    records = [r for _, r in w.service.history.records(FLAGS)]
    assert [r.op for r in records] == ["rollback", "restore", "apply", "apply"]
    assert records[0].patch == [{"op": "replace", "path": "/max_impact_percent", "value": 60}]
    assert records[1].patch == [{"op": "replace", "path": "/max_impact_percent", "value": 40}]
    events = [msgspec.json.decode(m.data) for m in w.audit_log.messages]
    assert [(e["action"], e["target"], e["job_id"]) for e in events] == [
        ("config.apply", "config:flags/control@platform", "j_" + "a" * 32),
        ("config.apply", "config:flags/control@platform", "j_" + "b" * 32),
        ("config.restore", "config:flags/control@platform", "j_" + "b" * 32),
        ("config.rollback", "config:flags/control@platform", "j_" + "c" * 32),
    ]
    assert (
        events[3]["detail"]["revision"] == current.revision
        or events[3]["detail"]["previous_revision"] == current.revision
    )


async def test_restore_never_overwrites_a_later_change() -> None:
    w = World()
    plan = await w.plan({"schema_version": 1, "max_impact_percent": 40})
    job = await w.job(w.apply, apply_params(plan))
    written = await run(w.apply, job, "write")
    await w.kv.update(KEY, msgspec.json.encode({"schema_version": 1}), int(written["revision"]))
    with pytest.raises(StepFailed) as refused:
        await run(w.apply, job, "compensate:restore")
    assert refused.value.code == "restore_conflict"


async def test_preflight_refuses_a_stale_plan_a_wrong_name_and_a_blocked_change() -> None:
    w = World()
    plan = await w.plan({"schema_version": 1, "max_impact_percent": 40})
    with pytest.raises(ConfirmationMismatch):
        w.apply.validate(apply_params(plan, confirm="contro"), None)
    with pytest.raises(PlanStale):
        await w.job(w.apply, apply_params(plan, plan_hash="0" * 64))
    await w.kv.put(KEY, msgspec.json.encode({"schema_version": 1, "config_changes": "paused"}))
    with pytest.raises(PlanStale):  # the base moved
        await w.job(w.apply, apply_params(plan))
    unchanged = await w.plan({"schema_version": 1, "config_changes": "paused"})
    with pytest.raises(PreflightRefused):  # nothing to change
        await w.job(w.apply, apply_params(unchanged))
