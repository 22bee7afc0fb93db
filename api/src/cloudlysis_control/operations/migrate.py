"""`tenant.migrate`: move a tenant's kind to another shard, as planned, and undo it on failure.

The request carries the plan's hash; the pre-create preflight plans again and refuses (409
`plan_stale`) when anything the plan covers changed, or (422 / 409 `lock_held`) when a check
fails. Every step is idempotent: the placement write first looks whether it is already applied
(the tenant already on the target) before its compare-and-set on the planned revision.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import msgspec

from cloudlysis_control.guardrails import checks
from cloudlysis_control.jobs.kinds import (
    JobKind,
    LockSpec,
    Params,
    PreflightContext,
    RetryPolicy,
    StepContext,
    StepFailed,
)
from cloudlysis_control.jobs.schemas import Job, Step
from cloudlysis_control.operations.deps import RIGHT_OPERATE, OpsDeps
from cloudlysis_control.operations.drain import _TenantOps
from cloudlysis_control.operations.plan import COMPENSATE_STEPS, MIGRATE_STEPS, MigrationPlanner
from cloudlysis_control.operations.ports import RoutingGateway
from cloudlysis_control.operations.preflight import raise_refusal
from cloudlysis_control.operations.schemas import MigrateRequestParams, Thresholds
from cloudlysis_control.placement.schemas import (
    MAP_KEYS,
    PlacementInvalid,
    PlacementKind,
    PlacementMap,
    decode_map,
)
from cloudlysis_control.ports import KeyValue, RevisionMismatch

_POLL_S = 0.1


class MigrateParams(msgspec.Struct, forbid_unknown_fields=True):
    tenant_id: str
    kind: PlacementKind
    source_shard: str | None
    source_explicit: bool
    target_shard: str
    placement_revision: str | None
    plan_hash: str
    thresholds: Thresholds
    compensate: bool = True


class TenantMigrate(_TenantOps, JobKind):
    name = "tenant.migrate"
    description = (
        "Move a tenant to another shard: preflight, drain, placement CAS, Gateway reload and "
        "verify, resume; compensates on failure or cancel"
    )
    endpoint = "POST /admin/v1/tenants/{tenant_id}/migrate"
    right = RIGHT_OPERATE
    tenant_scoped = True
    params_type = MigrateRequestParams
    retry = RetryPolicy(max_attempts=3, base_delay_s=0.2, max_delay_s=2.0)
    continue_on_failure = False

    def __init__(self, deps: OpsDeps, planner: MigrationPlanner) -> None:
        self.deps = deps
        self.planner = planner
        s = deps.settings
        self.step_timeout_s = s.step_timeout_s
        self.job_timeout_s = 3 * (s.drain_timeout_s + s.verify_timeout_s + 8 * s.step_timeout_s)

    def step_timeout_for(self, step: str) -> float:
        s = self.deps.settings
        if step == "drain_source":
            return s.step_timeout_s + s.drain_timeout_s
        if step == "verify_routing":
            return s.step_timeout_s + s.verify_timeout_s
        return s.step_timeout_s

    def locks(self, params: Params) -> list[LockSpec]:
        return [("tenant", params["tenant_id"])]

    async def preflight(self, params: Params, ctx: PreflightContext) -> Params:
        """Plan again now: the job's params are the plan, if it is still the one confirmed."""
        tenant = params["tenant_id"]
        plan = await self.planner.plan(tenant, params["kind"], params["target_shard"], ctx.job_id)
        fresh = checks.plan_hash_fresh(plan.plan_hash, params["plan_hash"])
        if not fresh.ok:
            raise checks.stale(
                "placement, source, target or thresholds changed since the plan was made: "
                "plan again and confirm the new plan",
                [fresh, *plan.preflight.checks],
            )
        raise_refusal(tenant, plan.preflight)
        job = MigrateParams(
            tenant_id=tenant,
            kind=plan.kind,
            source_shard=plan.source_shard,
            source_explicit=plan.source_explicit,
            target_shard=plan.target_shard,
            placement_revision=plan.placement_revision,
            plan_hash=plan.plan_hash,
            thresholds=plan.thresholds,
            compensate=params["compensate"],
        )
        out: Params = msgspec.to_builtins(job)
        return out

    def steps(self, params: Params) -> list[str]:
        return [name for name, _ in MIGRATE_STEPS]

    def compensation(self, job: Job, outcome: str) -> list[str]:
        steps = {s.name: s for s in job.steps}
        if not job.params.get("compensate", True) or steps["drain_source"].attempts == 0:
            return []
        if steps["update_placement"].attempts == 0:
            return ["compensate:resume_source"]
        return [name for name, _ in COMPENSATE_STEPS]

    async def run_step(self, ctx: StepContext) -> dict[str, Any]:
        p = msgspec.convert(ctx.job.params, MigrateParams)
        step = ctx.step.name
        if step == "preflight":
            self.require_loaded(p.kind)
            report = await self.deps.preflight.for_migrate(
                p.tenant_id,
                p.kind,
                p.source_shard,
                p.target_shard,
                p.placement_revision,
                job_id=ctx.job.id,
            )
            output = {"checks": msgspec.to_builtins(report.checks)}
            if not report.ok:
                failed = "; ".join(c.detail for c in report.failures())
                raise StepFailed("preflight_refused", failed, output=output)
            return output
        if step == "drain_source":
            return await self.drain(p.kind, p.source_shard, p.tenant_id)
        if step == "update_placement":
            return await self._move(p)
        if step in ("reload_routing", "compensate:reload_routing"):
            reload = await self._gateway().reload_routing()
            return {
                "config_generation": reload.config_generation,
                "revisions": reload.revisions,
            }
        if step == "verify_routing":
            return await self._verify(p)
        if step == "resume_target":
            return await self.resume(p.kind, p.target_shard, p.tenant_id)
        if step == "compensate:restore_placement":
            return await self._restore(p)
        if step == "compensate:resume_source":
            return await self.resume(p.kind, p.source_shard, p.tenant_id)
        raise StepFailed("unknown_step", f"no step {step}")

    def _gateway(self) -> RoutingGateway:
        if self.deps.gateway is None:
            raise StepFailed("gateway_not_configured", "CONTROL_GATEWAY_URL is not set")
        return self.deps.gateway

    def _kv(self) -> KeyValue:
        if self.deps.placement_kv is None:
            raise StepFailed(
                "placement_read_only",
                "placement comes from a file (CONTROL_PLACEMENT_SOURCE=file): it cannot be "
                "changed by a job",
            )
        return self.deps.placement_kv

    async def _read(self, kind: PlacementKind) -> tuple[PlacementMap, int]:
        entry = await self._kv().get(MAP_KEYS[kind])
        if entry is None or entry.value is None:
            raise StepFailed("placement_missing", f"there is no {MAP_KEYS[kind]}")
        try:
            return decode_map(entry.value, kind), entry.revision
        except PlacementInvalid as e:
            raise StepFailed("placement_invalid", f"{MAP_KEYS[kind]} is invalid: {e}") from e

    async def _write(self, kind: PlacementKind, doc: PlacementMap, revision: int) -> int:
        try:
            return await self._kv().update(MAP_KEYS[kind], msgspec.json.encode(doc), revision)
        except RevisionMismatch as e:
            raise StepFailed(
                "placement_conflict",
                f"{MAP_KEYS[kind]} changed while writing; reading it again",
                retryable=True,
            ) from e

    async def _move(self, p: MigrateParams) -> dict[str, Any]:
        doc, revision = await self._read(p.kind)
        key = MAP_KEYS[p.kind]
        if doc.tenants.get(p.tenant_id) == p.target_shard:
            # Written before a crash (or a retry after a lost answer): never write twice.
            return {"key": key, "applied": False, "already_applied": True, "revision": revision}
        if str(revision) != p.placement_revision:
            raise StepFailed(
                "plan_stale",
                f"{key} is at revision {revision}, the plan was made at {p.placement_revision}: "
                "nothing was written",
            )
        tenants = dict(doc.tenants)
        tenants[p.tenant_id] = p.target_shard
        new_revision = await self._write(
            p.kind, msgspec.structs.replace(doc, tenants=tenants), revision
        )
        return {
            "key": key,
            "applied": True,
            "already_applied": False,
            "previous_revision": revision,
            "revision": new_revision,
            "from": p.source_shard,
            "to": p.target_shard,
        }

    async def _restore(self, p: MigrateParams) -> dict[str, Any]:
        doc, revision = await self._read(p.kind)
        key = MAP_KEYS[p.kind]
        if doc.tenants.get(p.tenant_id) != p.target_shard:
            return {"key": key, "restored": False, "revision": revision, "reason": "not moved"}
        tenants = dict(doc.tenants)
        if p.source_explicit and p.source_shard is not None:
            tenants[p.tenant_id] = p.source_shard
        else:
            tenants.pop(p.tenant_id)  # it was on the default shard, as it will be again
        new_revision = await self._write(
            p.kind, msgspec.structs.replace(doc, tenants=tenants), revision
        )
        return {
            "key": key,
            "restored": True,
            "previous_revision": revision,
            "revision": new_revision,
        }

    async def _verify(self, p: MigrateParams) -> dict[str, Any]:
        gateway = self._gateway()
        started = time.monotonic()
        while True:
            answer = await gateway.resolve(p.tenant_id, p.kind)
            waited = round(time.monotonic() - started, 3)
            output = {
                "resolved_shard": answer.shard,
                "expected_shard": p.target_shard,
                "gateway_revision": answer.revision,
                "config_generation": answer.config_generation,
                "waited_s": waited,
            }
            if answer.shard == p.target_shard:
                return output
            if waited >= self.deps.settings.verify_timeout_s:
                raise StepFailed(
                    "routing_not_updated",
                    f"the Gateway still resolves {p.tenant_id} ({p.kind}) to {answer.shard}, "
                    f"expected {p.target_shard}",
                    output=output,
                )
            await asyncio.sleep(_POLL_S)

    def summarize(self, job: Job) -> str:
        p = job.params
        move = f"{p['tenant_id']} ({p['kind']}) {p['source_shard']} → {p['target_shard']}"
        if job.status == "succeeded":
            return f"moved {move}"
        if job.compensation is not None:
            undone = all(
                s.status == "succeeded" for s in job.steps if s.name.startswith("compensate:")
            )
            return f"{job.status}: {move}; " + (
                "compensated, nothing changed" if undone else "compensation incomplete"
            )
        return f"{job.status}: {move}"

    def remediation(self, job: Job) -> str | None:
        if job.status == "succeeded":
            return None
        p = job.params
        tenant, kind, source = p["tenant_id"], p["kind"], p["source_shard"]
        steps = {s.name: s for s in job.steps}
        cause = job.error.message if job.error else job.status
        if steps["drain_source"].attempts == 0:
            return f"Nothing was changed. Cause: {cause}. Fix it, then plan and migrate again."
        if job.compensation is None:
            done = [s.name for s in job.steps if s.status == "succeeded"]
            return (
                f"Compensation was switched off, so the job stopped where it failed ({cause}). "
                f"Done: {', '.join(done) or 'nothing'}. To undo: put {tenant} back on {source} "
                f"in {MAP_KEYS[kind]} if it was moved, run config.reload on the gateway, then "
                f"resume {tenant} (POST /admin/v1/tenants/{tenant}/resume). To finish instead: "
                "plan the migration again."
            )
        left = _failed(steps, "compensate:")
        if not left:
            return (
                f"Nothing changed in the end: {tenant} is back on {source} and resumed there. "
                f"Cause: {cause}. Fix it, then plan and migrate again."
            )
        todo = {
            "compensate:restore_placement": f"put {tenant} back on {source} in "
            f"{MAP_KEYS[kind]} (tenant placement)",
            "compensate:reload_routing": "reload the Gateway (config.reload on the gateway)",
            "compensate:resume_source": f"resume {tenant} on {source} "
            f"(POST /admin/v1/tenants/{tenant}/resume)",
        }
        return (
            f"The migration failed ({cause}) and its undo did not complete. By hand: "
            + "; then ".join(todo[s] for s in left)
            + "."
        )


def _failed(steps: dict[str, Step], prefix: str) -> list[str]:
    return [n for n, s in steps.items() if n.startswith(prefix) and s.status != "succeeded"]
