"""The normaliser and the spec diff on the engine's real JSON (fixtures/engine.json was captured
from docker 20.10's Engine API), and on documents full of the `null`s the engine sends."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from cloudlysis_control.adapters.docker.fixture import FixtureEngine
from cloudlysis_control.core.errors import SettingsError
from cloudlysis_control.deployments.diff import spec_diff
from cloudlysis_control.swarm.normalise import (
    hostnames,
    normalise_node,
    normalise_service,
    split_image,
)
from tests.support.swarm import ENGINE_FIXTURE

DOC: dict[str, Any] = json.loads(ENGINE_FIXTURE.read_text())


def _raw(name: str) -> dict[str, Any]:
    return copy.deepcopy(next(s for s in DOC["services"] if s["Spec"]["Name"] == name))


def test_real_engine_service_is_normalised() -> None:
    s = normalise_service(_raw("cstest-capture-app"), DOC["tasks"], hostnames(DOC["nodes"]))
    assert (s.image, s.image_tag) == ("cstest/app", "v2")
    assert (s.stack, s.kind, s.git_sha, s.version) == ("cstest", "aggregate", "0123abc", "v2")
    assert s.spec_version > 0 and s.updated_at and s.created_at
    assert (s.update_state, s.update_message) == ("completed", "update completed")
    assert (s.mode, s.replicas_desired, s.replicas_running) == ("replicated", 2, 2)
    running = [t for t in s.tasks if t.desired_state == "running"]
    assert len(running) == 2 and all(t.node and t.state == "running" for t in running)
    assert all(t.image and t.image.startswith("cstest/app:v2") for t in running)
    assert s.admin_url == "http://cstest-capture-app:8080"


def test_service_without_labels_or_replicas() -> None:
    s = normalise_service(_raw("cstest-capture-bare"), DOC["tasks"], {})
    assert (s.replicas_desired, s.replicas_running, s.tasks) == (0, 0, [])
    assert (s.stack, s.kind, s.git_sha, s.admin_url) == (None, None, None, None)


def test_engine_nulls_are_tolerated() -> None:
    raw = _raw("cstest-capture-app")
    raw["Spec"]["Labels"] = None
    raw["Spec"]["TaskTemplate"]["ContainerSpec"]["Labels"] = None
    raw["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"] = None
    raw["Spec"]["TaskTemplate"]["Resources"] = None
    raw["Spec"]["Mode"] = None
    raw["UpdateStatus"] = None
    raw["Version"] = None
    raw["ServiceStatus"] = None
    tasks = copy.deepcopy(DOC["tasks"])
    for t in tasks:
        t["Status"] = None
        t["Spec"] = None
        t["NodeID"] = None
    s = normalise_service(raw, [*tasks, None, "junk"], {})  # type: ignore[list-item]
    assert (s.spec_version, s.update_state, s.labels) == (0, None, {})
    assert all(t.state == "unknown" and t.node is None for t in s.tasks)
    node = copy.deepcopy(DOC["nodes"][0])
    node["Spec"]["Labels"] = None
    node["Description"] = None
    n = normalise_node(node)
    assert n.labels == {} and n.hostname is None and n.role == "manager"
    assert normalise_service({}).service == ""


def test_split_image() -> None:
    digest = "sha256:" + "a" * 64
    assert split_image(f"localhost:5000/team/app:1.2@{digest}") == (
        "localhost:5000/team/app",
        "1.2",
        digest,
    )
    assert split_image("localhost:5000/app") == ("localhost:5000/app", None, None)
    assert split_image("nats:2.11-alpine") == ("nats", "2.11-alpine", None)


def test_diff_of_a_real_update_redacts_env_values() -> None:
    raw = _raw("cstest-capture-app")
    changes = {c.path: c for c in spec_diff(raw["PreviousSpec"], raw["Spec"])}
    assert changes["image"].before is not None and changes["image"].before.startswith(
        "cstest/app:v1"
    )
    assert changes["env.LOG_LEVEL"].change == "changed"
    assert (changes["env.LOG_LEVEL"].before, changes["env.LOG_LEVEL"].after) == (
        "<redacted>",
        "<redacted>",
    )
    assert changes["labels.container.cloudlysis.version"].after == "v2"
    text = json.dumps(
        [c.__struct_fields__ and [c.path, c.before, c.after] for c in changes.values()]
    )
    assert "hunter2" not in text and "debug" not in text


def test_diff_covers_replicas_resources_and_policies() -> None:
    before = _raw("cstest-capture-app")["Spec"]
    after = copy.deepcopy(before)
    after["Mode"]["Replicated"]["Replicas"] = 5
    after["TaskTemplate"]["Resources"]["Limits"]["MemoryBytes"] = 128 * 1024 * 1024
    after["UpdateConfig"]["Order"] = "stop-first"
    after["TaskTemplate"]["ContainerSpec"]["Env"].append("NEW_FLAG=1")
    changes = {c.path: c for c in spec_diff(before, after)}
    assert (changes["replicas"].before, changes["replicas"].after) == ("2", "5")
    assert changes["resources.limits.memory_bytes"].after == str(128 * 1024 * 1024)
    assert (changes["update_config.order"].before, changes["update_config.order"].after) == (
        "start-first",
        "stop-first",
    )
    assert (
        changes["env.NEW_FLAG"].change == "added" and changes["env.NEW_FLAG"].after == "<redacted>"
    )
    assert spec_diff(before, copy.deepcopy(before)) == []


def test_a_fixture_that_is_not_engine_json_stops_start_up(tmp_path: Path) -> None:
    for text in ("[]", "{not json", '{"services": {}}'):
        bad = tmp_path / "swarm.json"
        bad.write_text(text)
        with pytest.raises(SettingsError, match="CONTROL_SWARM_FILE"):
            FixtureEngine.from_file(bad)
