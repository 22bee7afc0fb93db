"""Every job kind, registered once: one line per kind (its class lives beside its domain)."""

from __future__ import annotations

from cloudlysis_control.audit.service import AuditService
from cloudlysis_control.config.jobs import ConfigApply, ConfigRollback
from cloudlysis_control.config.ports import Annotator, ConfigAgents
from cloudlysis_control.config.service import ConfigService
from cloudlysis_control.deployments.jobs import ServiceDeploy, ServiceRollback
from cloudlysis_control.deployments.plan import ServicePlanner
from cloudlysis_control.deployments.ports import DeployVerifier
from cloudlysis_control.drift.jobs import DriftAcknowledge, DriftAdopt, DriftReapply
from cloudlysis_control.drift.service import DriftService
from cloudlysis_control.fleet.jobs import PlatformVerify
from cloudlysis_control.fleet.ports import Prober
from cloudlysis_control.fleet.registry import FleetRegistry
from cloudlysis_control.jobs.kinds import KindRegistry
from cloudlysis_control.operations.deps import OpsDeps
from cloudlysis_control.operations.drain import TenantDrain, TenantResume
from cloudlysis_control.operations.migrate import TenantMigrate
from cloudlysis_control.operations.plan import MigrationPlanner
from cloudlysis_control.operations.reload import ConfigReload
from cloudlysis_control.playbooks.jobs import PlaybookPostDeploy, PlaybookRollbackVerify


def register_kinds(
    kinds: KindRegistry,
    *,
    fleet: FleetRegistry,
    probe: Prober,
    ops: OpsDeps,
    planner: MigrationPlanner,
    service_plans: ServicePlanner,
    playbooks: DeployVerifier,
    health_timeout_s: float,
    configs: ConfigService,
    config_agents: ConfigAgents,
    audit: AuditService,
    annotator: Annotator | None,
    drift: DriftService,
) -> None:
    kinds.register(PlatformVerify(fleet, probe))
    kinds.register(TenantDrain(ops))
    kinds.register(TenantResume(ops))
    kinds.register(TenantMigrate(ops, planner))
    kinds.register(ConfigReload(ops))
    kinds.register(ServiceDeploy(service_plans, playbooks, health_timeout_s))
    kinds.register(ServiceRollback(service_plans, playbooks, health_timeout_s))
    kinds.register(PlaybookPostDeploy(service_plans, playbooks))
    kinds.register(PlaybookRollbackVerify(service_plans, playbooks))
    step_timeout_s = ops.settings.step_timeout_s
    locks = ops.preflight.locks
    kinds.register(ConfigApply(configs, config_agents, audit, annotator, step_timeout_s, locks))
    kinds.register(ConfigRollback(configs, config_agents, audit, annotator, step_timeout_s, locks))
    kinds.register(DriftAcknowledge(drift))
    kinds.register(DriftAdopt(drift))
    kinds.register(DriftReapply(drift))
