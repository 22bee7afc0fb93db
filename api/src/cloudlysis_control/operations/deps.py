"""What the tenant operation kinds share: the placement, the admin and routing ports, the
preflight checks, their settings and the live fleet registry."""

from __future__ import annotations

from dataclasses import dataclass

from cloudlysis_control.core.settings import OpsSettings
from cloudlysis_control.fleet.registry import FleetRegistry
from cloudlysis_control.operations.ports import RoutingGateway
from cloudlysis_control.operations.preflight import Preflight
from cloudlysis_control.placement.service import PlacementService
from cloudlysis_control.ports import KeyValue
from cloudlysis_control.tenants.ports import ServiceAdmin

RIGHT_OPERATE = "control.tenants.operate"
RIGHT_CONFIG = "control.config.write"


@dataclass
class OpsDeps:
    placement: PlacementService
    placement_kv: KeyValue | None  # None: placement comes from the dev file (read-only)
    admin: ServiceAdmin
    gateway: RoutingGateway | None
    preflight: Preflight
    settings: OpsSettings
    fleet: FleetRegistry
