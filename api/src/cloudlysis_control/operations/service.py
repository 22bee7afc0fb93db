"""Plans and the requests that start tenant operations and reloads.

A request is checked against the live world before its job exists: the plan hash (migrate) and
the preflight. A refusal is audited with outcome `refused` and changes nothing. A repeated request
(same principal, kind and Idempotency-Key) is answered with its job without those checks: the
world has legitimately moved on once the first request's job ran.
"""

from __future__ import annotations

from typing import Any

import msgspec

from cloudlysis_control.audit.service import AuditService
from cloudlysis_control.core.errors import (
    ControlError,
    IdempotencyKeyReused,
    LockHeld,
    PlanStale,
    PreflightRefused,
    ValidationFailed,
)
from cloudlysis_control.jobs.schemas import Job, JobCreate
from cloudlysis_control.jobs.service import JobService
from cloudlysis_control.operations.kinds import OpsDeps
from cloudlysis_control.operations.plan import COMPENSATE_STEPS, MIGRATE_STEPS, plan_hash, steps
from cloudlysis_control.operations.schemas import (
    MigrateRequest,
    MigrationPlan,
    MigrationPlanRequest,
    PreflightReport,
    ReloadRequest,
    TenantOpRequest,
    Thresholds,
)
from cloudlysis_control.placement.schemas import KINDS, SHARD_RE, TENANT_ID_RE, PlacementKind


def _check_tenant(tenant_id: str) -> None:
    if not TENANT_ID_RE.match(tenant_id):
        raise ValidationFailed("tenant_id must match [a-z0-9][a-z0-9-]{0,62}")


def _check_reason(reason: str) -> None:
    if not reason.strip():
        raise ValidationFailed("reason must not be empty: say why you run this job")


class OperationsService:
    def __init__(self, deps: OpsDeps, jobs: JobService, audit: AuditService) -> None:
        self.deps = deps
        self.jobs = jobs
        self.audit = audit
        s = deps.settings
        self.thresholds = Thresholds(max_lag=s.max_lag, max_inflight=s.max_inflight)

    # -- plans --------------------------------------------------------------------------------

    async def plan_migration(self, tenant_id: str, req: MigrationPlanRequest) -> MigrationPlan:
        _check_tenant(tenant_id)
        if not SHARD_RE.match(req.target_shard):
            raise ValidationFailed("target_shard is not a valid shard name")
        state = self.deps.placement.state
        placed = state.index.placement(tenant_id, req.kind)
        revision = state.maps[req.kind].revision
        report = await self.deps.preflight.for_migrate(
            tenant_id, req.kind, placed.shard, req.target_shard, revision
        )
        return MigrationPlan(
            tenant_id=tenant_id,
            kind=req.kind,
            source_shard=placed.shard,
            source_explicit=placed.explicit,
            target_shard=req.target_shard,
            placement_revision=revision,
            thresholds=self.thresholds,
            steps=steps(MIGRATE_STEPS),
            compensation_steps=steps(COMPENSATE_STEPS),
            preflight=report,
            plan_hash=plan_hash(
                tenant_id, req.kind, revision, placed.shard, req.target_shard, self.thresholds
            ),
            ok=report.ok,
        )

    # -- jobs ---------------------------------------------------------------------------------

    async def migrate(
        self, tenant_id: str, body: MigrateRequest, principal_id: str, idempotency_key: str | None
    ) -> Job:
        _check_tenant(tenant_id)
        _check_reason(body.reason)
        wanted = {
            "kind": body.kind,
            "target_shard": body.target_shard,
            "plan_hash": body.plan_hash,
            "compensate": body.compensate,
        }
        action = "tenant.migrate"
        args = (action, tenant_id, body.reason, wanted, principal_id, idempotency_key)
        replay = await self._replay(*args)
        if replay is not None:
            return replay
        plan = await self.plan_migration(
            tenant_id, MigrationPlanRequest(kind=body.kind, target_shard=body.target_shard)
        )
        refusal = _refusal(tenant_id, plan.preflight)
        if plan.plan_hash != body.plan_hash:
            refusal = PlanStale(
                "placement, source, target or thresholds changed since the plan was made: "
                "plan again and confirm the new plan",
                failures=[msgspec.to_builtins(c) for c in plan.preflight.failures()],
            )
        if refusal is not None:
            return await self._refuse(refusal, plan.preflight, *args)
        params = {
            "tenant_id": tenant_id,
            "kind": plan.kind,
            "source_shard": plan.source_shard,
            "source_explicit": plan.source_explicit,
            "target_shard": plan.target_shard,
            "placement_revision": plan.placement_revision,
            "plan_hash": plan.plan_hash,
            "thresholds": msgspec.to_builtins(plan.thresholds),
            "compensate": body.compensate,
        }
        return await self._create(
            action, tenant_id, body.reason, params, principal_id, idempotency_key
        )

    async def drain_or_resume(
        self,
        action: str,
        tenant_id: str,
        body: TenantOpRequest,
        principal_id: str,
        idempotency_key: str | None,
    ) -> Job:
        _check_tenant(tenant_id)
        _check_reason(body.reason)
        kind_name = f"tenant.{action}"
        kinds: list[PlacementKind] = [k for k in KINDS if body.kinds is None or k in body.kinds]
        params: dict[str, Any] = {"tenant_id": tenant_id, "kinds": kinds}
        args = (kind_name, tenant_id, body.reason, params, principal_id, idempotency_key)
        replay = await self._replay(*args)
        if replay is not None:
            return replay
        if action == "drain":
            report = await self.deps.preflight.for_drain(tenant_id, kinds)
            refusal = _refusal(tenant_id, report)
            if refusal is not None:
                return await self._refuse(refusal, report, *args)
        return await self._create(
            kind_name, tenant_id, body.reason, params, principal_id, idempotency_key
        )

    async def reload(
        self, body: ReloadRequest, principal_id: str, idempotency_key: str | None
    ) -> Job:
        return await self.jobs.create(
            kind_name="config.reload",
            body=JobCreate(reason=body.reason, params={"services": body.services}),
            principal_id=principal_id,
            idempotency_key=idempotency_key,
        )

    # -- helpers ------------------------------------------------------------------------------

    async def _replay(
        self,
        kind_name: str,
        tenant_id: str,
        reason: str,
        wanted: dict[str, Any],
        principal_id: str,
        idempotency_key: str | None,
    ) -> Job | None:
        record = await self.jobs.existing(principal_id, kind_name, idempotency_key)
        if record is None:
            return None
        job = record.job
        same = (
            job.tenant_id == tenant_id
            and job.reason == reason.strip()
            and all(job.params.get(k) == v for k, v in wanted.items())
        )
        if not same:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was used for a different request", job_id=record.job_id
            )
        return await self._create(
            kind_name, tenant_id, reason, job.params, principal_id, idempotency_key
        )

    async def _create(
        self,
        kind_name: str,
        tenant_id: str,
        reason: str,
        params: dict[str, Any],
        principal_id: str,
        idempotency_key: str | None,
    ) -> Job:
        return await self.jobs.create(
            kind_name=kind_name,
            body=JobCreate(reason=reason, params=params),
            principal_id=principal_id,
            idempotency_key=idempotency_key,
            tenant_id=tenant_id,
        )

    async def _refuse(
        self,
        refusal: ControlError,
        report: PreflightReport,
        action: str,
        tenant_id: str,
        reason: str,
        wanted: dict[str, Any],
        principal_id: str,
        idempotency_key: str | None,
    ) -> Job:
        """Audit and raise the refusal, unless a request with the same key made the job meanwhile
        (50 identical requests at once: the slow ones must get the job, not a refusal caused by
        the job's own lock or its own placement write)."""
        replay = await self._replay(
            action, tenant_id, reason, wanted, principal_id, idempotency_key
        )
        if replay is not None:
            return replay
        await self.audit.record(
            actor=principal_id,
            action=action,
            target=f"tenant:{tenant_id}",
            outcome="refused",
            tenant_id=tenant_id,
            reason=reason.strip() or None,
            detail={
                "code": refusal.code,
                "failures": [msgspec.to_builtins(c) for c in report.failures()],
            },
        )
        raise refusal


def _refusal(tenant_id: str, report: PreflightReport) -> ControlError | None:
    """409 lock_held when another job holds the tenant lock, else 422 listing every failure."""
    if report.ok:
        return None
    failures = [msgspec.to_builtins(c) for c in report.failures()]
    holder = next((c.measured for c in report.failures() if c.name == "no_conflicting_lock"), None)
    if holder is not None:
        return LockHeld(
            f"job {holder} holds the tenant lock on {tenant_id}",
            job_id=str(holder),
            failures=failures,
        )
    return PreflightRefused("; ".join(c.message for c in report.failures()), failures=failures)
