"""Tenant drain / resume / migrate, migration plans and config reload over HTTP.

Every mutation is a job: the answer is 202 with the job (poll GET /admin/v1/jobs/{id}). Each
needs an Idempotency-Key and a reason; a repeated request returns the same job.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED

from cloudlysis_control.auth.principal import Principal
from cloudlysis_control.core.openapi import problems
from cloudlysis_control.jobs.schemas import Job
from cloudlysis_control.operations.schemas import (
    MigrateRequest,
    MigrationPlan,
    MigrationPlanRequest,
    ReloadRequest,
    TenantOpRequest,
)
from cloudlysis_control.operations.service import OperationsService

IdempotencyKey = Annotated[str | None, HeaderParameter(name="Idempotency-Key", max_length=256)]
AnyRequest = Request[Principal, Any, Any]
_JOB_DOC = (
    " Answers 202 with the job; requires an Idempotency-Key (the same key and body return the "
    "same job). A failed preflight is 422 `preflight_refused` listing every failed invariant "
    "(`failures`: name, ok, measured, threshold, message); another job holding the tenant lock "
    "is 409 `lock_held` with its `job_id`. Refusals are audited and change nothing."
)


class TenantOperationsController(Controller):
    path = "/admin/v1/tenants"
    tags = ["tenant operations"]

    @post(
        "/{tenant_id:str}/drain",
        operation_id="DrainTenant",
        status_code=HTTP_202_ACCEPTED,
        opt={"right": "control.tenants.operate"},
        responses=problems(404, 409, 422),
        description="Drain the tenant on every instance of its shard, per kind, and wait for "
        "inflight to reach 0 (CONTROL_OPS_DRAIN_TIMEOUT_S)." + _JOB_DOC,
    )
    async def drain(
        self,
        request: AnyRequest,
        operations: NamedDependency[OperationsService],
        tenant_id: FromPath[str],
        data: JSONBody[TenantOpRequest],
        idempotency_key: IdempotencyKey = None,
    ) -> Job:
        return await operations.drain_or_resume(
            "drain", tenant_id, data, request.user.id, idempotency_key
        )

    @post(
        "/{tenant_id:str}/resume",
        operation_id="ResumeTenant",
        status_code=HTTP_202_ACCEPTED,
        opt={"right": "control.tenants.operate"},
        responses=problems(404, 409, 422),
        description="Resume the tenant on every instance of its shard, per kind." + _JOB_DOC,
    )
    async def resume(
        self,
        request: AnyRequest,
        operations: NamedDependency[OperationsService],
        tenant_id: FromPath[str],
        data: JSONBody[TenantOpRequest],
        idempotency_key: IdempotencyKey = None,
    ) -> Job:
        return await operations.drain_or_resume(
            "resume", tenant_id, data, request.user.id, idempotency_key
        )

    @post(
        "/{tenant_id:str}/migrate",
        operation_id="CreateTenantMigration",
        status_code=HTTP_202_ACCEPTED,
        opt={"right": "control.tenants.operate"},
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
        operations: NamedDependency[OperationsService],
        tenant_id: FromPath[str],
        data: JSONBody[MigrateRequest],
        idempotency_key: IdempotencyKey = None,
    ) -> Job:
        return await operations.migrate(tenant_id, data, request.user.id, idempotency_key)


class PlansController(Controller):
    path = "/admin/v1/plans"
    tags = ["tenant operations"]

    @post(
        "/tenants/{tenant_id:str}/migrate",
        operation_id="PlanTenantMigration",
        status_code=HTTP_200_OK,
        opt={"right": "control.tenants.operate"},
        responses=problems(),
        description="Plan a migration without side effects: ordered steps, compensation steps, "
        "preflight results and `plan_hash` (deterministic: same inputs, same hash).",
    )
    async def plan_migration(
        self,
        operations: NamedDependency[OperationsService],
        tenant_id: FromPath[str],
        data: JSONBody[MigrationPlanRequest],
    ) -> MigrationPlan:
        return await operations.plan_migration(tenant_id, data)


class ConfigController(Controller):
    path = "/admin/v1/config"
    tags = ["tenant operations"]

    @post(
        "/reload",
        operation_id="ReloadConfig",
        status_code=HTTP_202_ACCEPTED,
        opt={"right": "control.config.write"},
        responses=problems(404, 409),
        description="Reload routing/config on the named fleet services (a `config.reload` "
        "job, one step per service). Requires an Idempotency-Key.",
    )
    async def reload(
        self,
        request: AnyRequest,
        operations: NamedDependency[OperationsService],
        data: JSONBody[ReloadRequest],
        idempotency_key: IdempotencyKey = None,
    ) -> Job:
        return await operations.reload(data, request.user.id, idempotency_key)
