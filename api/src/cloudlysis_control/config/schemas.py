"""Requests and answers of the config registry API (GET/validate/plan/apply/rollback)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from cloudlysis_control.config.diff import DiffHunk
from cloudlysis_control.config.model import (
    MAX_DOCUMENT,
    ConfigName,
    DomainName,
    Format,
    Revision,
    Scope,
)
from cloudlysis_control.core.checks import CheckResult, Finding
from cloudlysis_control.core.validation import Reason

Source = Literal["nats", "file"]
HistoryOp = Literal["apply", "rollback", "restore", "baseline"]
JSON_POINTER_PATTERN = r"^(/([^~/]|~[01])*)*$"
JsonPointer = Annotated[
    str, msgspec.Meta(pattern=JSON_POINTER_PATTERN, max_length=4096, description="RFC 6901")
]
PlanHash = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$", description="The plan's hash")]


class ConfigSummary(msgspec.Struct, kw_only=True):
    domain: DomainName
    name: str
    scope: str
    present: bool
    revision: str | None
    sha256: str | None
    updated_at: str | None
    updated_by: str | None
    job_id: str | None
    reason: str | None
    source: Source
    read_only: bool


class ConfigPage(msgspec.Struct, kw_only=True):
    items: list[ConfigSummary]
    next_cursor: str | None


class ConfigDetail(ConfigSummary, kw_only=True):
    value: Any
    document: str  # the canonical value as pretty JSON (what the editor starts from)
    formats: list[Format]
    path: str | None = None  # observability: the file in the repository


class HistoryEntry(msgspec.Struct, kw_only=True):
    revision: str
    previous_revision: str | None
    sha256: str
    op: HistoryOp
    at: str
    actor: str | None
    reason: str | None
    job_id: str | None
    plan_hash: str | None
    patch: list[dict[str, Any]] | None  # RFC 6902 from the previous revision, when recorded


class HistoryPage(msgspec.Struct, kw_only=True):
    items: list[HistoryEntry]
    next_cursor: str | None


class ConfigRevisionView(msgspec.Struct, kw_only=True):
    domain: DomainName
    name: str
    scope: str
    revision: str
    sha256: str
    value: Any
    document: str
    entry: HistoryEntry | None


Document = Annotated[
    str, msgspec.Meta(max_length=MAX_DOCUMENT, description="The whole document as text")
]


class ValidateRequest(msgspec.Struct, forbid_unknown_fields=True):
    document: Document
    format: Format = "json"


class ValidationReport(msgspec.Struct, kw_only=True):
    ok: bool
    sha256: str | None
    findings: list[Finding]  # warnings only when ok


class PlanRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Plan `document` against `base_revision` (null: the config does not exist yet)."""

    base_revision: Revision | None
    document: Document
    format: Format = "json"


class RollbackPlanRequest(msgspec.Struct, forbid_unknown_fields=True):
    base_revision: Revision | None
    target_revision: Revision


class ServiceImpact(msgspec.Struct, kw_only=True):
    instance: str
    kind: str
    url: str
    action: Literal["reload"] = "reload"


class RouteChange(msgspec.Struct, kw_only=True):
    tenant: str
    kind: str
    from_shard: str | None
    to_shard: str | None
    from_source: Literal["override", "placement", "none"]
    to_source: Literal["override", "placement", "none"]


class Impact(msgspec.Struct, kw_only=True):
    summary: str
    services: list[ServiceImpact]
    tenants_changed: int
    tenants_total: int
    changes: list[RouteChange]  # the first 1000
    changes_truncated: bool


class PlanThresholds(msgspec.Struct, frozen=True, kw_only=True):
    """The flags a plan was made with (its hash covers them)."""

    max_impact_percent: int
    verify_sample_changed: int
    verify_sample_unchanged: int
    verify_timeout_s: float
    block_unhealthy_targets: bool
    changes_paused: bool


class VerifySample(msgspec.Struct, frozen=True, kw_only=True):
    """A tenant the verification resolves through every Gateway: after the change it must
    answer `shard` (and `endpoints`, when an override names some); after an automatic
    restore, `before_shard`."""

    tenant: str
    kind: str
    changed: bool
    shard: str | None
    endpoints: list[str] = []
    before_shard: str | None = None
    before_endpoints: list[str] = []


class ConfigPlan(msgspec.Struct, kw_only=True):
    """A deterministic plan: the same base revision, proposal and thresholds give the same
    patch, diff, impact and `plan_hash`. `ok`: no finding blocks the change now."""

    domain: DomainName
    name: str
    scope: str
    base_revision: str | None
    base_sha256: str | None
    proposed_sha256: str
    target_revision: str | None = None  # a rollback's target
    changed: bool
    patch: list[dict[str, Any]]
    diff: list[DiffHunk]
    impact: Impact
    verification: list[VerifySample]
    findings: list[Finding]
    # Every guardrail the plan ran (docs/guardrails.md), with its value and threshold; a
    # failed one is also a finding (an error when it blocks).
    checks: list[CheckResult] = []
    thresholds: PlanThresholds
    plan_hash: str
    ok: bool


class PatchOperation(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One RFC 6902 operation."""

    op: Literal["add", "remove", "replace", "move", "copy", "test"]
    path: JsonPointer
    value: Any = msgspec.UNSET
    from_: JsonPointer | msgspec.UnsetType = msgspec.field(name="from", default=msgspec.UNSET)


Patch = Annotated[list[PatchOperation], msgspec.Meta(max_length=50_000)]


class ConfigApplyRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Apply the plan: its base revision, its patch and its hash; `confirm` repeats the name."""

    reason: Reason
    base_revision: Revision | None
    patch: Patch
    plan_hash: PlanHash
    confirm: ConfigName


class ConfigRollbackRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reason: Reason
    base_revision: Revision | None
    target_revision: Revision
    plan_hash: PlanHash
    confirm: ConfigName


class DomainInfo(msgspec.Struct, kw_only=True):
    domain: DomainName
    description: str
    names: list[str]
    scopes: str
    formats: list[Format]
    read_only: bool
    reloads: str
    json_schema: dict[str, Any] | None


class DomainList(msgspec.Struct, kw_only=True):
    items: list[DomainInfo]


ConfigNameParam = ConfigName
ScopeParam = Scope
