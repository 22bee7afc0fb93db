"""Tenant drain / resume / migrate, migration plans and config reload over HTTP.

Every mutation is a job created by JobService.create (the same checks as the generic
POST /admin/v1/jobs/kinds/{kind}): the answer is 202 with the job (poll GET /admin/v1/jobs/{id}).
Each needs an Idempotency-Key and a reason; a repeated request returns the same job.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED

from cloudlysis_control.auth.principal import Principal
from cloudlysis_control.core.openapi import IdempotencyKey, TenantIdPath, problems
from cloudlysis_control.core.scope import SCOPE_TENANT_PATH
from cloudlysis_control.jobs.schemas import Job
from cloudlysis_control.jobs.service import JobService
from cloudlysis_control.operations.deps import RIGHT_CONFIG, RIGHT_OPERATE
from cloudlysis_control.operations.plan import MigrationPlanner
from cloudlysis_control.operations.schemas import (
    MigrateRequest,
    MigrationPlan,
    MigrationPlanRequest,
    ReloadRequest,
    TenantOpRequest,
)

AnyRequest = Request[Principal, Any, Any]
_JOB_DOC = (
    " Answers 202 with the job; requires an Idempotency-Key (the same key and body return the "
    "same job). A failed preflight is 422 `preflight_refused` listing every failed check "
    "(`failures`: check, ok, value, threshold, detail); another job holding the tenant lock "
    "is 409 `lock_held` with its `job_id`. Refusals are audited and change nothing."
)


class TenantOperationsController(Controller):
    path = "/admin/v1/tenants"
    tags = ["tenant operations"]

    @post(
        "/{tenant_id:str}/drain",
        operation_id="DrainTenant",
        status_code=HTTP_202_ACCEPTED,
        opt={"right": RIGHT_OPERATE, **SCOPE_TENANT_PATH},
        responses=problems(404, 409, 422),
        description="Drain the tenant on every instance of its shard, per kind, and wait for "
        "inflight to reach 0 (CONTROL_OPS_DRAIN_TIMEOUT_S)." + _JOB_DOC,
    )
    async def drain(
        self,
        request: AnyRequest,
        jobs: NamedDependency[JobService],
        tenant_id: TenantIdPath,
        data: JSONBody[TenantOpRequest],
        idempotency_key: IdempotencyKey,
    ) -> Job:
        return await jobs.create(
            kind_name="tenant.drain",
            reason=data.reason,
            params={"kinds": data.kinds},
            principal=request.user,
            idempotency_key=idempotency_key,
            tenant_id=tenant_id,
        )

    @post(
        "/{tenant_id:str}/resume",
        operation_id="ResumeTenant",
        status_code=HTTP_202_ACCEPTED,
        opt={"right": RIGHT_OPERATE, **SCOPE_TENANT_PATH},
        responses=problems(404, 409, 422),
        description="Resume the tenant on every instance of its shard, per kind." + _JOB_DOC,
    )
    async def resume(
        self,
        request: AnyRequest,
        jobs: NamedDependency[JobService],
        tenant_id: TenantIdPath,
        data: JSONBody[TenantOpRequest],
        idempotency_key: IdempotencyKey,
    ) -> Job:
        return await jobs.create(
            kind_name="tenant.resume",
            reason=data.reason,
            params={"kinds": data.kinds},
            principal=request.user,
            idempotency_key=idempotency_key,
            tenant_id=tenant_id,
        )

    @post(
        "/{tenant_id:str}/migrate",
        operation_id="CreateTenantMigration",
        status_code=HTTP_202_ACCEPTED,
        opt={"right": RIGHT_OPERATE, **SCOPE_TENANT_PATH},
        responses=problems(404, 409, 422),
        description="Move the tenant's `kind` to `target_shard` as planned by "
        "PlanTenantMigration. `plan_hash` must be the plan's: when anything it covers changed, "
        "409 `plan_stale`. On a failure after the drain, or a cancel, the job compensates "
        "(restores placement, reloads routing, resumes the source) unless `compensate` is "
        "false; the job's `remediation` says what is left to do." + _JOB_DOC,
    )
    async def migrate(
        self,
        request: AnyRequest,
        jobs: NamedDependency[JobService],
        tenant_id: TenantIdPath,
        data: JSONBody[MigrateRequest],
        idempotency_key: IdempotencyKey,
    ) -> Job:
        return await jobs.create(
            kind_name="tenant.migrate",
            reason=data.reason,
            params={
                "kind": data.kind,
                "target_shard": data.target_shard,
                "plan_hash": data.plan_hash,
                "compensate": data.compensate,
            },
            principal=request.user,
            idempotency_key=idempotency_key,
            tenant_id=tenant_id,
        )


class PlansController(Controller):
    path = "/admin/v1/plans"
    tags = ["tenant operations"]

    @post(
        "/tenants/{tenant_id:str}/migrate",
        operation_id="PlanTenantMigration",
        status_code=HTTP_200_OK,
        opt={"right": RIGHT_OPERATE, **SCOPE_TENANT_PATH},
        responses=problems(),
        description="Plan a migration without side effects: ordered steps, compensation steps, "
        "preflight results and `plan_hash` (deterministic: same inputs, same hash).",
    )
    async def plan_migration(
        self,
        planner: NamedDependency[MigrationPlanner],
        tenant_id: TenantIdPath,
        data: JSONBody[MigrationPlanRequest],
    ) -> MigrationPlan:
        return await planner.plan(tenant_id, data.kind, data.target_shard)


class ConfigController(Controller):
    path = "/admin/v1/config"
    tags = ["tenant operations"]

    @post(
        "/reload",
        operation_id="ReloadConfig",
        status_code=HTTP_202_ACCEPTED,
        opt={"right": RIGHT_CONFIG},
        responses=problems(404, 409, 422),
        description="Reload routing/config on the named fleet services (a `config.reload` "
        "job, one step per service). Requires an Idempotency-Key. A service that is not in the "
        "fleet (configured or discovered) is 422 `params_invalid`.",
    )
    async def reload(
        self,
        request: AnyRequest,
        jobs: NamedDependency[JobService],
        data: JSONBody[ReloadRequest],
        idempotency_key: IdempotencyKey,
    ) -> Job:
        return await jobs.create(
            kind_name="config.reload",
            reason=data.reason,
            params={"services": data.services},
            principal=request.user,
            idempotency_key=idempotency_key,
        )
