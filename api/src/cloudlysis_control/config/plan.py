"""A config plan: patch, line diff, impact, guardrails, verification sample and a hash over
the base revision, the proposal's sha256 and the thresholds. Pure: the same inputs give the
same plan, byte for byte (tests/unit/test_config_plan.py holds it to that)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cloudlysis_control.config.diff import hunks, json_patch
from cloudlysis_control.config.documents import Flags, duration_s
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
from cloudlysis_control.config.model import ConfigId, canonical, pretty
from cloudlysis_control.config.schemas import ConfigPlan, Impact, PlanThresholds
from cloudlysis_control.core.checks import Finding
from cloudlysis_control.placement.schemas import PlacementKind, PlacementMap, RoutingConfig


def thresholds(flags: Flags) -> PlanThresholds:
    return PlanThresholds(
        max_impact_percent=flags.max_impact_percent,
        verify_sample_changed=flags.verify_sample_changed,
        verify_sample_unchanged=flags.verify_sample_unchanged,
        verify_timeout_s=duration_s(flags.verify_timeout),
        block_unhealthy_targets=flags.block_unhealthy_targets,
        changes_paused=flags.config_changes == "paused",
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


def guardrails(i: PlanInputs, change: Change, limits: PlanThresholds) -> list[Finding]:
    out: list[Finding] = []
    if limits.changes_paused and i.cid.domain != "flags":
        out.append(
            Finding(
                code="config.guardrail.changes_paused",
                pointer="",
                message="config changes are paused (flags/control: config_changes)",
            )
        )
    total, moved = change.tenants_total, change.tenants_changed
    if total and moved * 100 > limits.max_impact_percent * total:
        out.append(
            Finding(
                code="config.guardrail.impact_radius",
                pointer="",
                message=f"{moved} of {total} tenants change route "
                f"({moved * 100 / total:.1f} %), over max_impact_percent "
                f"{limits.max_impact_percent} %",
            )
        )
    targets = sorted({(c.kind, c.to_shard) for c in change.changes if c.to_shard is not None})
    for kind, shard in targets:
        bad = [u for u in _endpoints_of(i, kind, shard) if i.healthy(u) is not True]
        if bad:
            out.append(
                Finding(
                    code="config.guardrail.target_unhealthy",
                    pointer="",
                    message=f"target shard {shard} ({kind}) has endpoints that are not healthy "
                    f"now: {', '.join(sorted(bad))[:300]}",
                    severity="error" if limits.block_unhealthy_targets else "warning",
                )
            )
    return out


def make_plan(i: PlanInputs) -> ConfigPlan:
    limits = thresholds(i.flags)
    digest = plan_hash(i.cid, i.base_revision, i.proposed_sha256, limits)
    base_text = pretty(i.base_data) if i.base_data is not None else ""
    if i.base_data is None:  # the config does not exist yet: the patch creates it whole
        patch: list[dict[str, Any]] = [{"op": "add", "path": "", "value": i.proposed_data}]
    else:
        patch = json_patch(i.base_data, i.proposed_data)
    change = _change(i)
    findings = list(i.findings) + guardrails(i, change, limits)
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
