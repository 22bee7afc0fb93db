"""Every job kind, registered once: one line per kind (its class lives beside its domain)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudlysis_control.deployments.jobs import ServiceDeploy, ServiceRollback
from cloudlysis_control.fleet.jobs import PlatformVerify
from cloudlysis_control.jobs.kinds import KindRegistry
from cloudlysis_control.operations.drain import TenantDrain, TenantResume
from cloudlysis_control.operations.migrate import TenantMigrate
from cloudlysis_control.operations.reload import ConfigReload

if TYPE_CHECKING:  # the container builds the registry while it is being built itself
    from cloudlysis_control.bootstrap.container import Container


def register_kinds(c: Container, kinds: KindRegistry) -> None:
    health_timeout = c.settings.swarm.health_timeout_s
    kinds.register(PlatformVerify(c.fleet_registry, c.probe))
    kinds.register(TenantDrain(c.ops))
    kinds.register(TenantResume(c.ops))
    kinds.register(TenantMigrate(c.ops, c.planner))
    kinds.register(ConfigReload(c.ops))
    kinds.register(ServiceDeploy(c.swarm_engine, c.deployments, c.probe, health_timeout))
    kinds.register(ServiceRollback(c.swarm_engine, c.deployments, c.probe, health_timeout))
