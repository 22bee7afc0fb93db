from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_202_ACCEPTED

from cloudlysis_control.auth.principal import Principal
from cloudlysis_control.core.openapi import Cursor, IdempotencyKey, Limit, ServiceNamePath, problems
from cloudlysis_control.deployments.history import DeploymentFilter
from cloudlysis_control.deployments.jobs import RIGHT_DEPLOY
from cloudlysis_control.deployments.plan import ServicePlanner
from cloudlysis_control.deployments.schemas import (
    DeploymentDetail,
    DeploymentKind,
    DeploymentPage,
    DeploymentStatus,
    DeployRequest,
    DeployTarget,
    RollbackRequest,
    RollbackTarget,
    ServicePlan,
)
from cloudlysis_control.deployments.service import DeploymentService
from cloudlysis_control.jobs.schemas import Job
from cloudlysis_control.jobs.service import JobService

ServiceName = ServiceNamePath


def _change(data: msgspec.Struct) -> dict[str, Any]:
    """The request's fields but the reason, as job params (unset ones left out)."""
    return {
        k: v for k, v in msgspec.structs.asdict(data).items() if k != "reason" and v is not None
    }


class DeploymentsController(Controller):
    path = "/admin/v1/deployments"
    tags = ["deployments"]

    @get(
        "/",
        operation_id="ListDeployments",
        opt={"right": "control.deployments.read"},
        responses=problems(),
        description="Deployment history (newest first) built from Swarm service update events: "
        "updates and rollbacks with their status, spec versions, images and timeline. "
        "503 `swarm_unavailable` when CONTROL_SWARM_MODE=off.",
    )
    async def list_deployments(
        self,
        deployments: NamedDependency[DeploymentService],
        service: Annotated[str | None, QueryParameter(max_length=128)] = None,
        stack: Annotated[str | None, QueryParameter(max_length=128)] = None,
        status: FromQuery[DeploymentStatus | None] = None,
        kind: FromQuery[DeploymentKind | None] = None,
        since: Annotated[str | None, QueryParameter(max_length=40)] = None,
        until: Annotated[str | None, QueryParameter(max_length=40)] = None,
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> DeploymentPage:
        flt = DeploymentFilter(
            service=service, stack=stack, status=status, kind=kind, since=since, until=until
        )
        return await deployments.page(flt, cursor, limit)

    @get(
        "/{deployment_id:str}",
        operation_id="GetDeployment",
        opt={"right": "control.deployments.read"},
        responses=problems(404),
        description="One deployment with what changed: image, env keys (values redacted), "
        "labels, replicas, resources, placement, update and rollback policy.",
    )
    async def get_deployment(
        self,
        deployments: NamedDependency[DeploymentService],
        deployment_id: Annotated[str, PathParameter(max_length=64)],
    ) -> DeploymentDetail:
        return await deployments.get(deployment_id)


class ServiceActionsController(Controller):
    """Guarded deploy and rollback of one Swarm service: each is a job."""

    path = "/admin/v1/swarm"
    tags = ["swarm"]

    @post(
        "/services/{name:str}/deploy",
        operation_id="CreateServiceDeployJob",
        status_code=HTTP_202_ACCEPTED,
        opt={"right": RIGHT_DEPLOY},
        responses=problems(404, 409, 422, 502, 504),
        description="Start a `service.deploy` job (Idempotency-Key and reason required). "
        "Refused with 422 `preflight_refused` (listing `failures`) when the service is "
        "updating, paused or not fully running, or the engine cannot resolve the image; "
        "409 `lock_held` while another job holds the service.",
    )
    async def deploy(
        self,
        request: Request[Principal, Any, Any],
        jobs: NamedDependency[JobService],
        name: ServiceName,
        data: JSONBody[DeployRequest],
        idempotency_key: IdempotencyKey,
    ) -> Job:
        return await jobs.create(
            kind_name="service.deploy",
            reason=data.reason,
            params={"service": name, **_change(data)},
            principal=request.user,
            idempotency_key=idempotency_key,
        )

    @post(
        "/services/{name:str}/deploy/plan",
        operation_id="PlanServiceDeploy",
        status_code=200,
        opt={"right": RIGHT_DEPLOY},
        responses=problems(404, 422, 502, 504),
        description="What a deploy of `image` or `tag` would change, before it is submitted: "
        "the same spec diff the deployment history shows afterwards (env values redacted), and "
        "the preflight's `failures` (empty when the deploy would start): the service is not "
        "updating or paused, every desired task runs, and the engine can resolve the image "
        "(registry distribution inspect, else the engine's own images). Changes nothing.",
    )
    async def plan_deploy(
        self,
        service_plans: NamedDependency[ServicePlanner],
        name: ServiceName,
        data: JSONBody[DeployTarget],
    ) -> ServicePlan:
        return await service_plans.plan_deploy(name, data)

    @post(
        "/services/{name:str}/rollback/plan",
        operation_id="PlanServiceRollback",
        status_code=200,
        opt={"right": RIGHT_DEPLOY},
        responses=problems(404, 422, 502, 504),
        description="What a rollback (to Swarm's previous spec, or to a recorded "
        "`to_spec_version`) would change, and the preflight's `failures`. Changes nothing.",
    )
    async def plan_rollback(
        self,
        service_plans: NamedDependency[ServicePlanner],
        name: ServiceName,
        data: JSONBody[RollbackTarget],
    ) -> ServicePlan:
        return await service_plans.plan_rollback(name, data)

    @post(
        "/services/{name:str}/rollback",
        operation_id="CreateServiceRollbackJob",
        status_code=HTTP_202_ACCEPTED,
        opt={"right": RIGHT_DEPLOY},
        responses=problems(404, 409, 422, 502, 504),
        description="Start a `service.rollback` job (Idempotency-Key and reason required).",
    )
    async def rollback(
        self,
        request: Request[Principal, Any, Any],
        jobs: NamedDependency[JobService],
        name: ServiceName,
        data: JSONBody[RollbackRequest],
        idempotency_key: IdempotencyKey,
    ) -> Job:
        return await jobs.create(
            kind_name="service.rollback",
            reason=data.reason,
            params={"service": name, **_change(data)},
            principal=request.user,
            idempotency_key=idempotency_key,
        )
