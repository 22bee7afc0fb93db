"""Deployments: the history of service updates and rollbacks, and what each one changed."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from cloudlysis_control.core.checks import CheckResult
from cloudlysis_control.core.validation import Reason, ServiceName

DeploymentEventType = Literal[
    "started", "completed", "paused", "rollback_started", "rollback_completed", "rollback_paused"
]
DeploymentStatus = Literal[
    "in_progress", "completed", "paused", "rolling_back", "rolled_back", "rollback_paused"
]
DeploymentKind = Literal["update", "rollback"]
TERMINAL_STATUSES = frozenset({"completed", "rolled_back", "paused", "rollback_paused"})


class DeploymentRecord(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One event of the CONTROL_DEPLOYMENTS stream (internal; specs are never sent to clients
    as they are: env values may be secrets)."""

    deployment_id: str
    type: DeploymentEventType
    at: str
    service: str
    service_id: str
    stack: str | None = None
    kind: DeploymentKind = "update"
    spec_version: int | None = None
    previous_spec_version: int | None = None
    message: str | None = None
    job_id: str | None = None
    source: Literal["event", "reconcile"] = "event"
    status_key: str | None = None  # id derived from the UpdateStatus that produced this record
    spec: dict[str, Any] | None = None
    previous_spec: dict[str, Any] | None = None


class TimelineEntry(msgspec.Struct, kw_only=True):
    type: DeploymentEventType
    at: str
    spec_version: int | None = None
    message: str | None = None
    source: Literal["event", "reconcile"] = "event"


class Deployment(msgspec.Struct, kw_only=True):
    id: str
    service: str
    service_id: str
    stack: str | None = None
    kind: DeploymentKind
    status: DeploymentStatus
    started_at: str
    finished_at: str | None = None
    duration_s: float | None = None
    from_spec_version: int | None = None
    to_spec_version: int | None = None
    from_image: str | None = None
    to_image: str | None = None
    version: str | None = None  # image tag (or cloudlysis.version label) deployed
    git_sha: str | None = None
    job_id: str | None = None
    message: str | None = None
    timeline: list[TimelineEntry] = []


ChangeKind = Literal["added", "removed", "changed"]


class SpecChange(msgspec.Struct, kw_only=True):
    """One difference between the previous and the deployed spec. `path` is e.g. `image`,
    `env.LOG_LEVEL`, `labels.cloudlysis.version`, `replicas`, `resources.limits.memory_bytes`,
    `update_config.order`. Env values are never shown: `before`/`after` are `<redacted>`."""

    path: str
    change: ChangeKind
    before: str | None = None
    after: str | None = None


class DeploymentDetail(msgspec.Struct, kw_only=True):
    deployment: Deployment
    changes: list[SpecChange]
    changes_available: bool  # False when the previous spec was not recorded


class DeploymentPage(msgspec.Struct):
    items: list[Deployment]
    next_cursor: str | None


# -- deploy and rollback requests (one definition for the endpoints, the job params and OpenAPI) --

ImageRef = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[a-z0-9][a-z0-9._/:-]{0,254}(@sha256:[a-f0-9]{64})?$",
        description="A full image reference (repository[:tag][@sha256:digest])",
    ),
]
ImageTag = Annotated[
    str, msgspec.Meta(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", description="An image tag")
]
GitSha = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{7,64}$")]
HealthTimeout = Annotated[
    float, msgspec.Meta(ge=1, le=3600, description="Seconds to wait for health after the update")
]
SpecVersion = Annotated[int, msgspec.Meta(ge=0)]


class DeployTarget(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What to deploy: `image` (a full reference) or `tag` (same repository), exactly one."""

    image: ImageRef | None = None
    tag: ImageTag | None = None
    git_sha: GitSha | None = None


class RollbackTarget(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Swarm's previous spec, or `to_spec_version` (recorded by a deployment)."""

    to_spec_version: SpecVersion | None = None


class DeployChange(DeployTarget, forbid_unknown_fields=True, kw_only=True):
    """`image` (a full reference) or `tag` (same repository); `confirm` repeats the service."""

    confirm: ServiceName
    health_timeout_s: HealthTimeout | None = None


class RollbackChange(RollbackTarget, forbid_unknown_fields=True, kw_only=True):
    """Swarm's previous spec, or `to_spec_version` (recorded by a deployment)."""

    confirm: ServiceName
    health_timeout_s: HealthTimeout | None = None


class DeployRequest(DeployChange, kw_only=True):
    """Deploy a new image to a service: give `image` (full reference) or `tag` (same
    repository). `confirm` must repeat the service name."""

    reason: Reason


class RollbackRequest(RollbackChange, kw_only=True):
    """Roll back to Swarm's previous spec, or to `to_spec_version` (a spec version recorded by
    a deployment, see GET /admin/v1/deployments). `confirm` must repeat the service name."""

    reason: Reason


class DeployParams(DeployChange, kw_only=True):
    service: ServiceName


class RollbackParams(RollbackChange, kw_only=True):
    service: ServiceName


class ServicePlan(msgspec.Struct, kw_only=True):
    """What a deploy or rollback would change, before it is submitted: the same diff the
    history shows afterwards, and the preflight's verdict (`failures` empty when it would run)."""

    service: str
    spec_version: int  # the service's spec version the plan was computed on
    from_image: str
    to_image: str | None  # None for a rollback to Swarm's previous spec it does not hold
    changes: list[SpecChange]
    changes_available: bool  # False when the target spec is unknown (nothing to compare)
    failures: list[CheckResult]
