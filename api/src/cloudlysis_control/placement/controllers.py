from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from cloudlysis_control.core.openapi import problems
from cloudlysis_control.placement.schemas import (
    PlacementKind,
    PlacementMapView,
    PlacementOverview,
    RoutingView,
)
from cloudlysis_control.placement.service import PlacementService


class PlacementController(Controller):
    path = "/admin/v1"
    tags = ["placement"]

    @get(
        "/placement",
        operation_id="GetPlacement",
        opt={"right": "control.placement.read"},
        responses=problems(),
        description="Every effective placement map (tenant → shard, default shard, shard "
        "directory) and the routing config, each with its revision, source, update time and "
        "the stale flag (source unreachable; the last known good values are served).",
        sync_to_thread=False,
    )
    def get_placement(self, placement: NamedDependency[PlacementService]) -> PlacementOverview:
        return placement.overview()

    @get(
        "/placement/{kind:str}",
        operation_id="GetPlacementMap",
        opt={"right": "control.placement.read"},
        responses=problems(),
        sync_to_thread=False,
    )
    def get_placement_map(
        self, placement: NamedDependency[PlacementService], kind: FromPath[PlacementKind]
    ) -> PlacementMapView:
        return placement.map_view(kind)

    @get(
        "/routing",
        operation_id="GetRouting",
        opt={"right": "control.placement.read"},
        responses=problems(),
        sync_to_thread=False,
    )
    def get_routing(self, placement: NamedDependency[PlacementService]) -> RoutingView:
        return placement.routing_view()
