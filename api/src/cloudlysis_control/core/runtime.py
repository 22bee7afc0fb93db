"""Everything the app holds while it runs, built in the lifespan and torn down in reverse."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

import httpx

from cloudlysis_control.adapters.docker.engine import DockerEngine
from cloudlysis_control.adapters.docker.fixture import FixtureEngine
from cloudlysis_control.adapters.gateway import GatewayClient
from cloudlysis_control.adapters.grafana import GrafanaAnnotator
from cloudlysis_control.adapters.http import make_async_client
from cloudlysis_control.adapters.jwks import HttpJwksFetcher
from cloudlysis_control.adapters.nats.server import EmbeddedNatsServer
from cloudlysis_control.adapters.nats.state import (
    BUCKET_IDEMPOTENCY,
    BUCKET_JOBS,
    BUCKET_LOCKS,
    STREAM_AUDIT,
    STREAM_DEPLOYMENTS,
    NatsEventLog,
    NatsKeyValue,
    NatsState,
)
from cloudlysis_control.adapters.probe import ProbeClient
from cloudlysis_control.adapters.service_admin import ServiceAdminClient
from cloudlysis_control.audit.service import AuditService
from cloudlysis_control.auth.keys import JwksKeySource, KeySource, StaticKeySource
from cloudlysis_control.auth.rights import RightsResolver, RightsSource, SessionRights
from cloudlysis_control.auth.tokens import TokenVerifier
from cloudlysis_control.core.clock import cancel_and_wait
from cloudlysis_control.core.errors import ControlError, SettingsError, UpstreamUnavailable
from cloudlysis_control.core.logging import get_logger
from cloudlysis_control.core.metrics import Metrics
from cloudlysis_control.core.settings import Settings
from cloudlysis_control.deployments.jobs import ServiceDeploy, ServiceRollback
from cloudlysis_control.deployments.service import DeploymentService
from cloudlysis_control.fleet.registry import FleetService, load_fleet_file
from cloudlysis_control.fleet.snapshot import FleetSnapshotService
from cloudlysis_control.jobs.engine import JobEngine
from cloudlysis_control.jobs.kinds import KindRegistry
from cloudlysis_control.jobs.service import JobService
from cloudlysis_control.jobs.store import JobStore
from cloudlysis_control.jobs.verify import PlatformVerify
from cloudlysis_control.locks.service import LockService
from cloudlysis_control.operations.kinds import (
    ConfigReload,
    OpsDeps,
    TenantDrain,
    TenantMigrate,
    TenantResume,
)
from cloudlysis_control.operations.preflight import Preflight
from cloudlysis_control.operations.schemas import Thresholds
from cloudlysis_control.operations.service import OperationsService
from cloudlysis_control.placement.runtime import BUCKET_PLACEMENT, PlacementRuntime
from cloudlysis_control.swarm.ports import SwarmEngine
from cloudlysis_control.swarm.service import SwarmView
from cloudlysis_control.tenants.service import TenantService

_log = get_logger("control.runtime")


class GatewayRightsSource:
    def __init__(self, gateway: GatewayClient | None) -> None:
        self.gateway = gateway

    async def lookup(self, authorization: str, sub: str, sid: str) -> SessionRights:
        if self.gateway is None:
            raise UpstreamUnavailable("no Gateway is configured to resolve rights")
        answer = await self.gateway.rights(authorization, sub, sid)
        return SessionRights(answer.session_status, frozenset(answer.rights))


def static_key_source(settings: Settings) -> StaticKeySource | None:
    """The configured secret or PEM key (read now), None when keys come from a JWKS URL."""
    auth = settings.auth
    try:
        if auth.hs256_secret_file is not None:
            return StaticKeySource.from_hs256_secret_file(auth.hs256_secret_file)
        if auth.public_key_file is not None:
            return StaticKeySource.from_pem_file(auth.public_key_file)
    except ValueError as e:
        var = (
            "CONTROL_TOKEN_HS256_SECRET_FILE"
            if auth.hs256_secret_file
            else "CONTROL_TOKEN_PUBLIC_KEY_FILE"
        )
        raise SettingsError(f"{var} is invalid: {e}") from e
    if auth.jwks_url is not None:
        return None
    raise SettingsError(
        "no token key source: set CONTROL_JWKS_URL, CONTROL_TOKEN_PUBLIC_KEY_FILE or "
        "CONTROL_TOKEN_HS256_SECRET_FILE"
    )


@dataclass
class Runtime:
    settings: Settings
    metrics: Metrics
    rights_source: RightsSource | None = None  # tests may inject one
    nats_server: EmbeddedNatsServer | None = None
    nats: NatsState | None = None
    http: httpx.AsyncClient | None = None
    gateway: GatewayClient | None = None
    audit: AuditService | None = None
    store: JobStore | None = None
    engine: JobEngine | None = None
    jobs: JobService | None = None
    verifier: TokenVerifier | None = None
    resolver: RightsResolver | None = None
    extra_kinds: list[Any] = field(default_factory=list)
    fleet_services: list[FleetService] = field(default_factory=list)
    static_keys: StaticKeySource | None = None
    placement: PlacementRuntime | None = None
    fleet: FleetSnapshotService | None = None
    probe: ProbeClient | None = None
    tenants: TenantService | None = None
    ops_deps: OpsDeps | None = None
    operations: OperationsService | None = None
    swarm_engine: SwarmEngine | None = None
    swarm: SwarmView | None = None
    deployments: DeploymentService | None = None
    annotator: GrafanaAnnotator | None = None
    _discovery: asyncio.Task[None] | None = None

    def _on_nats_connection(self, up: bool) -> None:
        self.metrics.nats_connected.set(1 if up else 0)
        if self.placement is not None:
            self.placement.on_nats_connection(up)

    def prepare(self) -> None:
        """Checks that need files or parsing, run before the server starts listening, so a bad
        setting stops start-up with a message naming the variable (not a lifespan traceback)."""
        self.fleet_services = load_fleet_file(self.settings.jobs.fleet_file)
        self.static_keys = static_key_source(self.settings)
        sw = self.settings.swarm
        if sw.mode == "file" and sw.file is not None:
            self.swarm_engine = FixtureEngine.from_file(sw.file)
        elif sw.mode == "engine":
            self.swarm_engine = DockerEngine(sw.docker_host, self.metrics, sw.timeout_s)
        self.swarm = SwarmView(self.swarm_engine)

    async def start(self) -> None:
        s = self.settings
        fleet = self.fleet_services
        self.http = make_async_client(s.gateway.timeout_s)
        self.verifier = TokenVerifier(
            key_source=self.static_keys or self._jwks_source(self.http),
            issuer=s.auth.issuer,
            audience=s.auth.audience,
            leeway_s=s.auth.leeway_s,
        )
        self.gateway = (
            GatewayClient(s.gateway.url, self.http, self.metrics) if s.gateway.url else None
        )
        self.resolver = RightsResolver(
            self.rights_source or GatewayRightsSource(self.gateway), ttl_s=s.auth.rights_cache_ttl_s
        )
        url = s.nats.url
        if url is None:
            self.nats_server = EmbeddedNatsServer(s.nats.data_dir / "nats")
            await self.nats_server.start()
            url = self.nats_server.url
        self.nats = NatsState(
            url=url,
            replicas=s.nats.replicas,
            connect_timeout_s=s.nats.connect_timeout_s,
            op_timeout_s=s.nats.op_timeout_s,
            on_connection_change=self._on_nats_connection,
        )
        await self.nats.connect()
        await self.nats.provision(
            [BUCKET_JOBS, BUCKET_IDEMPOTENCY, BUCKET_LOCKS], [STREAM_AUDIT, STREAM_DEPLOYMENTS]
        )
        self.audit = AuditService(
            NatsEventLog(self.nats, STREAM_AUDIT, "control.audit.events"), self.metrics
        )
        await self.audit.start()
        self.store = JobStore(NatsKeyValue(self.nats, BUCKET_JOBS))
        kinds = KindRegistry()
        # Probes get their own pool: in flight at most 3 requests per probed instance times the
        # snapshot's concurrency; idle connections (≤ 3 per instance) are reused next snapshot.
        self.probe = ProbeClient(self.metrics, s.jobs.probe_timeout_s)
        kinds.register(PlatformVerify(fleet, self.probe))
        self._swarm_kinds(kinds)
        self.locks = LockService(
            NatsKeyValue(self.nats, BUCKET_LOCKS), instance_id=s.server.instance_id
        )
        self.placement = PlacementRuntime(s.placement, self.nats)
        self.ops_deps = self._ops_deps(fleet)
        for ops_kind in (
            TenantDrain(self.ops_deps),
            TenantResume(self.ops_deps),
            TenantMigrate(self.ops_deps),
            ConfigReload(self.ops_deps),
        ):
            kinds.register(ops_kind)
        for kind in self.extra_kinds:
            kinds.register(kind)
        self.engine = JobEngine(
            self.store,
            kinds,
            self.audit,
            self.metrics,
            instance_id=s.server.instance_id,
            lease_s=s.jobs.lease_s,
            workers=s.jobs.workers,
            locks=self.locks,
        )
        self.jobs = JobService(
            self.store,
            NatsKeyValue(self.nats, BUCKET_IDEMPOTENCY),
            kinds,
            self.engine,
            self.audit,
            locks=self.locks,
        )
        await self.store.start()
        await self._start_placement_and_fleet(fleet)
        self.operations = OperationsService(self.ops_deps, self.jobs, self.audit)
        if self.annotator is not None:
            await self.annotator.start()
        if self.deployments is not None:
            await self.deployments.start()
            if self.settings.swarm.discovery:
                self._discovery = asyncio.create_task(self._discover(), name="swarm-discovery")

        # Last: a job taken over at start-up needs placement and the fleet.
        await self.engine.start()

    def _ops_deps(self, fleet: list[FleetService]) -> OpsDeps:
        s = self.settings
        assert self.nats is not None
        assert self.http is not None
        assert self.placement is not None
        assert self.probe is not None
        admin = ServiceAdminClient(self.http, self.metrics, s.fleet.tenant_status_timeout_s)
        preflight = Preflight(
            self.placement.service,
            self.probe,
            admin,
            self.locks,
            Thresholds(max_lag=s.ops.max_lag, max_inflight=s.ops.max_inflight),
            timeout_s=s.fleet.tenant_status_timeout_s,
        )
        return OpsDeps(
            placement=self.placement.service,
            placement_kv=(
                NatsKeyValue(self.nats, BUCKET_PLACEMENT) if s.placement.source == "nats" else None
            ),
            admin=admin,
            gateway=self.gateway,
            preflight=preflight,
            settings=s.ops,
            fleet=fleet,
        )

    def _swarm_kinds(self, kinds: KindRegistry) -> None:
        """Deployments and the deploy/rollback jobs exist only when a Swarm is configured."""
        s = self.settings
        if self.swarm_engine is None:
            return
        assert self.nats is not None
        assert self.http is not None
        if s.grafana.api_url is not None:
            self.annotator = GrafanaAnnotator(
                self.http,
                s.grafana.api_url,
                self.metrics,
                token_file=s.grafana.token_file,
                retries=s.grafana.annotation_retries,
            )
        self.deployments = DeploymentService(
            NatsEventLog(self.nats, STREAM_DEPLOYMENTS, "control.deployments.events"),
            self.swarm_engine,
            self.metrics,
            self.annotator,
        )
        assert self.probe is not None
        prober = self.probe
        timeout = s.swarm.health_timeout_s
        kinds.register(ServiceDeploy(self.swarm_engine, self.deployments, prober, timeout))
        kinds.register(ServiceRollback(self.swarm_engine, self.deployments, prober, timeout))

    async def _discover(self) -> None:
        """Swarm services labelled with a kind and an admin address join the fleet."""
        assert self.swarm is not None
        while True:
            try:
                if self.fleet is not None:
                    self.fleet.set_discovered(await self.swarm.discover_fleet())
            except ControlError as e:
                _log.warning("swarm fleet discovery failed", error=e.detail)
            await asyncio.sleep(self.settings.swarm.discovery_interval_s)

    async def _start_placement_and_fleet(self, fleet: list[Any]) -> None:
        s = self.settings
        assert self.nats is not None
        assert self.http is not None
        assert self.placement is not None
        await self.placement.start()
        assert self.probe is not None
        self.fleet = FleetSnapshotService(
            fleet,
            self.probe,
            concurrency=s.fleet.probe_concurrency,
            timeout_s=s.jobs.probe_timeout_s,
            max_age_s=s.fleet.snapshot_max_age_s,
        )
        await self.fleet.start()
        self.tenants = TenantService(
            self.placement.service,
            self.fleet,
            ServiceAdminClient(self.http, self.metrics, s.fleet.tenant_status_timeout_s),
            self.jobs,
            self.audit,
            status_timeout_s=s.fleet.tenant_status_timeout_s,
        )

    def _jwks_source(self, http: httpx.AsyncClient) -> KeySource:
        s = self.settings
        assert s.auth.jwks_url is not None  # static_key_source() returned None only for JWKS
        fetcher = HttpJwksFetcher(http, timeout_s=s.gateway.timeout_s, metrics=self.metrics)
        return JwksKeySource(fetcher, s.auth.jwks_url)

    async def readiness(self) -> dict[str, str]:
        if self.nats is None:
            return {"nats": "not started"}
        buckets = [BUCKET_JOBS.name, BUCKET_IDEMPOTENCY.name, BUCKET_LOCKS.name]
        if self.settings.placement.source == "nats":
            buckets.append(BUCKET_PLACEMENT.name)
        return await self.nats.readiness(buckets, [STREAM_AUDIT.name])

    async def stop(self) -> None:
        if self._discovery is not None:
            await cancel_and_wait([self._discovery])
        for stopper in (
            self.deployments.stop if self.deployments else None,
            self.annotator.stop if self.annotator else None,
            self.swarm_engine.close if self.swarm_engine else None,
            self.fleet.stop if self.fleet else None,
            self.placement.stop if self.placement else None,
            self.probe.aclose if self.probe else None,
            self.engine.stop if self.engine else None,
            self.store.stop if self.store else None,
            self.audit.stop if self.audit else None,
            self.nats.close if self.nats else None,
            self.http.aclose if self.http else None,
            self.nats_server.stop if self.nats_server else None,
        ):
            if stopper is not None:
                with contextlib.suppress(Exception):
                    await stopper()
