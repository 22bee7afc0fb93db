"""A config plan: patch, line diff, impact, guardrails, verification sample and a hash over
the base revision, the proposal's sha256 and the thresholds. Pure: the same inputs give the
same plan, byte for byte (tests/unit/test_config_plan.py holds it to that)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cloudlysis_control.config.diff import hunks, json_patch
from cloudlysis_control.config.documents import Flags
from cloudlysis_control.config.impact import (
    MAX_CHANGES,
    Change,
    Instance,
    activation_change,
    affected,
    no_change,
    placement_change,
    routing_change,
    verification,
)
from cloudlysis_control.config.limits import limits_of
from cloudlysis_control.config.model import ConfigId, canonical, pretty
from cloudlysis_control.config.schemas import ConfigPlan, Impact, PlanThresholds
from cloudlysis_control.core.checks import CheckResult, Finding
from cloudlysis_control.guardrails import checks
from cloudlysis_control.guardrails.limits import Limits
from cloudlysis_control.placement.schemas import PlacementKind, PlacementMap, RoutingConfig

TARGET_UNHEALTHY = "config.guardrail.target_unhealthy"


def thresholds(flags: Flags) -> PlanThresholds:
    return plan_thresholds(limits_of(flags))


def plan_thresholds(limits: Limits) -> PlanThresholds:
    return PlanThresholds(
        max_impact_percent=limits.max_impact_percent,
        verify_sample_changed=limits.verify_sample_changed,
        verify_sample_unchanged=limits.verify_sample_unchanged,
        verify_timeout_s=limits.verify_timeout_s,
        block_unhealthy_targets=limits.block_unhealthy_targets,
        changes_paused=limits.config_changes_paused,
    )


def plan_hash(
    cid: ConfigId, base_revision: str | None, proposed_sha256: str, limits: PlanThresholds
) -> str:
    """SHA-256 over the canonical JSON of what the plan depends on."""
    return hashlib.sha256(
        canonical(
            {
                "v": 1,
                "config": str(cid),
                "base_revision": base_revision,
                "proposed_sha256": proposed_sha256,
                "thresholds": limits,
            }
        )
    ).hexdigest()


@dataclass(frozen=True)
class PlanInputs:
    """Everything a plan reads; the service gathers it, the planner only computes."""

    cid: ConfigId
    base_revision: str | None
    base_sha256: str | None
    base_value: Any | None  # typed (RoutingConfig, PlacementMap, ...) or None when absent
    base_data: Any | None  # plain JSON data of the base
    proposed_value: Any
    proposed_data: Any
    proposed_sha256: str
    flags: Flags
    placement: Mapping[PlacementKind, PlacementMap | None]
    routing: RoutingConfig | None
    tenants: Sequence[str]
    fleet: Sequence[Instance]
    healthy: Callable[[str], bool | None]  # URL → healthy (None: unknown)
    findings: Sequence[Finding] = ()  # the proposal's validation warnings
    target_revision: str | None = None


def _change(i: PlanInputs) -> Change:
    if i.cid.domain == "routing":
        return routing_change(i.base_value, i.proposed_value, i.placement, i.tenants)
    if i.cid.domain == "placement":
        kind: PlacementKind = i.cid.scope  # type: ignore[assignment]
        return placement_change(kind, i.base_value, i.proposed_value, i.routing, i.tenants)
    if i.cid.domain == "runner.activation":
        return activation_change(i.cid, len(i.tenants))
    return no_change("the control plane reads the new flags on its next plan")


def _endpoints_of(i: PlanInputs, kind: str, shard: str | None) -> list[str]:
    doc = i.proposed_value if i.cid.domain == "placement" else i.placement.get(kind)  # type: ignore[call-overload]
    if not isinstance(doc, PlacementMap) or shard is None or shard not in doc.shards:
        return []
    return list(doc.shards[shard].endpoints)


def guardrails(i: PlanInputs, change: Change, limits: Limits) -> list[CheckResult]:
    """The config guardrails of this change (docs/guardrails.md), every one, passed or not."""
    out = [
        checks.changes_enabled(limits.config_changes_paused, i.cid.domain),
        checks.impact_radius(change.tenants_changed, change.tenants_total, limits),
    ]
    targets = sorted({(c.kind, c.to_shard) for c in change.changes if c.to_shard is not None})
    for kind, shard in targets:
        endpoints = _endpoints_of(i, kind, shard)
        bad = [u for u in endpoints if i.healthy(u) is not True]
        if bad:
            out.append(checks.targets_healthy(kind, shard, bad, len(endpoints)))
    return out


def blocks(check: CheckResult, limits: PlanThresholds) -> bool:
    """A failed guardrail blocks the change, except an unhealthy target when the flags say
    `block_unhealthy_targets: false` (the plan then only warns)."""
    if check.ok:
        return False
    return check.check != TARGET_UNHEALTHY or limits.block_unhealthy_targets


def _findings(results: list[CheckResult], limits: PlanThresholds) -> list[Finding]:
    return [
        Finding(
            code=c.check,
            pointer="",
            message=c.detail,
            severity="error" if blocks(c, limits) else "warning",
        )
        for c in results
        if not c.ok
    ]


def make_plan(i: PlanInputs) -> ConfigPlan:
    lim = limits_of(i.flags)
    limits = plan_thresholds(lim)
    digest = plan_hash(i.cid, i.base_revision, i.proposed_sha256, limits)
    base_text = pretty(i.base_data) if i.base_data is not None else ""
    if i.base_data is None:  # the config does not exist yet: the patch creates it whole
        patch: list[dict[str, Any]] = [{"op": "add", "path": "", "value": i.proposed_data}]
    else:
        patch = json_patch(i.base_data, i.proposed_data)
    change = _change(i)
    results = guardrails(i, change, lim)
    findings = list(i.findings) + _findings(results, limits)
    changed = i.base_sha256 != i.proposed_sha256
    return ConfigPlan(
        domain=i.cid.domain,
        name=i.cid.name,
        scope=i.cid.scope,
        base_revision=i.base_revision,
        base_sha256=i.base_sha256,
        proposed_sha256=i.proposed_sha256,
        target_revision=i.target_revision,
        changed=changed,
        patch=patch if changed else [],
        diff=hunks(base_text, pretty(i.proposed_data)) if changed else [],
        impact=Impact(
            summary=change.summary if changed else "no change",
            services=affected(i.cid, i.fleet) if changed else [],
            tenants_changed=change.tenants_changed if changed else 0,
            tenants_total=change.tenants_total,
            changes=change.changes[:MAX_CHANGES] if changed else [],
            changes_truncated=changed and len(change.changes) > MAX_CHANGES,
        ),
        verification=verification(
            change, digest, limits.verify_sample_changed, limits.verify_sample_unchanged
        )
        if changed
        else [],
        findings=findings,
        checks=results,
        thresholds=limits,
        plan_hash=digest,
        ok=changed and not any(f.severity == "error" for f in findings),
    )


def tenants_of(
    placement: Mapping[PlacementKind, PlacementMap | None], extra: Iterable[str] = ()
) -> list[str]:
    known: set[str] = set(extra)
    for doc in placement.values():
        if doc is not None:
            known.update(doc.tenants)
    return sorted(known)
