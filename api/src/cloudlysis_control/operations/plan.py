"""Migration plans: deterministic steps and a hash over everything the plan depends on."""

from __future__ import annotations

import hashlib

import msgspec

from cloudlysis_control.operations.preflight import Preflight
from cloudlysis_control.operations.schemas import MigrationPlan, PlanStep, Thresholds
from cloudlysis_control.placement.schemas import PlacementKind
from cloudlysis_control.placement.service import PlacementService

MIGRATE_STEPS: tuple[tuple[str, str], ...] = (
    ("preflight", "Check the invariants again: revision, lock, target healthy and ready, load"),
    ("drain_source", "Drain the tenant on every source instance; wait for inflight to reach 0"),
    ("update_placement", "Move the tenant to the target shard (compare-and-set on the revision)"),
    ("reload_routing", "Tell the Gateway to reload routing from the placement bucket"),
    ("verify_routing", "Ask the Gateway which shard the tenant resolves to; expect the target"),
    ("resume_target", "Resume the tenant on every target instance"),
)
COMPENSATE_STEPS: tuple[tuple[str, str], ...] = (
    ("compensate:restore_placement", "Put the tenant back on the source shard if it was moved"),
    ("compensate:reload_routing", "Reload the Gateway's routing so it follows the restore"),
    ("compensate:resume_source", "Resume the tenant on every source instance"),
)


def plan_hash(
    tenant_id: str,
    kind: PlacementKind,
    placement_revision: str | None,
    source_shard: str | None,
    target_shard: str,
    thresholds: Thresholds,
) -> str:
    """SHA-256 over the canonical JSON of the plan's inputs (sorted keys, no whitespace)."""
    canonical = msgspec.json.encode(
        {
            "v": 1,
            "tenant_id": tenant_id,
            "kind": kind,
            "placement_revision": placement_revision,
            "source_shard": source_shard,
            "target_shard": target_shard,
            "thresholds": thresholds,
        },
        order="sorted",
    )
    return hashlib.sha256(canonical).hexdigest()


def steps(pairs: tuple[tuple[str, str], ...]) -> list[PlanStep]:
    return [PlanStep(name=n, description=d) for n, d in pairs]


class MigrationPlanner:
    """Plans a migration without side effects: the same inputs give the same plan and hash."""

    def __init__(self, placement: PlacementService, preflight: Preflight) -> None:
        self.placement = placement
        self.preflight = preflight

    async def plan(
        self,
        tenant_id: str,
        kind: PlacementKind,
        target_shard: str,
        job_id: str | None = None,
    ) -> MigrationPlan:
        state = self.placement.state
        placed = state.index.placement(tenant_id, kind)
        revision = state.maps[kind].revision
        thresholds = await self.preflight.thresholds()
        report = await self.preflight.for_migrate(
            tenant_id, kind, placed.shard, target_shard, revision, job_id
        )
        return MigrationPlan(
            tenant_id=tenant_id,
            kind=kind,
            source_shard=placed.shard,
            source_explicit=placed.explicit,
            target_shard=target_shard,
            placement_revision=revision,
            thresholds=thresholds,
            steps=steps(MIGRATE_STEPS),
            compensation_steps=steps(COMPENSATE_STEPS),
            preflight=report,
            plan_hash=plan_hash(tenant_id, kind, revision, placed.shard, target_shard, thresholds),
            ok=report.ok,
        )
