from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter
from litestar.status_codes import HTTP_202_ACCEPTED

from cloudlysis_control.auth.principal import Principal
from cloudlysis_control.core.openapi import IdempotencyKey, problems
from cloudlysis_control.core.validation import SERVICE_NAME_PATTERN
from cloudlysis_control.deployments.jobs import RIGHT_DEPLOY
from cloudlysis_control.deployments.schemas import DeployRequest, RollbackRequest
from cloudlysis_control.jobs.schemas import Job
from cloudlysis_control.jobs.service import JobService
from cloudlysis_control.swarm.schemas import SwarmNodeList, SwarmService, SwarmServiceList
from cloudlysis_control.swarm.service import SwarmView

ServiceName = Annotated[
    str, PathParameter(pattern=SERVICE_NAME_PATTERN, description="A Swarm service name")
]


def _change(data: msgspec.Struct) -> dict[str, Any]:
    """The request's fields but the reason, as job params (unset ones left out)."""
    return {
        k: v for k, v in msgspec.structs.asdict(data).items() if k != "reason" and v is not None
    }


class SwarmController(Controller):
    path = "/admin/v1/swarm"
    tags = ["swarm"]

    @get(
        "/services",
        operation_id="ListSwarmServices",
        opt={"right": "control.fleet.read"},
        responses=problems(),
        description="Every Swarm service, normalised (image, tag, git_sha, spec version, update "
        "state, replicas, tasks with node and error). 503 `swarm_unavailable` when no engine "
        "is reachable or CONTROL_SWARM_MODE=off.",
    )
    async def list_services(self, swarm: NamedDependency[SwarmView]) -> SwarmServiceList:
        return await swarm.list_services()

    @get(
        "/services/{name:str}",
        operation_id="GetSwarmService",
        opt={"right": "control.fleet.read"},
        responses=problems(404),
    )
    async def get_service(
        self, swarm: NamedDependency[SwarmView], name: ServiceName
    ) -> SwarmService:
        return await swarm.get_service(name)

    @get(
        "/nodes",
        operation_id="ListSwarmNodes",
        opt={"right": "control.fleet.read"},
        responses=problems(),
    )
    async def list_nodes(self, swarm: NamedDependency[SwarmView]) -> SwarmNodeList:
        return await swarm.list_nodes()

    @post(
        "/services/{name:str}/deploy",
        operation_id="CreateServiceDeployJob",
        status_code=HTTP_202_ACCEPTED,
        opt={"right": RIGHT_DEPLOY},
        responses=problems(404, 409, 422),
        description="Start a `service.deploy` job (Idempotency-Key and reason required). "
        "Refused with 422 `preflight_refused` (listing `failures`) when the service is "
        "updating, paused or not fully running; 409 `lock_held` while another job holds the "
        "service.",
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
        "/services/{name:str}/rollback",
        operation_id="CreateServiceRollbackJob",
        status_code=HTTP_202_ACCEPTED,
        opt={"right": RIGHT_DEPLOY},
        responses=problems(404, 409, 422),
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
