"""Everything the app holds while it runs: built here from the settings, started in order in the
lifespan and stopped in reverse.

Construction does no I/O beyond reading the configured files (so a bad setting stops start-up
with a message naming the variable); `start()` connects and starts the background work.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable

import msgspec

from cloudlysis_control.adapters.config_agents import ConfigAgentsClient
from cloudlysis_control.adapters.docker.engine import DockerEngine
from cloudlysis_control.adapters.docker.fixture import FixtureEngine
from cloudlysis_control.adapters.fleet_metrics import StoreFleetMetrics
from cloudlysis_control.adapters.gateway import GatewayClient
from cloudlysis_control.adapters.grafana import GrafanaAnnotator
from cloudlysis_control.adapters.http import make_async_client
from cloudlysis_control.adapters.metrics import PrometheusApi
from cloudlysis_control.adapters.nats.server import EmbeddedNatsServer
from cloudlysis_control.adapters.nats.state import (
    BUCKET_CONFIG,
    BUCKET_DRIFT,
    BUCKET_IDEMPOTENCY,
    BUCKET_JOBS,
    BUCKET_LOCKS,
    STREAM_AUDIT,
    STREAM_CONFIG_HISTORY,
    STREAM_DEPLOYMENTS,
    NatsEventLog,
    NatsKeyValue,
    NatsState,
)
from cloudlysis_control.adapters.probe import ProbeClient
from cloudlysis_control.adapters.service_admin import ServiceAdminClient
from cloudlysis_control.audit.service import AuditService
from cloudlysis_control.auth.rights import RightsResolver, RightsSource
from cloudlysis_control.auth.tokens import TokenVerifier
from cloudlysis_control.bootstrap.fleet_file import load_fleet_file
from cloudlysis_control.bootstrap.keys import key_source
from cloudlysis_control.bootstrap.kinds import register_kinds
from cloudlysis_control.bootstrap.placement import BUCKET_PLACEMENT, PlacementRuntime
from cloudlysis_control.config.assets import AssetCatalog
from cloudlysis_control.config.definitions import DefinitionsService
from cloudlysis_control.config.dev_file import DevFileSections
from cloudlysis_control.config.documents import Flags
from cloudlysis_control.config.history import ConfigHistory
from cloudlysis_control.config.limits import FlagLimits
from cloudlysis_control.config.service import ConfigService
from cloudlysis_control.config.store import ConfigStore, StaleWrite
from cloudlysis_control.config.world import FLAGS_ID, WorldView
from cloudlysis_control.core.errors import SettingsError
from cloudlysis_control.core.logging import get_logger
from cloudlysis_control.core.metrics import Metrics
from cloudlysis_control.core.settings import Settings
from cloudlysis_control.core.staleness import Staleness
from cloudlysis_control.deployments.plan import ServicePlanner
from cloudlysis_control.deployments.service import DeploymentService
from cloudlysis_control.drift.service import DriftService
from cloudlysis_control.drift.sources import ObservedSources
from cloudlysis_control.drift.state import DriftState
from cloudlysis_control.fleet.discovery import DiscoveryLoop
from cloudlysis_control.fleet.registry import FleetRegistry
from cloudlysis_control.fleet.snapshot import FleetSnapshotService
from cloudlysis_control.guardrails.service import GuardrailService
from cloudlysis_control.iam.rights import GatewayRightsSource
from cloudlysis_control.iam.service import IamService
from cloudlysis_control.iam.signin import SignInService
from cloudlysis_control.investigate.explore import explore_home_urls
from cloudlysis_control.investigate.service import InvestigateService
from cloudlysis_control.jobs.creation import JobCreation
from cloudlysis_control.jobs.engine import JobEngine
from cloudlysis_control.jobs.kinds import JobKind, KindRegistry
from cloudlysis_control.jobs.service import JobService
from cloudlysis_control.jobs.store import JobStore
from cloudlysis_control.live.bus import EventBus
from cloudlysis_control.live.feeds import Feeds
from cloudlysis_control.live.service import LiveService
from cloudlysis_control.locks.service import LockService
from cloudlysis_control.metrics.service import MetricsService
from cloudlysis_control.operations.deps import OpsDeps
from cloudlysis_control.operations.plan import MigrationPlanner
from cloudlysis_control.operations.preflight import Preflight
from cloudlysis_control.playbooks.service import Playbooks
from cloudlysis_control.swarm.cache import SwarmCache
from cloudlysis_control.swarm.ports import SwarmEngine
from cloudlysis_control.swarm.service import SwarmView
from cloudlysis_control.system.schemas import StateReplication, StreamReplication
from cloudlysis_control.system.service import SystemService
from cloudlysis_control.tenants.service import TenantService
from cloudlysis_control.tenants.state import TenantLag, TenantOperations

Step = Callable[[], Awaitable[None]]

_log = get_logger("control.bootstrap")
# Every bucket and stream the API provisions at start-up (placement's bucket: bootstrap/placement)
# and /ready checks (each must exist and have a leader).
_BUCKETS = [BUCKET_JOBS, BUCKET_IDEMPOTENCY, BUCKET_LOCKS, BUCKET_CONFIG, BUCKET_DRIFT]
_STREAMS = [STREAM_AUDIT, STREAM_DEPLOYMENTS, STREAM_CONFIG_HISTORY]


def _swarm_engine(settings: Settings, metrics: Metrics) -> SwarmEngine | None:
    sw = settings.swarm
    if sw.mode == "file" and sw.file is not None:
        return FixtureEngine.from_file(sw.file)
    if sw.mode == "engine":
        return DockerEngine(sw.docker_host, metrics, sw.timeout_s)
    return None


class Container:
    def __init__(
        self,
        settings: Settings,
        metrics: Metrics,
        *,
        rights_source: RightsSource | None = None,
        extra_kinds: list[JobKind] | None = None,
    ) -> None:
        s = settings
        self.settings = s
        self.metrics = metrics

        # -- adapters ---------------------------------------------------------------------------
        self.http = make_async_client(s.gateway.timeout_s)
        self.nats_server = (
            EmbeddedNatsServer(s.nats.data_dir / "nats") if s.nats.url is None else None
        )
        self.state_staleness = Staleness()
        self.nats = NatsState(
            url=s.nats.url or "",
            replicas=s.nats.replicas,
            connect_timeout_s=s.nats.connect_timeout_s,
            op_timeout_s=s.nats.op_timeout_s,
            on_connection_change=self._on_nats_connection,
        )
        self.gateway = GatewayClient(s.gateway.url, self.http, metrics) if s.gateway.url else None
        # Probes get their own pool: in flight at most 3 requests per probed instance times the
        # snapshot's concurrency; idle connections (≤ 3 per instance) are reused next snapshot.
        self.probe = ProbeClient(metrics, s.jobs.probe_timeout_s)
        self.admin = ServiceAdminClient(metrics, s.fleet.tenant_status_timeout_s)
        self.swarm_engine = _swarm_engine(s, metrics)
        self.metrics_store = (
            PrometheusApi(s.metrics.url, metrics, s.metrics.timeout_s) if s.metrics.url else None
        )
        self.annotator = (
            GrafanaAnnotator(
                self.http,
                s.grafana.api_url,
                metrics,
                token_file=s.grafana.token_file,
                retries=s.grafana.annotation_retries,
            )
            if s.grafana.api_url is not None
            else None
        )

        # -- services ---------------------------------------------------------------------------
        self.verifier = TokenVerifier(
            key_source=key_source(s, self.http, metrics),
            issuer=s.auth.issuer,
            audience=s.auth.audience,
            leeway_s=s.auth.leeway_s,
        )
        self.resolver = RightsResolver(
            rights_source or GatewayRightsSource(self.gateway), ttl_s=s.auth.rights_cache_ttl_s
        )
        self.audit = AuditService(
            NatsEventLog(self.nats, STREAM_AUDIT, "control.audit.events"),
            metrics,
            max_indexed=s.audit.cache_events,
            staleness=self.state_staleness,
        )
        self.locks = LockService(
            NatsKeyValue(self.nats, BUCKET_LOCKS), instance_id=s.server.instance_id
        )
        self.fleet_registry = FleetRegistry(load_fleet_file(s.jobs.fleet_file))
        self.fleet = FleetSnapshotService(
            self.fleet_registry,
            self.probe,
            concurrency=s.fleet.probe_concurrency,
            timeout_s=s.jobs.probe_timeout_s,
            max_age_s=s.fleet.snapshot_max_age_s,
            fleet_metrics=(
                StoreFleetMetrics(self.metrics_store) if self.metrics_store is not None else None
            ),
        )
        self.swarm_cache = (
            SwarmCache(
                self.swarm_engine,
                tasks_interval_s=s.swarm.tasks_interval_s,
                resync_interval_s=s.swarm.resync_interval_s,
                stale_after_s=s.swarm.stale_after_s,
            )
            if self.swarm_engine is not None and s.swarm.cache
            else None
        )
        self.swarm = SwarmView(self.swarm_engine, self.swarm_cache)
        self.discovery = (
            DiscoveryLoop(self.fleet_registry, self.swarm, s.swarm.discovery_interval_s)
            if self.swarm_engine is not None and s.swarm.discovery
            else None
        )
        self.placement = PlacementRuntime(s.placement, self.nats)
        placement_kv = (
            NatsKeyValue(self.nats, BUCKET_PLACEMENT) if s.placement.source == "nats" else None
        )
        self.config_agents = ConfigAgentsClient(self.http, metrics, s.config.agent_timeout_s)
        config_store = ConfigStore(
            NatsKeyValue(self.nats, BUCKET_CONFIG),
            placement_kv,
            self.placement.service,
            DevFileSections(s.placement.file) if s.placement.source == "file" else None,
        )
        config_world = WorldView(
            config_store,
            self.placement.service,
            self.fleet_registry,
            self.fleet,
            self.config_agents,
        )
        # Every guardrail's thresholds: the flags document, the settings where a flag is unset.
        self.limits = FlagLimits(config_world, s.ops)
        self.guardrails = GuardrailService(self.limits)
        preflight = Preflight(
            self.placement.service,
            self.probe,
            self.admin,
            self.locks,
            self.limits,
            timeout_s=s.fleet.tenant_status_timeout_s,
        )
        self.planner = MigrationPlanner(self.placement.service, preflight)
        self.ops = OpsDeps(
            placement=self.placement.service,
            placement_kv=placement_kv,
            admin=self.admin,
            gateway=self.gateway,
            preflight=preflight,
            settings=s.ops,
            fleet=self.fleet_registry,
        )
        self.deployments = (
            DeploymentService(
                NatsEventLog(self.nats, STREAM_DEPLOYMENTS, "control.deployments.events"),
                self.swarm_engine,
                metrics,
                self.annotator,
            )
            if self.swarm_engine is not None
            else None
        )
        self.service_plans = ServicePlanner(
            self.swarm_engine, self.deployments, self.locks, self.limits
        )
        self.config_history = ConfigHistory(
            NatsEventLog(self.nats, STREAM_CONFIG_HISTORY, "control.config.history")
        )
        self.config_store = config_store
        self.configs = ConfigService(
            config_store, self.config_history, config_world, AssetCatalog(s.config.assets_dir)
        )
        self.definitions = DefinitionsService(config_world, config_store)
        self.drift = DriftService(
            self.swarm,
            DriftState(NatsKeyValue(self.nats, BUCKET_DRIFT)),
            metrics,
            stacks_dir=s.drift.stacks_dir,
            deployments=self.deployments,
            sources=ObservedSources(
                self.configs, self.config_agents, self.fleet_registry, self.fleet
            ),
            limits=self.limits,
            interval_s=s.drift.interval_s,
        )
        self.charts = MetricsService(self.metrics_store, cache_s=s.metrics.cache_s)
        self.playbooks = Playbooks(
            self.service_plans,
            self.probe,
            self.charts,
            config_world,
            placement=self.placement.service,
            fleet=self.fleet_registry,
            agents=self.config_agents,
            drift=self.drift,
        )
        self.kinds = KindRegistry()
        register_kinds(
            self.kinds,
            fleet=self.fleet_registry,
            probe=self.probe,
            ops=self.ops,
            planner=self.planner,
            service_plans=self.service_plans,
            playbooks=self.playbooks,
            health_timeout_s=s.swarm.health_timeout_s,
            configs=self.configs,
            config_agents=self.config_agents,
            audit=self.audit,
            annotator=self.annotator,
            drift=self.drift,
        )
        for kind in extra_kinds or []:
            self.kinds.register(kind)
        self.store = JobStore(NatsKeyValue(self.nats, BUCKET_JOBS))
        self.engine = JobEngine(
            self.store,
            self.kinds,
            self.audit,
            metrics,
            instance_id=s.server.instance_id,
            lease_s=s.jobs.lease_s,
            workers=s.jobs.workers,
            locks=self.locks,
            renew_s=s.jobs.renew_s,
            fence_margin_s=s.jobs.fence_margin_s,
        )
        self.jobs = JobService(
            JobCreation(
                self.store,
                self.kinds,
                self.engine,
                self.audit,
                self.locks,
                legacy=NatsKeyValue(self.nats, BUCKET_IDEMPOTENCY),
            ),
            staleness=self.state_staleness,
        )
        self.tenant_operations = TenantOperations()
        self.store.on_change(self.tenant_operations.on_job)
        self.tenant_lag = TenantLag(self.charts)
        self.tenants = TenantService(
            self.placement.service,
            self.fleet,
            self.admin,
            self.jobs,
            self.audit,
            status_timeout_s=s.fleet.tenant_status_timeout_s,
            operations=self.tenant_operations,
            lag=self.tenant_lag,
        )
        self.iam = IamService(self.gateway, self.audit, self.resolver)
        self.signin = SignInService(
            self.gateway,
            self.audit,
            self.resolver,
            password_login=s.gateway.password_login,
            sso_client_id=s.gateway.sso_client_id,
        )
        self.investigate = InvestigateService(self.jobs, self.audit, s.observability)
        self.bus = EventBus()
        # An open stream asks again who its caller is as often as the rights cache would.
        self.live = LiveService(self.bus, recheck_s=max(1.0, s.auth.rights_cache_ttl_s))
        feeds = Feeds(self.bus)
        self.store.on_change(feeds.job)
        self.audit.on_event(feeds.audit)
        self.placement.service.subscribe(feeds.placement)
        self.fleet.on_snapshot(feeds.fleet)
        if self.deployments is not None:
            self.deployments.history.on_change(feeds.deployment)
        obs = s.observability
        self.system = SystemService(
            s,
            metrics,
            self.iam,
            self.readiness,
            explore_home_urls(obs.grafana_url, obs.grafana_loki_uid, obs.grafana_tempo_uid)
            if obs.grafana_url
            else None,
        )
        self._stops: list[Step] = []

    def _on_nats_connection(self, up: bool) -> None:
        self.metrics.nats_connected.set(1 if up else 0)
        self.state_staleness.set_live(up)
        self.placement.on_nats_connection(up)

    async def start(self) -> None:
        """Start in dependency order; each started part is stopped (in reverse) by stop()."""
        if self.nats_server is not None:
            await self.nats_server.start()
            self._stops.append(self.nats_server.stop)
            self.nats.url = self.nats_server.url
        self._stops.append(self.http.aclose)
        self._stops.append(self.admin.aclose)  # its aiohttp session, opened on first use
        if self.metrics_store is not None:
            self._stops.append(self.metrics_store.aclose)
        self._stops.append(self.tenant_lag.stop)  # a refresh in flight uses the store's client
        await self.nats.connect()
        self._stops.append(self.nats.close)
        await self.nats.provision(_BUCKETS, _STREAMS)
        await self._seed_flags()
        await self._start(self.audit.start, self.audit.stop)
        await self._start(self.store.start, self.store.stop)
        self._stops.append(self.engine.stop)  # started last, stopped first among the jobs
        await self._start(self.placement.start, self.placement.stop)
        await self._start(self.config_history.start, self.config_history.stop)
        self._stops.append(self.probe.aclose)
        await self._start(self.fleet.start, self.fleet.stop)
        if self.swarm_engine is not None:
            self._stops.append(self.swarm_engine.close)
        if self.swarm_cache is not None:
            # no waiting for the first read: until it is done the swarm reads ask the engine
            await self._start(self.swarm_cache.start, self.swarm_cache.stop)
        if self.annotator is not None:
            await self._start(self.annotator.start, self.annotator.stop)
        if self.deployments is not None:
            await self._start(self.deployments.start, self.deployments.stop)
        if self.discovery is not None:
            await self._start(self.discovery.start, self.discovery.stop)
        if self.swarm_engine is not None:
            self.drift.start()
            self._stops.append(self.drift.stop)
        # Last: a job taken over at start-up needs placement and the fleet.
        await self.engine.start()

    async def _seed_flags(self) -> None:
        """CONTROL_FLAGS_SEED_FILE: the `flags` document when none is stored yet."""
        path = self.settings.config.flags_seed_file
        if path is None:
            return
        raw = path.read_bytes()
        try:
            msgspec.json.decode(raw, type=Flags)
        except (msgspec.DecodeError, msgspec.ValidationError) as e:
            raise SettingsError(f"CONTROL_FLAGS_SEED_FILE is invalid: {e}") from e
        if (await self.config_store.read(FLAGS_ID)).raw is not None:
            return
        with contextlib.suppress(StaleWrite):  # another replica seeded it first
            await self.config_store.write(FLAGS_ID, raw, None)
            _log.info("flags seeded", seed_file=str(path))

    async def _start(self, start: Step, stop: Step) -> None:
        await start()
        self._stops.append(stop)

    async def readiness(self) -> tuple[dict[str, str], StateReplication | None]:
        """Every bucket and stream the API needs must exist and have a leader (JetStream
        quorum); the report names each one's replicas and leader either way."""
        buckets = [b.name for b in _BUCKETS]
        if self.settings.placement.source == "nats":
            buckets.append(BUCKET_PLACEMENT.name)
        report = await self.nats.readiness(buckets, [s.name for s in _STREAMS])
        state = StateReplication(
            replicas=report.replicas,
            chosen_by=report.replicas_source,
            server=report.server,
            streams={
                name: StreamReplication(h.replicas, h.leader)
                for name, h in sorted(report.streams.items())
            },
        )
        return report.failures, state

    async def stop(self) -> None:
        while self._stops:
            stop = self._stops.pop()
            with contextlib.suppress(Exception):
                await stop()
