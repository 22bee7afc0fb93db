"""The demo's one world: the releases each simulated service runs, and the Swarm (Engine API JSON
for CONTROL_SWARM_MODE=file) generated from the instances actually running.

Every Swarm service is one devfleet instance: named after it (`platform_aggregate-1` plays shard
`aggregate-1`), its image tag the version the instance reports, its `cloudlysis.admin_url` the
instance's address (so the fleet, the Swarm view and deploy verification all meet at one URL),
and `cloudlysis.dev.on_converge_url` the instance's `/_devfleet/converged`, which the file-mode
engine calls when an update or rollback converges so the instance then runs (and reports) the
new tag (docs/decisions/0012-demo-swarm-from-the-devfleet.md).

The fixture's registry (`images`) knows, per service, the running tag, the previous one, a good
next one and a marked bad one (`<next>-bad`): a devfleet instance running a bad tag fails and
slows part of its tenant traffic (`is_bad`), so a deploy of it hurts the charts and a rollback
heals them.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

STACK = "platform"
IMAGE_REPO = "cloudlysis"
BAD_SUFFIX = "-bad"
ON_CONVERGE_LABEL = "cloudlysis.dev.on_converge_url"
CONVERGED_PATH = "/_devfleet/converged"
SD_PATH = "/_devfleet/sd"
NODE_HOSTNAME = "demo-node-1"
# A Swarm task on the monitoring network (vmagent/scrape.yml keeps only those).
MONITORING_NETWORK = "platform_monitoring"


@dataclass(frozen=True)
class Release:
    """What one service kind runs in the demo, ran before, and may be deployed to."""

    version: str
    git_sha: str
    previous: str
    next: str

    @property
    def bad(self) -> str:
        return f"{self.next}{BAD_SUFFIX}"


RELEASES: dict[str, Release] = {
    "gateway": Release("1.4.2", "93b7819", previous="1.4.1", next="1.5.0"),
    "aggregate": Release("2.0.1", "c640c2d", previous="2.0.0", next="2.0.2"),
    "projection": Release("1.9.0", "834f735", previous="1.8.3", next="1.9.1"),
    "runner": Release("0.7.4", "011570b", previous="0.7.3", next="0.8.0"),
}


def is_bad(version: str) -> bool:
    """A marked bad build: the devfleet makes it fail and slow down part of its traffic."""
    return version.endswith(BAD_SUFFIX)


def image(kind: str, tag: str) -> str:
    return f"{IMAGE_REPO}/{kind}:{tag}"


@dataclass(frozen=True)
class RunningInstance:
    """One devfleet instance as it runs: its fleet entry plus the build it reports."""

    name: str
    kind: str
    url: str
    version: str
    git_sha: str
    shard: str | None = None

    @property
    def service(self) -> str:
        return f"{STACK}_{self.name}"

    @property
    def port(self) -> int:
        return urlsplit(self.url).port or 80


def _id(*parts: str, length: int = 25) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def _rfc3339(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime(ts))


def _container_labels(inst: RunningInstance, version: str, git_sha: str) -> dict[str, str]:
    return {
        "com.docker.stack.namespace": STACK,
        "cloudlysis.service": inst.kind,
        "cloudlysis.version": version,
        "cloudlysis.image_tag": version,
        "cloudlysis.git_sha": git_sha,
        "cloudlysis.scrape": "true",
        "cloudlysis.metrics_port": str(inst.port),
    }


def _spec(inst: RunningInstance, version: str, git_sha: str) -> dict[str, Any]:
    labels = {
        "com.docker.stack.namespace": STACK,
        "com.docker.stack.image": image(inst.kind, version),
        "cloudlysis.kind": inst.kind,
        "cloudlysis.admin_url": inst.url,
        ON_CONVERGE_LABEL: f"{inst.url}{CONVERGED_PATH}",
    }
    if inst.shard:
        labels["cloudlysis.shard"] = inst.shard
    return {
        "Name": inst.service,
        "Labels": labels,
        "TaskTemplate": {
            "ContainerSpec": {
                "Image": image(inst.kind, version),
                "Labels": _container_labels(inst, version, git_sha),
                "Env": [f"CLOUDLYSIS_VERSION={version}", "LOG_LEVEL=info"],
                "Healthcheck": {
                    "Test": ["CMD-SHELL", f"wget -qO- http://127.0.0.1:{inst.port}/health"],
                    "Interval": 2_000_000_000,
                },
            },
            "Resources": {"Limits": {"NanoCPUs": 500_000_000, "MemoryBytes": 268_435_456}},
            "Placement": {},
            "ForceUpdate": 0,
            "Runtime": "container",
        },
        "Mode": {"Replicated": {"Replicas": 1}},
        "UpdateConfig": {
            "Parallelism": 1,
            "FailureAction": "rollback",
            "Monitor": 2_000_000_000,
            "MaxFailureRatio": 0,
            "Order": "start-first",
        },
        "EndpointSpec": {"Mode": "vip"},
    }


def _node(template: Mapping[str, Any] | None, now: float) -> dict[str, Any]:
    node: dict[str, Any] = dict(template or {})
    node.setdefault("ID", _id("node", NODE_HOSTNAME))
    node.setdefault("Spec", {"Role": "manager", "Availability": "active", "Labels": {}})
    node["Description"] = {
        **(node.get("Description") or {}),
        "Hostname": NODE_HOSTNAME,
    }
    node.setdefault("Status", {"State": "ready", "Addr": "127.0.0.1"})
    node.setdefault("ManagerStatus", {"Leader": True, "Reachability": "reachable"})
    node["UpdatedAt"] = _rfc3339(now)
    return node


def swarm_document(
    instances: Sequence[RunningInstance],
    *,
    node_template: Mapping[str, Any] | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The demo's Swarm in the Engine API's JSON: one service (one task) per running instance,
    each last updated from its kind's previous release to the version it reports."""
    now = time.time() if now is None else now
    node = _node(node_template, now)
    services: list[dict[str, Any]] = []
    tasks: list[dict[str, Any]] = []
    images: set[str] = set()
    for n, inst in enumerate(instances):
        release = RELEASES.get(inst.kind)
        previous = release.previous if release else inst.version
        updated = now - 3600 * (len(instances) - n)
        spec = _spec(inst, inst.version, inst.git_sha)
        service_id = _id("service", inst.service)
        services.append(
            {
                "ID": service_id,
                "Version": {"Index": 1000 + 10 * n},
                "CreatedAt": _rfc3339(now - 7 * 86400),
                "UpdatedAt": _rfc3339(updated),
                "Spec": spec,
                "PreviousSpec": _spec(inst, previous, inst.git_sha),
                "UpdateStatus": {
                    "State": "completed",
                    "StartedAt": _rfc3339(updated - 50),
                    "CompletedAt": _rfc3339(updated),
                    "Message": "update completed",
                },
            }
        )
        tasks.append(
            {
                "ID": _id("task", inst.service, "1"),
                "Version": {"Index": 1001 + 10 * n},
                "CreatedAt": _rfc3339(updated - 50),
                "UpdatedAt": _rfc3339(updated),
                "Labels": {},
                "Spec": {"ContainerSpec": dict(spec["TaskTemplate"]["ContainerSpec"])},
                "ServiceID": service_id,
                "Slot": 1,
                "NodeID": node["ID"],
                "Status": {
                    "Timestamp": _rfc3339(updated),
                    "State": "running",
                    "Message": "started",
                    "ContainerStatus": {"ContainerID": _id("container", inst.service, length=64)},
                    "PortStatus": {},
                },
                "DesiredState": "running",
            }
        )
        images.update({image(inst.kind, inst.version), image(inst.kind, previous)})
        if release is not None:
            images.update({image(inst.kind, release.next), image(inst.kind, release.bad)})
    return {
        "_comment": (
            "Generated by cloudlysis-demo from the devfleet it runs (cloudlysis_devfleet.world); "
            "not committed"
        ),
        "images": sorted(images),
        "services": services,
        "tasks": tasks,
        "nodes": [node],
    }


def sd_target_group(
    url_host: str, port: int, service: str, version: str, git_sha: str, stack: str = STACK
) -> list[dict[str, Any]]:
    """The instance as a Swarm task in Prometheus HTTP service discovery: the `__meta_dockerswarm_*`
    labels vmagent's dockerswarm discovery would give it, so the demo scrapes it with the very
    relabeling of vmagent/scrape.yml (service, version, image_tag, git_sha, stack, node)."""
    c = "__meta_dockerswarm_container_label_"
    return [
        {
            "targets": [f"{url_host}:{port}"],
            "labels": {
                f"{c}cloudlysis_scrape": "true",
                f"{c}cloudlysis_service": service,
                f"{c}cloudlysis_version": version,
                f"{c}cloudlysis_image_tag": version,
                f"{c}cloudlysis_git_sha": git_sha,
                f"{c}cloudlysis_metrics_port": str(port),
                f"{c}com_docker_stack_namespace": stack,
                "__meta_dockerswarm_task_desired_state": "running",
                "__meta_dockerswarm_network_name": MONITORING_NETWORK,
                "__meta_dockerswarm_node_hostname": NODE_HOSTNAME,
            },
        }
    ]


# -- drift: the demo's desired stack, and one seeded difference of each category ---------------

ORPHAN = "legacy-exporter"  # runs in the stack's namespace, not in its file: `extra` (and short)
MISSING = "runner-3"  # in the stack file, not running: `missing`
VERSION_DRIFT = "projection-1"  # the file wants the next release: `version`
ENV_DRIFT = "runner-1"  # LOG_LEVEL edited by hand on the running service: `config`


def _yaml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def seed_drift(doc: dict[str, Any], instances: Sequence[RunningInstance]) -> str:
    """Change the generated Swarm `doc` in place and return the desired stack file (`platform`)
    so drift has one item of each category (docs/drift.md, "The demo"): everything else agrees.

    - missing: `runner-3` is in the file, not in the Swarm;
    - extra + unhealthy: `legacy-exporter` runs (1 of 2 replicas) but is not in the file;
    - version: the file wants projection's next release for `projection-1`;
    - config: `runner-1`'s LOG_LEVEL was changed by hand to debug.
    """
    lines = [
        "# The demo's desired stack, generated by cloudlysis-demo: drift compares the Swarm to it.",
        "services:",
    ]
    by_name = {s["Spec"]["Name"]: s for s in doc["services"]}
    for inst in instances:
        release = RELEASES.get(inst.kind)
        version = release.next if inst.name == VERSION_DRIFT and release else inst.version
        lines += [
            f"  {inst.name}:",
            f"    image: {_yaml_str(image(inst.kind, version))}",
            "    environment:",
            f"      CLOUDLYSIS_VERSION: {_yaml_str(inst.version)}",
            '      LOG_LEVEL: "info"',
            "    deploy:",
            "      replicas: 1",
        ]
        if inst.name == ENV_DRIFT and inst.service in by_name:
            container = by_name[inst.service]["Spec"]["TaskTemplate"]["ContainerSpec"]
            container["Env"] = [
                e if not e.startswith("LOG_LEVEL=") else "LOG_LEVEL=debug" for e in container["Env"]
            ]
    runner = RELEASES["runner"]
    lines += [
        f"  {MISSING}:",
        f"    image: {_yaml_str(image('runner', runner.version))}",
        "    environment:",
        f"      CLOUDLYSIS_VERSION: {_yaml_str(runner.version)}",
        '      LOG_LEVEL: "info"',
        "    deploy:",
        "      replicas: 1",
    ]
    now = time.time()
    node_id = doc["nodes"][0]["ID"] if doc.get("nodes") else None
    service_id = _id("service", f"{STACK}_{ORPHAN}")
    orphan_image = f"{IMAGE_REPO}/exporter:0.3.1"
    doc["services"].append(
        {
            "ID": service_id,
            "Version": {"Index": 900},
            "CreatedAt": _rfc3339(now - 30 * 86400),
            "UpdatedAt": _rfc3339(now - 30 * 86400),
            "Spec": {
                "Name": f"{STACK}_{ORPHAN}",
                "Labels": {"com.docker.stack.namespace": STACK},
                "TaskTemplate": {
                    "ContainerSpec": {"Image": orphan_image, "Env": ["LOG_LEVEL=info"]},
                    "Placement": {},
                },
                "Mode": {"Replicated": {"Replicas": 2}},
            },
            "UpdateStatus": {"State": "completed", "Message": "update completed"},
        }
    )
    doc["tasks"].append(
        {
            "ID": _id("task", ORPHAN, "1"),
            "Version": {"Index": 901},
            "CreatedAt": _rfc3339(now - 86400),
            "UpdatedAt": _rfc3339(now - 86400),
            "Labels": {},
            "Spec": {"ContainerSpec": {"Image": orphan_image}},
            "ServiceID": service_id,
            "Slot": 1,
            "NodeID": node_id,
            "Status": {
                "Timestamp": _rfc3339(now - 86400),
                "State": "running",
                "Message": "started",
            },
            "DesiredState": "running",
        }
    )
    doc["images"] = sorted({*doc.get("images", []), orphan_image})
    return "\n".join(lines) + "\n"
