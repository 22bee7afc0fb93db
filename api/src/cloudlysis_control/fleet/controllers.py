from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import PathParameter

from cloudlysis_control.core.openapi import problems
from cloudlysis_control.fleet.schemas import FleetSnapshot
from cloudlysis_control.fleet.snapshot import FleetSnapshotService


class FleetController(Controller):
    path = "/admin/v1/fleet"
    tags = ["fleet"]

    @get(
        "/",
        operation_id="GetFleet",
        opt={"right": "control.fleet.read"},
        responses=problems(),
        description="Health, readiness, build and selected metrics of every instance, from a "
        "cached snapshot (`age_s`; `stale` when older than `max_age_s`).",
    )
    async def get_fleet(self, fleet: NamedDependency[FleetSnapshotService]) -> FleetSnapshot:
        return await fleet.snapshot()

    @get(
        "/{service:str}",
        operation_id="GetFleetService",
        opt={"right": "control.fleet.read"},
        responses=problems(404),
    )
    async def get_fleet_service(
        self,
        fleet: NamedDependency[FleetSnapshotService],
        service: Annotated[str, PathParameter(max_length=63)],
    ) -> FleetSnapshot:
        return await fleet.service_snapshot(service)
