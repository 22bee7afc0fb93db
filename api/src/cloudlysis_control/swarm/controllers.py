from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency

from cloudlysis_control.core.openapi import ServiceNamePath, problems
from cloudlysis_control.swarm.schemas import SwarmNodeList, SwarmService, SwarmServiceList
from cloudlysis_control.swarm.service import SwarmView

ServiceName = ServiceNamePath


class SwarmController(Controller):
    path = "/admin/v1/swarm"
    tags = ["swarm"]

    @get(
        "/services",
        operation_id="ListSwarmServices",
        opt={"right": "control.fleet.read"},
        responses=problems(502, 504),
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
        responses=problems(404, 502, 504),
    )
    async def get_service(
        self, swarm: NamedDependency[SwarmView], name: ServiceName
    ) -> SwarmService:
        return await swarm.get_service(name)

    @get(
        "/nodes",
        operation_id="ListSwarmNodes",
        opt={"right": "control.fleet.read"},
        responses=problems(502, 504),
    )
    async def list_nodes(self, swarm: NamedDependency[SwarmView]) -> SwarmNodeList:
        return await swarm.list_nodes()
