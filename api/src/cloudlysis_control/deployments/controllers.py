from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, PathParameter, QueryParameter

from cloudlysis_control.core.openapi import problems
from cloudlysis_control.deployments.schemas import (
    DeploymentDetail,
    DeploymentKind,
    DeploymentPage,
    DeploymentStatus,
)
from cloudlysis_control.deployments.service import DeploymentFilter, DeploymentService


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
        sync_to_thread=False,
    )
    def list_deployments(
        self,
        deployments: NamedDependency[DeploymentService],
        service: Annotated[str | None, QueryParameter(max_length=128)] = None,
        stack: Annotated[str | None, QueryParameter(max_length=128)] = None,
        status: FromQuery[DeploymentStatus | None] = None,
        kind: FromQuery[DeploymentKind | None] = None,
        since: Annotated[str | None, QueryParameter(max_length=40)] = None,
        until: Annotated[str | None, QueryParameter(max_length=40)] = None,
        cursor: Annotated[str | None, QueryParameter(max_length=512)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
    ) -> DeploymentPage:
        flt = DeploymentFilter(
            service=service, stack=stack, status=status, kind=kind, since=since, until=until
        )
        return deployments.page(flt, cursor, limit)

    @get(
        "/{deployment_id:str}",
        operation_id="GetDeployment",
        opt={"right": "control.deployments.read"},
        responses=problems(404),
        description="One deployment with what changed: image, env keys (values redacted), "
        "labels, replicas, resources, placement, update and rollback policy.",
        sync_to_thread=False,
    )
    def get_deployment(
        self,
        deployments: NamedDependency[DeploymentService],
        deployment_id: Annotated[str, PathParameter(max_length=64)],
    ) -> DeploymentDetail:
        return deployments.get(deployment_id)
