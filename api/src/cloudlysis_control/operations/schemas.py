"""Bodies and answers of the tenant operations (drain, resume, migrate), plans and reloads."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from cloudlysis_control.core.checks import CheckResult
from cloudlysis_control.core.validation import InstanceName, Reason, ShardName, TenantId
from cloudlysis_control.placement.schemas import PlacementKind


class Thresholds(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Limits the preflight compares the tenant's measured load with (CONTROL_OPS_MAX_*)."""

    max_lag: int
    max_inflight: int


class PreflightReport(msgspec.Struct, kw_only=True):
    ok: bool
    checks: list[CheckResult]

    def failures(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.ok]


class PlanStep(msgspec.Struct, kw_only=True):
    name: str
    description: str


PlanHash = Annotated[
    str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$", description="The plan's `plan_hash`")
]


class MigrationPlanRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Body of POST /admin/v1/plans/tenants/{tenant_id}/migrate."""

    kind: PlacementKind
    target_shard: ShardName


class MigrationPlan(msgspec.Struct, kw_only=True):
    """A deterministic plan: the same inputs always give the same steps and `plan_hash`.

    `plan_hash` covers tenant, kind, placement revision, source, target and thresholds; pass it
    to the migrate request, which is refused with 409 `plan_stale` when any of them changed.
    """

    tenant_id: str
    kind: PlacementKind
    source_shard: str | None
    source_explicit: bool
    target_shard: str
    placement_revision: str | None
    thresholds: Thresholds
    steps: list[PlanStep]
    compensation_steps: list[PlanStep]
    preflight: PreflightReport
    plan_hash: str
    ok: bool  # preflight passed: a migrate with this plan_hash would be accepted now


class MigrationChoice(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The plan a migration confirms: its kind, target and hash."""

    kind: PlacementKind
    target_shard: ShardName
    plan_hash: PlanHash
    compensate: bool = True  # False: on failure stop where it is and leave the undo to a human


class MigrateRequest(MigrationChoice, kw_only=True):
    """Body of POST /admin/v1/tenants/{tenant_id}/migrate."""

    reason: Reason


class TenantOpRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Body of POST /admin/v1/tenants/{tenant_id}/drain and /resume."""

    reason: Reason
    kinds: Annotated[list[PlacementKind], msgspec.Meta(min_length=1)] | None = None  # all


class ReloadRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Body of POST /admin/v1/config/reload."""

    reason: Reason
    # Fleet instance names (configured or discovered), e.g. ["gateway"].
    services: Annotated[list[InstanceName], msgspec.Meta(min_length=1)]


OpName = Literal["drain", "resume"]


class MigrateRequestParams(MigrationChoice, kw_only=True):
    """The `tenant.migrate` job's request params (the tenant comes from the path or header)."""

    tenant_id: TenantId
