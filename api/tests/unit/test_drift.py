"""Drift classification over synthetic desired/observed fixtures (every category and their
combinations), first-seen kept across a restart, acknowledgements and adoptions."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from cloudlysis_control.core.metrics import Metrics
from cloudlysis_control.drift.classify import HealthFailure, RevisionGap, Thresholds, classify
from cloudlysis_control.drift.desired import load_desired, parse_stack
from cloudlysis_control.drift.service import DriftFilter, DriftService
from cloudlysis_control.drift.state import DriftState
from cloudlysis_control.swarm.service import SwarmObservation
from tests.support.fakes import MemoryKeyValue

NOW = 1_800_000_000.0
STACK = """
x-env: &env
  LOG_LEVEL: info
  REGION: ${REGION:-eu}
services:
  api:
    image: example/api:1.0
    environment:
      <<: *env
    deploy:
      replicas: 2
      placement:
        constraints: ["node.role == worker"]
  worker:
    image: example/worker:2.0
    environment: ["QUEUE=jobs"]
  agent:
    image: example/agent:3.0
    deploy:
      mode: global
"""


def _ts(epoch: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat().replace("+00:00", "Z")


def _service(
    name: str,
    image: str,
    *,
    stack: str | None = "shop",
    env: list[str] | None = None,
    replicas: int | None = 1,
    constraints: list[str] | None = None,
) -> dict[str, Any]:
    mode: dict[str, Any] = (
        {"Replicated": {"Replicas": replicas}} if replicas is not None else {"Global": {}}
    )
    return {
        "ID": f"id-{name}",
        "Version": {"Index": 10},
        "Spec": {
            "Name": name,
            "Labels": {"com.docker.stack.namespace": stack} if stack else {},
            "TaskTemplate": {
                "ContainerSpec": {"Image": image, "Env": env or []},
                "Placement": {"Constraints": constraints} if constraints else {},
            },
            "Mode": mode,
        },
    }


def _tasks(
    name: str, running: int, failed: int = 0, failed_at: float = NOW - 60
) -> list[dict[str, Any]]:
    out = [
        {
            "ID": f"t-{name}-{i}",
            "ServiceID": f"id-{name}",
            "Slot": i + 1,
            "DesiredState": "running",
            "Status": {"State": "running", "Timestamp": _ts(NOW - 300)},
        }
        for i in range(running)
    ]
    out += [
        {
            "ID": f"f-{name}-{i}",
            "ServiceID": f"id-{name}",
            "Slot": 1,
            "DesiredState": "shutdown",
            "Status": {"State": "failed", "Err": "exit 1", "Timestamp": _ts(failed_at)},
        }
        for i in range(failed)
    ]
    return out


def _agreeing() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    services = [
        _service(
            "shop_api",
            "example/api:1.0@sha256:aaa",
            env=["LOG_LEVEL=info", "REGION=eu"],
            replicas=2,
            constraints=["node.role == worker"],
        ),
        _service("shop_worker", "example/worker:2.0", env=["QUEUE=jobs"]),
        _service("shop_agent", "example/agent:3.0", replicas=None),
    ]
    tasks = _tasks("shop_api", 2) + _tasks("shop_worker", 1) + _tasks("shop_agent", 1)
    return services, tasks


@pytest.fixture
def desired(tmp_path: Path):
    (tmp_path / "shop.yml").write_text(STACK)
    return load_desired(tmp_path, environ={})


def test_stack_file_read_like_docker_stack_deploy() -> None:
    services = {s.name: s for s in parse_stack("shop", STACK, {"REGION": "us"})}
    assert services["api"].replicas == 2
    assert services["api"].constraints == ("node.role == worker",)
    assert set(services["api"].env) == {"LOG_LEVEL", "REGION"}
    assert "REGION=us" in services["api"].env_values
    assert services["agent"].replicas is None
    assert services["worker"].service == "shop_worker"
    # values are only hashes in what is compared and shown
    assert all(v.startswith("sha256:") for v in services["api"].env.values())


def test_agreeing_world_has_no_drift(desired) -> None:
    services, tasks = _agreeing()
    assert classify(desired, services, tasks, now=NOW) == []


def _mutate(case: str, services: list[dict[str, Any]], tasks: list[dict[str, Any]]) -> None:
    api = services[0]
    if case == "missing":
        services[:] = [s for s in services if s["Spec"]["Name"] != "shop_worker"]
        tasks[:] = [t for t in tasks if t["ServiceID"] != "id-shop_worker"]
    elif case == "extra":
        services.append(_service("shop_orphan", "example/orphan:1"))
        tasks.extend(_tasks("shop_orphan", 1))
    elif case == "extra_by_hand":
        services.append(_service("debug-shell", "busybox:1", stack=None))
        tasks.extend(_tasks("debug-shell", 1))
    elif case == "version":
        api["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"] = "example/api:1.1"
    elif case == "env":
        api["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"] = ["LOG_LEVEL=debug", "REGION=eu"]
    elif case == "constraints":
        api["Spec"]["TaskTemplate"]["Placement"] = {}
    elif case == "scaled_up":
        api["Spec"]["Mode"]["Replicated"]["Replicas"] = 5
        tasks.extend(_tasks("shop_api", 3))
        for i, t in enumerate(t for t in tasks if t["ServiceID"] == "id-shop_api"):
            t["ID"] = f"api-{i}"
    elif case == "scaled_down":
        api["Spec"]["Mode"]["Replicated"]["Replicas"] = 1
        tasks.remove(next(t for t in tasks if t["ServiceID"] == "id-shop_api"))
    elif case == "crash_loop":
        tasks.extend(_tasks("shop_worker", 0, failed=4))
    elif case == "old_crashes":
        tasks.extend(_tasks("shop_worker", 0, failed=4, failed_at=NOW - 3600))
    else:
        raise AssertionError(case)


CASES = [
    # case, expected (category, severity, service, field) set
    ("missing", {("missing", "critical", "shop_worker", "service")}),
    ("extra", {("extra", "warning", "shop_orphan", "service")}),
    ("extra_by_hand", {("extra", "warning", "debug-shell", "service")}),
    ("version", {("version", "warning", "shop_api", "image")}),
    ("env", {("config", "warning", "shop_api", "env")}),
    ("constraints", {("config", "warning", "shop_api", "constraints")}),
    ("scaled_up", {("config", "warning", "shop_api", "replicas")}),
    ("scaled_down", {("unhealthy", "warning", "shop_api", "replicas")}),
    ("crash_loop", {("unhealthy", "critical", "shop_worker", "crash_loop")}),
    ("old_crashes", set()),
]


@pytest.mark.parametrize(("case", "expected"), CASES, ids=[c for c, _ in CASES])
def test_each_category_alone(desired, case: str, expected: set[tuple[str, ...]]) -> None:
    services, tasks = _agreeing()
    _mutate(case, services, tasks)
    found = classify(desired, services, tasks, now=NOW, thresholds=Thresholds(3, 600))
    assert {(f.category, f.severity, f.service, f.field) for f in found} == expected
    for f in found:
        assert f.remedies, f"{f.category} has no remedy"
        assert all(r.kind in ("reapply", "adopt") for r in f.remedies)


COMBOS = [
    ("version", "env", "scaled_down"),  # one service drifting three ways at once
    ("missing", "extra", "env"),
    ("crash_loop", "extra_by_hand", "scaled_up"),
    ("version", "constraints", "extra_by_hand", "scaled_up"),
]


@pytest.mark.parametrize("combo", COMBOS, ids=["+".join(c) for c in COMBOS])
def test_combinations_are_the_union_of_their_parts(desired, combo: tuple[str, ...]) -> None:
    expected: set[tuple[str, ...]] = set()
    for case in combo:
        expected |= dict(CASES)[case]
    services, tasks = _agreeing()
    for case in combo:
        _mutate(case, services, tasks)
    found = classify(desired, services, tasks, now=NOW)
    assert {(f.category, f.severity, f.service, f.field) for f in found} == expected
    assert len({f.id for f in found}) == len(found)


def test_env_values_never_shown(desired) -> None:
    services, tasks = _agreeing()
    services[0]["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"] = [
        "LOG_LEVEL=s3cr3t-value",
        "REGION=eu",
    ]
    (f,) = classify(desired, services, tasks, now=NOW)
    assert "s3cr3t" not in repr(f)
    assert "LOG_LEVEL" in f.detail


def test_digest_pinned_desired_image_compares_the_digest(tmp_path: Path) -> None:
    (tmp_path / "s.yml").write_text("services:\n  a:\n    image: x/a:1@sha256:bbb\n")
    d = load_desired(tmp_path, environ={})
    services = [_service("s_a", "x/a:1@sha256:ccc", stack="s")]
    (f,) = classify(d, services, _tasks("s_a", 1), now=NOW)
    assert (f.category, f.field) == ("version", "image")


def test_instance_revisions_and_health(desired) -> None:
    services, tasks = _agreeing()
    gap = RevisionGap(
        "runner-1",
        "shop_worker",
        "shop",
        "activation:platform",
        "runner.activation",
        "activation",
        "platform",
        "7",
        "6",
    )
    sick = HealthFailure("shop_api", "api-1", "health 503")
    found = classify(desired, services, tasks, now=NOW, revisions=[gap], health=[sick])
    assert {(f.category, f.field, f.instance) for f in found} == {
        ("config", "revision:activation:platform", "runner-1"),
        ("unhealthy", "health", "api-1"),
    }
    revision = next(f for f in found if f.category == "config")
    assert (revision.desired, revision.observed) == ("7", "6")
    assert {r.job_kind for r in revision.remedies} == {"config.reload", "config.rollback"}


def test_unreadable_stack_file_is_reported_not_raised(tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text("services: [unclosed")
    (tmp_path / "ok.yml").write_text("services:\n  a:\n    image: x/a:1\n")
    d = load_desired(tmp_path, environ={})
    assert d.stacks == ("ok",)
    assert len(d.errors) == 1 and "bad" in d.errors[0]


class _Swarm:
    def __init__(self, services: list[dict[str, Any]], tasks: list[dict[str, Any]]) -> None:
        self.services, self.tasks = services, tasks

    async def observe(self) -> SwarmObservation:
        return SwarmObservation(
            "file", copy.deepcopy(self.services), copy.deepcopy(self.tasks), [], self.now
        )

    now = NOW


def _drift(swarm: _Swarm, kv: MemoryKeyValue, stacks: Path, clock: list[float]) -> DriftService:
    return DriftService(
        swarm,  # type: ignore[arg-type]
        DriftState(kv),
        Metrics(),
        stacks_dir=stacks,
        interval_s=10,
        persist_every_s=0,
        clock=lambda: clock[0],
    )


async def test_first_seen_survives_a_restart_and_resets_when_resolved(tmp_path: Path) -> None:
    (tmp_path / "shop.yml").write_text(STACK)
    services, tasks = _agreeing()
    _mutate("version", services, tasks)
    swarm, kv, clock = _Swarm(services, tasks), MemoryKeyValue(), [NOW]
    first = await _drift(swarm, kv, tmp_path, clock).report(DriftFilter())
    (item,) = first.items
    assert item.first_seen == item.last_seen

    clock[0] = NOW + 3600  # an hour later, a new replica (or a restart) with the same bucket
    swarm.now = clock[0]
    again = await _drift(swarm, kv, tmp_path, clock).report(DriftFilter())
    (same,) = again.items
    assert same.id == item.id
    assert same.first_seen == item.first_seen
    assert same.last_seen > item.last_seen

    swarm.services[0]["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"] = "example/api:1.0"
    clock[0] += 10
    swarm.now = clock[0]
    service = _drift(swarm, kv, tmp_path, clock)
    assert (await service.report(DriftFilter())).items == []
    assert await kv.keys() == []


async def test_acknowledged_items_leave_the_open_counts_until_expiry(tmp_path: Path) -> None:
    (tmp_path / "shop.yml").write_text(STACK)
    services, tasks = _agreeing()
    _mutate("version", services, tasks)
    _mutate("missing", services, tasks)
    swarm, kv, clock = _Swarm(services, tasks), MemoryKeyValue(), [NOW]
    drift = _drift(swarm, kv, tmp_path, clock)
    report = await drift.report(DriftFilter())
    assert report.summary.total == 2
    version = next(i for i in report.items if i.category == "version")
    await drift.acknowledge(version.id, "alice", "known: canary", NOW + 600, "job-1")
    report = await drift.report(DriftFilter())
    assert report.summary.total == 1 and report.summary.acknowledged == 1
    assert report.summary.by_category["version"] == 0
    acked = next(i for i in report.items if i.id == version.id)
    assert acked.acknowledged is not None and acked.acknowledged.reason == "known: canary"
    assert drift.metrics.drift_items.labels("version", "warning")._value.get() == 0
    assert drift.metrics.drift_items.labels("missing", "critical")._value.get() == 1
    # a fresh replica reads the acknowledgement from the bucket
    other = await _drift(swarm, kv, tmp_path, clock).report(DriftFilter(include_acknowledged=False))
    assert [i.category for i in other.items] == ["missing"]
    clock[0] = NOW + 601
    swarm.now = clock[0]
    expired = await _drift(swarm, kv, tmp_path, clock).report(DriftFilter())
    assert expired.summary.total == 2


async def test_adopting_keeps_the_item_away_until_what_runs_changes(tmp_path: Path) -> None:
    (tmp_path / "shop.yml").write_text(STACK)
    services, tasks = _agreeing()
    _mutate("version", services, tasks)
    swarm, kv, clock = _Swarm(services, tasks), MemoryKeyValue(), [NOW]
    drift = _drift(swarm, kv, tmp_path, clock)
    f, _ = await drift.finding((await drift.report(DriftFilter())).items[0].id)
    await drift.adopt(f, "bob", "1.1 is the new baseline", "job-2")
    clock[0] += 20
    swarm.now = clock[0]
    assert (await _drift(swarm, kv, tmp_path, clock).report(DriftFilter())).items == []
    services[0]["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"] = "example/api:1.2"
    clock[0] += 20
    swarm.now = clock[0]
    (back,) = (await _drift(swarm, kv, tmp_path, clock).report(DriftFilter())).items
    assert back.observed == "example/api:1.2"


def test_stack_files_are_read_again_only_when_they_change(tmp_path: Path) -> None:
    import os

    from cloudlysis_control.drift.desired import StackReader

    path = tmp_path / "shop.yml"
    path.write_text(STACK)
    reader = StackReader(tmp_path, environ={})
    first = reader.read()
    assert reader.read() is first and reader.reads == 1
    path.write_text(STACK.replace("example/api:1.0", "example/api:2.0"))
    os.utime(path, ns=(1, 1))  # a new mtime even within the clock's resolution
    second = reader.read()
    assert reader.reads == 2
    assert {s.image for s in second.services} >= {"example/api:2.0"}


async def test_the_loop_stops_even_when_a_cancel_is_swallowed_below_it(tmp_path: Path) -> None:
    """Python 3.11's asyncio.wait_for can return a result and drop the cancel: the loop must
    still stop (app shutdown hung on it)."""
    import asyncio
    import contextlib

    class Swallowing(_Swarm):
        async def observe(self) -> SwarmObservation:
            with contextlib.suppress(asyncio.CancelledError):  # swallowed, like wait_for's race
                await asyncio.sleep(3600)
            return await super().observe()

    services, tasks = _agreeing()
    clock = [NOW]
    drift = _drift(Swallowing(services, tasks), MemoryKeyValue(), tmp_path, clock)
    drift.start()
    task = drift._task
    assert task is not None
    await asyncio.sleep(0.05)
    stopping = asyncio.ensure_future(drift.stop())
    done, _ = await asyncio.wait({stopping}, timeout=5)
    assert stopping in done and task.done(), "the drift loop did not stop"
