"""The Swarm as the API shows it: one normalised identity per service, whatever the engine sent."""

from __future__ import annotations

import msgspec


class SwarmTask(msgspec.Struct, kw_only=True):
    id: str
    slot: int | None = None
    node_id: str | None = None
    node: str | None = None  # the node's hostname when known
    state: str  # new, pending, assigned, preparing, starting, running, complete, failed, ...
    desired_state: str | None = None
    message: str | None = None
    error: str | None = None
    image: str | None = None
    container_id: str | None = None
    updated_at: str | None = None


class SwarmService(msgspec.Struct, kw_only=True):
    id: str
    service: str  # the Swarm service name, e.g. "platform_gateway"
    stack: str | None = None
    kind: str | None = None  # label cloudlysis.kind (gateway, aggregate, ...)
    image: str  # repository without tag or digest
    image_tag: str | None = None
    image_digest: str | None = None
    version: str | None = None  # label cloudlysis.version
    git_sha: str | None = None  # label cloudlysis.git_sha
    spec_version: int
    created_at: str | None = None
    updated_at: str | None = None
    update_state: str | None = None  # updating, paused, completed, rollback_started, ...
    update_message: str | None = None
    update_started_at: str | None = None
    update_completed_at: str | None = None
    mode: str  # replicated | global | replicated-job | global-job
    replicas_desired: int | None = None
    replicas_running: int
    admin_url: str | None = None  # where /health and /ready answer (labels)
    labels: dict[str, str] = {}
    tasks: list[SwarmTask] = []


class SwarmServiceList(msgspec.Struct):
    source: str  # engine | file
    fetched_at: str  # when this view was known current (now, unless `stale`)
    items: list[SwarmService]
    # true while the engine's event stream (which keeps the view current) is down, or no read
    # of the engine has succeeded lately: the answer is as old as `fetched_at`
    stale: bool = False


class SwarmNode(msgspec.Struct, kw_only=True):
    id: str
    hostname: str | None = None
    role: str | None = None
    availability: str | None = None
    state: str | None = None
    addr: str | None = None
    leader: bool = False
    engine_version: str | None = None
    labels: dict[str, str] = {}


class SwarmNodeList(msgspec.Struct):
    source: str
    fetched_at: str
    items: list[SwarmNode]
    stale: bool = False  # as in SwarmServiceList
