from __future__ import annotations

from typing import Literal

import msgspec


class Health(msgspec.Struct):
    status: Literal["ok"]


class StreamReplication(msgspec.Struct):
    """A bucket's (its `KV_<bucket>` stream's) or stream's replication, as the server reports it."""

    replicas: int | None  # configured on the server; None when its info did not answer
    leader: str | None  # the server leading it; None: no leader (no quorum of its replicas)


class StateReplication(msgspec.Struct):
    """The replication every bucket and stream is created with, how it was chosen
    (CONTROL_NATS_REPLICAS or `auto`), the server this replica is connected to, and each
    bucket's and stream's replicas and leader."""

    replicas: int | None  # None until chosen at start-up
    chosen_by: str
    server: str | None
    streams: dict[str, StreamReplication]


class Readiness(msgspec.Struct):
    status: Literal["ready", "not_ready"]
    dependencies: dict[str, str]
    state: StateReplication | None = None


class SsoConfig(msgspec.Struct):
    """Where the console sends the browser for single sign-on (OIDC code + PKCE)."""

    authorize_url: str
    client_id: str


class UiConfig(msgspec.Struct):
    dev_login_enabled: bool
    version: str
    git_sha: str
    grafana_base_url: str | None
    password_login_enabled: bool = False
    sso: SsoConfig | None = None


class RightInfo(msgspec.Struct):
    right: str
    area: str
    description: str


class StateSetup(msgspec.Struct):
    backend: str
    nats: str  # "embedded", or the servers' URLs (comma-separated) without credentials
    replicas: int | Literal["auto"]  # as configured; /ready shows what was chosen
    op_timeout_s: float


class PlacementSetup(msgspec.Struct):
    source: str
    seed_file: str | None


class SwarmSetup(msgspec.Struct):
    mode: str
    discovery: bool
    discovery_interval_s: float
    cache: bool = False  # reads answered from the event-fed cache
    resync_interval_s: float = 30.0
    # Drift (docs/drift.md): whether desired stacks are configured (not where: a server path)
    drift_desired_stacks: bool = False
    drift_interval_s: float = 10.0


class GatewaySetup(msgspec.Struct):
    url: str | None
    public_url: str | None
    dev_login: bool
    password_login: bool
    sso_client_id: str | None
    timeout_s: float


class AuthSetup(msgspec.Struct):
    issuer: str
    audience: str
    key_source: str  # jwks | public_key_file | hs256_secret_file | none
    jwks_url: str | None
    leeway_s: int
    rights_cache_ttl_s: float


class ObservabilitySetup(msgspec.Struct):
    grafana_url: str | None
    loki_explore_url: str | None  # Grafana Explore on the logs (Loki)
    tempo_explore_url: str | None  # Grafana Explore on a trace search (Tempo)
    loki_datasource_uid: str
    tempo_datasource_uid: str
    otlp_endpoint: str | None
    trace_sample_ratio: float
    log_level: str


class Guardrails(msgspec.Struct):
    """The preflight thresholds and timeouts of tenant operations."""

    max_lag: int
    max_inflight: int
    drain_timeout_s: float
    step_timeout_s: float
    verify_timeout_s: float


class JobsSetup(msgspec.Struct):
    workers: int
    lease_s: float


class EffectiveSettings(msgspec.Struct):
    version: str
    git_sha: str
    instance_id: str
    state: StateSetup
    placement: PlacementSetup
    swarm: SwarmSetup
    gateway: GatewaySetup
    auth: AuthSetup
    observability: ObservabilitySetup
    guardrails: Guardrails
    jobs: JobsSetup


class WhoAmI(msgspec.Struct):
    principal_id: str
    session_id: str
    rights: list[str]  # platform-wide
    # Rights held on some tenants only: right → those tenants (sorted).
    tenant_rights: dict[str, list[str]] = msgspec.field(default_factory=dict)
