from __future__ import annotations

from typing import Literal

import msgspec

from cloudlysis_control.audit.schemas import AuditEvent
from cloudlysis_control.fleet.schemas import HealthState, ReadyState
from cloudlysis_control.jobs.schemas import Job
from cloudlysis_control.placement.schemas import PlacementKind


class KindPlacement(msgspec.Struct):
    shard: str | None
    explicit: bool  # False: the tenant is served by the map's default shard


# Control's view of the tenant's last operation: `serving` (none, or the last one ended with the
# tenant serving), an operation in progress, `drained`, or `attention` (the last one failed,
# was cancelled or timed out; see its job).
TenantOpState = Literal["serving", "draining", "drained", "resuming", "migrating", "attention"]
# The worst health of the instances serving the tenant's shards (fleet snapshot): all ok and
# ready, some not, none, or no instance known.
TenantHealth = Literal["ok", "degraded", "down", "unknown"]


class TenantSummary(msgspec.Struct, kw_only=True):
    tenant_id: str
    placement: dict[PlacementKind, KindPlacement]
    state: TenantOpState = "serving"
    state_job_id: str | None = None  # the job that set `state`
    health: TenantHealth = "unknown"
    lag: int | None = None  # projection lag (events) when the metrics store has a series


class TenantPage(msgspec.Struct, kw_only=True):
    items: list[TenantSummary]
    next_cursor: str | None
    total: int  # tenants matching the search
    revisions: dict[PlacementKind, str | None]
    stale: bool
    # Age of the lag figures in seconds; None when no metrics store is configured or it has
    # not answered yet. Lag exists only for the tenants the bounded tenant series carry.
    lag_age_s: float | None = None


class EndpointStatus(msgspec.Struct, kw_only=True):
    """One shard endpoint serving the tenant: fleet health plus the tenant's own status there."""

    url: str
    instance: str | None = None
    health: HealthState | Literal["unknown"] = "unknown"
    ready: ReadyState | Literal["unknown"] = "unknown"
    version: str | None = None
    inflight: int | None = None
    lag: int | None = None
    lag_seconds: float | None = None
    draining: bool | None = None
    drained: bool | None = None
    accepting: bool | None = None
    error: str | None = None


class KindDetail(msgspec.Struct, kw_only=True):
    kind: PlacementKind
    shard: str | None
    explicit: bool
    revision: str | None
    endpoints: list[EndpointStatus]


class TenantDetail(msgspec.Struct, kw_only=True):
    tenant_id: str
    known: bool  # named in at least one placement map
    stale: bool
    fleet_snapshot_age_s: float | None
    placement: list[KindDetail]
    recent_jobs: list[Job]
    recent_audit_events: list[AuditEvent]
    status_source: Literal["service-admin"] = "service-admin"
