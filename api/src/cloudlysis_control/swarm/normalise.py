"""Engine JSON → SwarmService / SwarmTask / SwarmNode.

The engine sends `null` where its own spec says object or array (Labels, Env, Resources, ...),
omits fields per version, and nests most of what matters; `_obj`/`_list` read it tolerantly so
a surprising document degrades a field, never the endpoint.
"""

from __future__ import annotations

from typing import Any

from cloudlysis_control.swarm.ports import Raw
from cloudlysis_control.swarm.schemas import SwarmNode, SwarmService, SwarmTask

STACK_LABEL = "com.docker.stack.namespace"
LABEL_KIND = "cloudlysis.kind"
LABEL_SERVICE = "cloudlysis.service"
LABEL_VERSION = "cloudlysis.version"
LABEL_GIT_SHA = "cloudlysis.git_sha"
LABEL_ADMIN_PORT = "cloudlysis.admin_port"
LABEL_ADMIN_URL = "cloudlysis.admin_url"
LABEL_METRICS_PORT = "cloudlysis.metrics_port"
KNOWN_KINDS = ("gateway", "aggregate", "projection", "runner", "control")


def _obj(value: Any, *path: str) -> dict[str, Any]:
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value != "" else None


def _labels(value: Any) -> dict[str, str]:
    return (
        {str(k): str(v) for k, v in value.items() if v is not None}
        if isinstance(value, dict)
        else {}
    )


def split_image(ref: str) -> tuple[str, str | None, str | None]:
    """`repo[:tag][@digest]` → (repo, tag, digest); a registry port is not a tag."""
    digest = None
    if "@" in ref:
        ref, digest = ref.split("@", 1)
    tag = None
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        ref, tag = ref[:colon], ref[colon + 1 :]
    return ref, tag, digest


def service_labels(raw: Raw) -> dict[str, str]:
    """Container labels overlaid by service labels (the stack files put scrape and version
    labels on containers, `deploy.labels` on the service)."""
    spec = _obj(raw, "Spec")
    return {
        **_labels(_obj(spec, "TaskTemplate", "ContainerSpec").get("Labels")),
        **_labels(spec.get("Labels")),
    }


def replicas_desired(spec: dict[str, Any]) -> int | None:
    mode = _obj(spec, "Mode")
    if "Replicated" in mode:
        r = _obj(mode, "Replicated").get("Replicas")
        return int(r) if isinstance(r, int) else 1
    if "ReplicatedJob" in mode:
        r = _obj(mode, "ReplicatedJob").get("TotalCompletions")
        return int(r) if isinstance(r, int) else None
    return None


def _mode(spec: dict[str, Any]) -> str:
    mode = _obj(spec, "Mode")
    for key, name in (
        ("Replicated", "replicated"),
        ("Global", "global"),
        ("ReplicatedJob", "replicated-job"),
        ("GlobalJob", "global-job"),
    ):
        if key in mode:
            return name
    return "replicated"


def admin_url(name: str, labels: dict[str, str]) -> str | None:
    explicit = _str(labels.get(LABEL_ADMIN_URL))
    if explicit:
        return explicit.rstrip("/")
    port = labels.get(LABEL_ADMIN_PORT) or labels.get(LABEL_METRICS_PORT)
    if port and port.isdigit():
        return f"http://{name}:{port}"  # Swarm DNS: the service name, from inside its network
    return None


def kind_of(labels: dict[str, str]) -> str | None:
    kind = _str(labels.get(LABEL_KIND))
    if kind:
        return kind
    logical = labels.get(LABEL_SERVICE, "")
    for k in KNOWN_KINDS:
        if logical == k or logical.startswith(f"{k}-") or logical == f"control-{k}":
            return k
    if logical.startswith("control-"):
        return "control"
    return None


def normalise_task(raw: Raw, hostnames: dict[str, str]) -> SwarmTask:
    status = _obj(raw, "Status")
    node_id = _str(raw.get("NodeID"))
    slot = raw.get("Slot")
    return SwarmTask(
        id=str(raw.get("ID") or ""),
        slot=slot if isinstance(slot, int) else None,
        node_id=node_id,
        node=hostnames.get(node_id) if node_id else None,
        state=_str(status.get("State")) or "unknown",
        desired_state=_str(raw.get("DesiredState")),
        message=_str(status.get("Message")),
        error=_str(status.get("Err")),
        image=_str(_obj(raw, "Spec", "ContainerSpec").get("Image")),
        container_id=_str(_obj(status, "ContainerStatus").get("ContainerID")),
        updated_at=_str(raw.get("UpdatedAt")),
    )


def normalise_service(
    raw: Raw, tasks: list[Raw] | None = None, hostnames: dict[str, str] | None = None
) -> SwarmService:
    spec = _obj(raw, "Spec")
    name = _str(spec.get("Name")) or str(raw.get("ID") or "")
    labels = service_labels(raw)
    image_ref = _str(_obj(spec, "TaskTemplate", "ContainerSpec").get("Image")) or ""
    repo, tag, digest = split_image(image_ref)
    update = _obj(raw, "UpdateStatus")
    own = [t for t in _list(tasks) if isinstance(t, dict) and t.get("ServiceID") == raw.get("ID")]
    # Only tasks the orchestrator still wants: older (shut down) ones are history.
    live = [t for t in own if t.get("DesiredState") in ("running", "ready", None)]
    running = sum(1 for t in live if _obj(t, "Status").get("State") == "running")
    status = _obj(raw, "ServiceStatus")
    if tasks is None and isinstance(status.get("RunningTasks"), int):
        running = int(status["RunningTasks"])
    desired = replicas_desired(spec)
    if desired is None and isinstance(status.get("DesiredTasks"), int):
        desired = int(status["DesiredTasks"])
    version = _obj(raw, "Version").get("Index")
    hosts = hostnames or {}
    shown = sorted(own, key=lambda t: (t.get("Slot") or 0, str(t.get("UpdatedAt") or "")))
    shown.reverse()
    return SwarmService(
        id=str(raw.get("ID") or ""),
        service=name,
        stack=_str(labels.get(STACK_LABEL)),
        kind=kind_of(labels),
        image=repo,
        image_tag=tag,
        image_digest=digest,
        version=_str(labels.get(LABEL_VERSION)) or tag,
        git_sha=_str(labels.get(LABEL_GIT_SHA)),
        spec_version=int(version) if isinstance(version, int) else 0,
        created_at=_str(raw.get("CreatedAt")),
        updated_at=_str(raw.get("UpdatedAt")),
        update_state=_str(update.get("State")),
        update_message=_str(update.get("Message")),
        update_started_at=_str(update.get("StartedAt")),
        update_completed_at=_str(update.get("CompletedAt")),
        mode=_mode(spec),
        replicas_desired=desired,
        replicas_running=running,
        admin_url=admin_url(name, labels),
        labels=labels,
        tasks=[normalise_task(t, hosts) for t in shown[:50]],
    )


def normalise_node(raw: Raw) -> SwarmNode:
    spec = _obj(raw, "Spec")
    desc = _obj(raw, "Description")
    status = _obj(raw, "Status")
    return SwarmNode(
        id=str(raw.get("ID") or ""),
        hostname=_str(desc.get("Hostname")),
        role=_str(spec.get("Role")),
        availability=_str(spec.get("Availability")),
        state=_str(status.get("State")),
        addr=_str(status.get("Addr")),
        leader=bool(_obj(raw, "ManagerStatus").get("Leader")),
        engine_version=_str(_obj(desc, "Engine").get("EngineVersion")),
        labels=_labels(spec.get("Labels")),
    )


def hostnames(nodes: list[Raw]) -> dict[str, str]:
    return {
        str(n.get("ID")): h
        for n in nodes
        if isinstance(n, dict) and (h := _str(_obj(n, "Description").get("Hostname")))
    }
