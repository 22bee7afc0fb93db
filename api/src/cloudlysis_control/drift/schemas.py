"""Inventory and drift as the API shows them."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

DriftCategory = Literal["missing", "extra", "version", "config", "unhealthy"]
DriftSeverity = Literal["critical", "warning"]
CATEGORIES: tuple[DriftCategory, ...] = ("missing", "extra", "version", "config", "unhealthy")
SEVERITIES: tuple[DriftSeverity, ...] = ("critical", "warning")
RemedyKind = Literal["reapply", "adopt"]


class DriftRemedy(msgspec.Struct, kw_only=True):
    """One honest way out, never taken by itself: a job of `job_kind` with these `params`
    prefilled (the console opens the usual job flow: preflight, reason, confirmation)."""

    kind: RemedyKind  # reapply: make what runs what is desired; adopt: desire what runs
    label: str
    job_kind: str
    params: dict[str, Any]
    # The typed endpoint that submits the same job (POST /admin/v1/jobs/kinds/{kind} always does).
    endpoint: str | None = None
    danger: bool = False  # removes or replaces something: the console asks to type the name


class DriftAck(msgspec.Struct, kw_only=True):
    by: str
    reason: str
    at: str
    expires_at: str
    job_id: str | None = None


class DriftItem(msgspec.Struct, kw_only=True):
    id: str  # stable: the same difference keeps its id across observations and restarts
    category: DriftCategory
    severity: DriftSeverity
    stack: str | None = None
    service: str  # the Swarm service (stack_service), or the fleet instance for config revisions
    instance: str | None = None
    field: str  # image, replicas, env, configs, constraints, service, revision:<key>, health, ...
    desired: str | None = None
    observed: str | None = None
    detail: str
    first_seen: str
    last_seen: str
    acknowledged: DriftAck | None = None
    remedies: list[DriftRemedy] = []


class DriftSummary(msgspec.Struct, kw_only=True):
    """Counts of open items (not acknowledged) per category and severity, and of acknowledged."""

    total: int
    by_category: dict[str, int]
    by_severity: dict[str, int]
    acknowledged: int


class DriftReport(msgspec.Struct, kw_only=True):
    observed_at: str  # the one Swarm observation every item was computed from
    source: str  # engine | file
    stale: bool = False  # the observation may be out of date (engine events down)
    desired_source: str | None = None  # where desired stacks come from (None: not configured)
    stacks: list[str] = []  # the desired stacks
    desired_errors: list[str] = []  # stack files that could not be read (their stacks are left out)
    summary: DriftSummary
    items: list[DriftItem]


class InventoryTask(msgspec.Struct, kw_only=True):
    service: str
    task_id: str
    slot: int | None = None
    state: str
    desired_state: str | None = None


class InventoryNode(msgspec.Struct, kw_only=True):
    id: str
    hostname: str | None = None
    role: str | None = None
    availability: str | None = None
    status: str | None = None
    leader: bool = False
    addr: str | None = None
    engine_version: str | None = None
    labels: dict[str, str] = {}
    cpus: float | None = None  # from NanoCPUs
    memory_bytes: int | None = None
    tasks_running: int = 0
    services: list[str] = []  # services with a running task on this node
    tasks: list[InventoryTask] = []


class Inventory(msgspec.Struct, kw_only=True):
    observed_at: str
    source: str
    stale: bool = False
    nodes: list[InventoryNode]
    services_total: int
    tasks_running: int
