"""Typed settings read once from CONTROL_* environment variables.

One small frozen object per concern. An invalid value stops start-up with a SettingsError that
names the variable, so an operator knows which line of the stack file to fix.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from cloudlysis_control.core.errors import SettingsError
from cloudlysis_control.core.heap import GEN0_MIN

T = TypeVar("T")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class _Env:
    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def raw(self, name: str) -> str | None:
        value = self._environ.get(name)
        if value is None or value.strip() == "":
            return None
        return value.strip()

    def str_(self, name: str, default: str) -> str:
        return self.raw(name) or default

    def opt_str(self, name: str) -> str | None:
        return self.raw(name)

    def _parse(self, name: str, default: T, parse: Callable[[str], T], expected: str) -> T:
        raw = self.raw(name)
        if raw is None:
            return default
        try:
            return parse(raw)
        except (ValueError, TypeError) as e:
            raise SettingsError(f"{name}={raw!r} is invalid: expected {expected}") from e

    def int_(self, name: str, default: int, *, lo: int | None = None, hi: int | None = None) -> int:
        value = self._parse(name, default, int, "an integer")
        self._bounds(name, value, lo, hi)
        return value

    def float_(
        self, name: str, default: float, *, lo: float | None = None, hi: float | None = None
    ) -> float:
        value = self._parse(name, default, float, "a number")
        self._bounds(name, value, lo, hi)
        return value

    @staticmethod
    def _bounds(name: str, value: float, lo: float | None, hi: float | None) -> None:
        if lo is not None and value < lo:
            raise SettingsError(f"{name}={value} is invalid: must be >= {lo}")
        if hi is not None and value > hi:
            raise SettingsError(f"{name}={value} is invalid: must be <= {hi}")

    def bool_(self, name: str, default: bool) -> bool:
        raw = self.raw(name)
        if raw is None:
            return default
        if raw.lower() in _TRUE:
            return True
        if raw.lower() in _FALSE:
            return False
        raise SettingsError(f"{name}={raw!r} is invalid: expected true or false")

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        raw = self.raw(name)
        if raw is None:
            return default
        if raw not in choices:
            raise SettingsError(f"{name}={raw!r} is invalid: expected one of {', '.join(choices)}")
        return raw

    def url(self, name: str, schemes: tuple[str, ...] = ("http", "https")) -> str | None:
        raw = self.raw(name)
        if raw is None:
            return None
        if not re.match(rf"^({'|'.join(schemes)})://[^\s/]+", raw):
            raise SettingsError(
                f"{name}={raw!r} is invalid: expected a URL starting with "
                + " or ".join(f"{s}://" for s in schemes)
            )
        return raw.rstrip("/")

    def url_list(self, name: str, schemes: tuple[str, ...]) -> str | None:
        """A comma-separated list of URLs (each checked as `url` does); returned comma-joined."""
        raw = self.raw(name)
        if raw is None:
            return None
        urls = [u.strip().rstrip("/") for u in raw.split(",")]
        for i, u in enumerate(urls, 1):
            if not re.match(rf"^({'|'.join(schemes)})://[^\s/,]+$", u):
                raise SettingsError(
                    f"{name} is invalid: entry {i} ({u!r}) is not a URL starting with "
                    + " or ".join(f"{s}://" for s in schemes)
                )
        return ",".join(urls)

    def file(self, name: str) -> Path | None:
        raw = self.raw(name)
        if raw is None:
            return None
        path = Path(raw)
        if not path.is_file():
            raise SettingsError(f"{name}={raw!r} is invalid: no such file")
        return path


def _port(env: _Env) -> int:
    return env.int_("CONTROL_PORT", 8080, lo=0, hi=65535)


def server_port(environ: Mapping[str, str]) -> int:
    """CONTROL_PORT as the API reads it (the demo's API port too, unless --port is given)."""
    return _port(_Env(environ))


def _nats_replicas(env: _Env) -> int | None:
    """CONTROL_NATS_REPLICAS: `auto` (None) or 1..5."""
    raw = env.raw("CONTROL_NATS_REPLICAS")
    if raw is None or raw.lower() == "auto":
        return None
    return env.int_("CONTROL_NATS_REPLICAS", 1, lo=1, hi=5)


def _docker_host(env: _Env) -> str:
    raw = env.raw("CONTROL_DOCKER_HOST")
    if raw is None:
        return "unix:///var/run/docker.sock"
    if not re.match(r"^(unix:///\S+|(tcp|http|https)://[^\s/]+)", raw):
        raise SettingsError(
            f"CONTROL_DOCKER_HOST={raw!r} is invalid: expected unix:///path or tcp://host:port"
        )
    return raw


ASGI_SERVERS = ("uvicorn", "granian")


@dataclass(frozen=True, slots=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    ui_dir: Path | None = None
    instance_id: str = ""
    # Issue 19 — request path: the ASGI server and its worker processes per replica.
    asgi_server: str = "granian"
    workers: int = 1
    # Serving processes only (core/heap.py): the young generation's GC threshold, applied with
    # gc.freeze() once the app has started.
    gc_gen0_threshold: int = 10_000


@dataclass(frozen=True, slots=True)
class BuildSettings:
    version: str = "0.1.0"
    git_sha: str = "unknown"


@dataclass(frozen=True, slots=True)
class NatsSettings:
    # None → start an embedded nats-server. Otherwise one URL or several, comma-separated (the
    # servers of a cluster): the client connects to any and reconnects across all of them.
    url: str | None = None
    data_dir: Path = Path(".data")
    # Replicas of every bucket and stream; None = auto (3 on a JetStream cluster, else 1).
    replicas: int | None = None
    connect_timeout_s: float = 5.0
    op_timeout_s: float = 5.0


@dataclass(frozen=True, slots=True)
class AuthSettings:
    issuer: str = "cloudlysis-gateway"
    audience: str = "cloudlysis-control"
    hs256_secret_file: Path | None = None
    public_key_file: Path | None = None
    jwks_url: str | None = None
    leeway_s: int = 30
    rights_cache_ttl_s: float = 15.0


@dataclass(frozen=True, slots=True)
class GatewaySettings:
    url: str | None = None
    timeout_s: float = 5.0
    dev_login: bool = False
    # Sign-in through the Gateway: password login, and SSO (OIDC code + PKCE) when a client id
    # is set; the browser is sent to `public_url` (the Gateway as browsers reach it).
    password_login: bool = True
    public_url: str | None = None
    sso_client_id: str | None = None
    # The refresh token's cookie is `Secure` unless turned off (plain-HTTP demos only).
    cookie_secure: bool = True


@dataclass(frozen=True, slots=True)
class ObservabilitySettings:
    log_level: str = "info"
    log_format: str = "json"
    otlp_endpoint: str | None = None
    trace_sample_ratio: float = 1.0
    grafana_url: str | None = None
    grafana_loki_uid: str = "loki"
    grafana_tempo_uid: str = "tempo"


@dataclass(frozen=True, slots=True)
class JobSettings:
    workers: int = 8
    lease_s: float = 15.0
    fleet_file: Path | None = None
    probe_timeout_s: float = 2.0
    # Issue 19 — lease fencing (docs/jobs-and-locks.md, "Leases and fencing"): the owner renews
    # its lease every `renew_s`; when no renewal has succeeded for `lease_s - fence_margin_s` it
    # stops acting on the job (cancels the step, writes nothing more), `fence_margin_s` before
    # another replica may take it over. renew_s < lease_s - fence_margin_s.
    renew_s: float = 5.0
    fence_margin_s: float = 3.0


@dataclass(frozen=True, slots=True)
class PlacementSettings:
    source: str = "nats"  # "nats" | "file"
    file: Path = Path("config/placement/dev.json")
    seed_file: Path | None = None
    file_poll_s: float = 0.25


@dataclass(frozen=True, slots=True)
class FleetSettings:
    probe_concurrency: int = 64
    snapshot_max_age_s: float = 10.0
    tenant_status_timeout_s: float = 2.0


@dataclass(frozen=True, slots=True)
class OpsSettings:
    """Tenant drain / resume / migrate and config reload (docs/runbooks/tenant-operations.md)."""

    max_lag: int = 1000  # preflight: the tenant's lag on its source shard
    max_inflight: int = 100  # preflight: the tenant's inflight on its source shard
    drain_timeout_s: float = 60.0  # a drain waits this long for inflight to reach zero
    step_timeout_s: float = 30.0  # every other step (one HTTP round, a KV write, a reload)
    verify_timeout_s: float = 10.0  # how long the Gateway may take to resolve to the target


@dataclass(frozen=True, slots=True)
class SwarmSettings:
    mode: str = "off"  # "off" | "engine" | "file"
    file: Path | None = None
    docker_host: str = "unix:///var/run/docker.sock"
    timeout_s: float = 10.0
    health_timeout_s: float = 120.0
    discovery: bool = True
    discovery_interval_s: float = 15.0
    cache: bool = True  # answer the swarm reads from memory, kept current by the engine's events
    tasks_interval_s: float = 2.0  # tasks have no Swarm events: re-read this often
    resync_interval_s: float = 30.0  # a full re-read, in case an event was missed
    stale_after_s: float = 60.0  # no successful read for this long: the cache says `stale`


@dataclass(frozen=True, slots=True)
class GrafanaSettings:
    api_url: str | None = None  # where the API posts annotations; None: annotations off
    token_file: Path | None = None
    annotation_retries: int = 8


@dataclass(frozen=True, slots=True)
class MetricsSettings:
    """A Prometheus-API metrics store (VictoriaMetrics, Prometheus) the console's charts read."""

    url: str | None = None  # None: charts say the metrics store is not configured
    timeout_s: float = 5.0
    max_range_s: int = 7 * 86400
    # Identical chart queries (same query, window and step) within this many seconds (and
    # within one step) share one answer from the store; 0 turns the cache off.
    cache_s: float = 5.0


@dataclass(frozen=True, slots=True)
class ConfigSettings:
    """The config registry (docs/config-surfaces.md)."""

    # The repository root whose grafana/, vmagent/, loki/, tempo/ are shown read-only.
    assets_dir: Path | None = None
    agent_timeout_s: float = 5.0  # one call to an instance (reload, state, resolve)
    # Written as the `flags` document on first start when none is stored (the demo's short
    # playbook windows); a stored one is never overwritten.
    flags_seed_file: Path | None = None


@dataclass(frozen=True, slots=True)
class DriftSettings:
    """Drift (docs/drift.md): where desired stacks are, how often it looks. What a crash loop is
    comes from the guardrails' thresholds (the `flags` config domain)."""

    stacks_dir: Path | None = None  # one rendered stack file per stack; None: no desired stacks
    interval_s: float = 10.0


@dataclass(frozen=True, slots=True)
class AuditSettings:
    """Audit queries (issue 19, queries from JetStream): every search and export reads the
    CONTROL_AUDIT stream; this many of the newest events are also kept in memory as a cache
    that follows the stream (a page inside it is answered without reading the stream)."""

    cache_events: int = 200_000


@dataclass(frozen=True, slots=True)
class Settings:
    server: ServerSettings = field(default_factory=ServerSettings)
    build: BuildSettings = field(default_factory=BuildSettings)
    nats: NatsSettings = field(default_factory=NatsSettings)
    auth: AuthSettings = field(default_factory=AuthSettings)
    gateway: GatewaySettings = field(default_factory=GatewaySettings)
    observability: ObservabilitySettings = field(default_factory=ObservabilitySettings)
    jobs: JobSettings = field(default_factory=JobSettings)
    placement: PlacementSettings = field(default_factory=PlacementSettings)
    fleet: FleetSettings = field(default_factory=FleetSettings)
    ops: OpsSettings = field(default_factory=OpsSettings)
    swarm: SwarmSettings = field(default_factory=SwarmSettings)
    grafana: GrafanaSettings = field(default_factory=GrafanaSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    config: ConfigSettings = field(default_factory=ConfigSettings)
    drift: DriftSettings = field(default_factory=DriftSettings)
    audit: AuditSettings = field(default_factory=AuditSettings)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = _Env(os.environ if environ is None else environ)
        data_dir = Path(env.str_("CONTROL_DATA_DIR", ".data"))
        ui_dir_raw = env.opt_str("CONTROL_UI_DIR")
        ui_dir = Path(ui_dir_raw) if ui_dir_raw else None
        if ui_dir is not None and not ui_dir.is_dir():
            raise SettingsError(f"CONTROL_UI_DIR={ui_dir_raw!r} is invalid: no such directory")
        auth = AuthSettings(
            issuer=env.str_("CONTROL_TOKEN_ISSUER", "cloudlysis-gateway"),
            audience=env.str_("CONTROL_TOKEN_AUDIENCE", "cloudlysis-control"),
            hs256_secret_file=env.file("CONTROL_TOKEN_HS256_SECRET_FILE"),
            public_key_file=env.file("CONTROL_TOKEN_PUBLIC_KEY_FILE"),
            jwks_url=env.url("CONTROL_JWKS_URL"),
            leeway_s=env.int_("CONTROL_TOKEN_LEEWAY_S", 30, lo=0, hi=30),
            rights_cache_ttl_s=env.float_("CONTROL_RIGHTS_CACHE_TTL_S", 15.0, lo=0, hi=300),
        )
        sources = [
            n
            for n, v in (
                ("CONTROL_TOKEN_HS256_SECRET_FILE", auth.hs256_secret_file),
                ("CONTROL_TOKEN_PUBLIC_KEY_FILE", auth.public_key_file),
                ("CONTROL_JWKS_URL", auth.jwks_url),
            )
            if v is not None
        ]
        if len(sources) > 1:
            raise SettingsError(
                f"{' and '.join(sources)} are both set: configure exactly one token key source"
            )
        swarm = SwarmSettings(
            mode=env.choice("CONTROL_SWARM_MODE", "off", ("off", "engine", "file")),
            file=env.file("CONTROL_SWARM_FILE"),
            docker_host=_docker_host(env),
            timeout_s=env.float_("CONTROL_DOCKER_TIMEOUT_S", 10.0, lo=0.1, hi=300),
            health_timeout_s=env.float_("CONTROL_DEPLOY_HEALTH_TIMEOUT_S", 120.0, lo=1, hi=3600),
            discovery=env.bool_("CONTROL_SWARM_DISCOVERY", True),
            discovery_interval_s=env.float_(
                "CONTROL_SWARM_DISCOVERY_INTERVAL_S", 15.0, lo=1, hi=3600
            ),
            cache=env.bool_("CONTROL_SWARM_CACHE", True),
            tasks_interval_s=env.float_("CONTROL_SWARM_TASKS_INTERVAL_S", 2.0, lo=0.1, hi=300),
            resync_interval_s=env.float_("CONTROL_SWARM_RESYNC_INTERVAL_S", 30.0, lo=1, hi=3600),
            stale_after_s=env.float_("CONTROL_SWARM_STALE_AFTER_S", 60.0, lo=1, hi=86400),
        )
        if swarm.cache and swarm.stale_after_s <= swarm.tasks_interval_s:
            raise SettingsError(
                "CONTROL_SWARM_STALE_AFTER_S must be longer than CONTROL_SWARM_TASKS_INTERVAL_S "
                "(every tasks read that succeeds keeps the cache fresh)"
            )
        if swarm.mode == "file" and swarm.file is None:
            raise SettingsError("CONTROL_SWARM_MODE=file needs CONTROL_SWARM_FILE (a fixture)")
        grafana_url = env.url("CONTROL_GRAFANA_URL")
        grafana = GrafanaSettings(
            api_url=env.url("CONTROL_GRAFANA_API_URL") or grafana_url,
            token_file=env.file("CONTROL_GRAFANA_TOKEN_FILE"),
            annotation_retries=env.int_("CONTROL_GRAFANA_ANNOTATION_RETRIES", 8, lo=0, hi=100),
        )
        assets_raw = env.opt_str("CONTROL_CONFIG_ASSETS_DIR")
        assets_dir = Path(assets_raw) if assets_raw else None
        if assets_dir is not None and not assets_dir.is_dir():
            raise SettingsError(
                f"CONTROL_CONFIG_ASSETS_DIR={assets_raw!r} is invalid: no such directory"
            )
        stacks_raw = env.opt_str("CONTROL_DRIFT_STACKS_DIR")
        stacks_dir = Path(stacks_raw) if stacks_raw else None
        if stacks_dir is not None and not stacks_dir.is_dir():
            raise SettingsError(
                f"CONTROL_DRIFT_STACKS_DIR={stacks_raw!r} is invalid: no such directory"
            )
        if env.int_("CONTROL_WORKERS", 1, lo=1, hi=64) > 1 and env.raw("CONTROL_NATS_URL") is None:
            raise SettingsError(
                "CONTROL_WORKERS > 1 needs CONTROL_NATS_URL: without it every worker would start "
                "its own embedded nats-server on the same data directory"
            )
        return cls(
            audit=AuditSettings(
                cache_events=env.int_("CONTROL_AUDIT_CACHE_EVENTS", 200_000, lo=0, hi=10_000_000),
            ),
            drift=DriftSettings(
                stacks_dir=stacks_dir,
                interval_s=env.float_("CONTROL_DRIFT_INTERVAL_S", 10.0, lo=1, hi=3600),
            ),
            config=ConfigSettings(
                assets_dir=assets_dir,
                agent_timeout_s=env.float_("CONTROL_CONFIG_AGENT_TIMEOUT_S", 5.0, lo=0.1, hi=120),
                flags_seed_file=env.file("CONTROL_FLAGS_SEED_FILE"),
            ),
            swarm=swarm,
            grafana=grafana,
            metrics=MetricsSettings(
                url=env.url("CONTROL_METRICS_URL"),
                timeout_s=env.float_("CONTROL_METRICS_TIMEOUT_S", 5.0, lo=0.1, hi=120),
                cache_s=env.float_("CONTROL_METRICS_CACHE_S", 5.0, lo=0, hi=300),
            ),
            server=ServerSettings(
                host=env.str_("CONTROL_HOST", "127.0.0.1"),
                port=_port(env),
                ui_dir=ui_dir,
                instance_id=env.str_(
                    "CONTROL_INSTANCE_ID", f"{socket.gethostname()}-{os.getpid()}"
                ),
                asgi_server=env.choice("CONTROL_SERVER", "granian", ASGI_SERVERS),
                workers=env.int_("CONTROL_WORKERS", 1, lo=1, hi=64),
                gc_gen0_threshold=env.int_(
                    "CONTROL_GC_GEN0_THRESHOLD", 10_000, lo=GEN0_MIN, hi=1_000_000
                ),
            ),
            build=BuildSettings(
                version=env.str_("CONTROL_VERSION", "0.1.0"),
                git_sha=env.str_("CONTROL_GIT_SHA", "unknown"),
            ),
            nats=NatsSettings(
                url=env.url_list("CONTROL_NATS_URL", schemes=("nats", "tls")),
                data_dir=data_dir,
                replicas=_nats_replicas(env),
                connect_timeout_s=env.float_("CONTROL_NATS_CONNECT_TIMEOUT_S", 5.0, lo=0.1),
                op_timeout_s=env.float_("CONTROL_NATS_OP_TIMEOUT_S", 5.0, lo=0.1),
            ),
            auth=auth,
            gateway=GatewaySettings(
                url=env.url("CONTROL_GATEWAY_URL"),
                timeout_s=env.float_("CONTROL_UPSTREAM_TIMEOUT_S", 5.0, lo=0.05, hi=120),
                dev_login=env.bool_("CONTROL_DEV_LOGIN", False),
                password_login=env.bool_("CONTROL_PASSWORD_LOGIN", True),
                public_url=env.url("CONTROL_GATEWAY_PUBLIC_URL") or env.url("CONTROL_GATEWAY_URL"),
                sso_client_id=env.opt_str("CONTROL_SSO_CLIENT_ID"),
                cookie_secure=env.bool_("CONTROL_SESSION_COOKIE_SECURE", True),
            ),
            observability=ObservabilitySettings(
                log_level=env.choice(
                    "CONTROL_LOG_LEVEL", "info", ("debug", "info", "warning", "error")
                ),
                log_format=env.choice("CONTROL_LOG_FORMAT", "json", ("json", "console")),
                otlp_endpoint=env.url("CONTROL_OTLP_ENDPOINT"),
                trace_sample_ratio=env.float_("CONTROL_TRACE_SAMPLE_RATIO", 1.0, lo=0.0, hi=1.0),
                grafana_url=grafana_url,
                grafana_loki_uid=env.str_("CONTROL_GRAFANA_LOKI_UID", "loki"),
                grafana_tempo_uid=env.str_("CONTROL_GRAFANA_TEMPO_UID", "tempo"),
            ),
            jobs=_job_settings(env),
            placement=PlacementSettings(
                source=env.choice("CONTROL_PLACEMENT_SOURCE", "nats", ("nats", "file")),
                file=Path(env.str_("CONTROL_PLACEMENT_FILE", "config/placement/dev.json")),
                seed_file=env.file("CONTROL_PLACEMENT_SEED_FILE"),
                file_poll_s=env.float_("CONTROL_PLACEMENT_FILE_POLL_S", 0.25, lo=0.05, hi=60),
            ),
            fleet=FleetSettings(
                probe_concurrency=env.int_("CONTROL_FLEET_PROBE_CONCURRENCY", 64, lo=1, hi=1024),
                snapshot_max_age_s=env.float_(
                    "CONTROL_FLEET_SNAPSHOT_MAX_AGE_S", 10.0, lo=0.5, hi=3600
                ),
                tenant_status_timeout_s=env.float_(
                    "CONTROL_TENANT_STATUS_TIMEOUT_S", 2.0, lo=0.05, hi=60
                ),
            ),
            ops=OpsSettings(
                max_lag=env.int_("CONTROL_OPS_MAX_LAG", 1000, lo=0, hi=10**9),
                max_inflight=env.int_("CONTROL_OPS_MAX_INFLIGHT", 100, lo=0, hi=10**9),
                drain_timeout_s=env.float_("CONTROL_OPS_DRAIN_TIMEOUT_S", 60.0, lo=0.1, hi=3600),
                step_timeout_s=env.float_("CONTROL_OPS_STEP_TIMEOUT_S", 30.0, lo=0.1, hi=3600),
                verify_timeout_s=env.float_("CONTROL_OPS_VERIFY_TIMEOUT_S", 10.0, lo=0.1, hi=600),
            ),
        )


def _job_settings(env: _Env) -> JobSettings:
    lease_s = env.float_("CONTROL_JOB_LEASE_S", 15.0, lo=1.0, hi=600.0)
    renew_s = env.float_("CONTROL_JOB_RENEW_S", lease_s / 3, lo=0.05, hi=600.0)
    margin_s = env.float_("CONTROL_JOB_FENCE_MARGIN_S", lease_s / 5, lo=0.0, hi=600.0)
    if renew_s >= lease_s - margin_s:
        raise SettingsError(
            f"CONTROL_JOB_RENEW_S={renew_s:g} is invalid: must be < CONTROL_JOB_LEASE_S - "
            f"CONTROL_JOB_FENCE_MARGIN_S = {lease_s - margin_s:g} (a lease must survive a "
            "missed renewal before its owner fences itself)"
        )
    return JobSettings(
        workers=env.int_("CONTROL_JOB_WORKERS", 8, lo=1, hi=256),
        lease_s=lease_s,
        fleet_file=env.file("CONTROL_FLEET_FILE"),
        probe_timeout_s=env.float_("CONTROL_PROBE_TIMEOUT_S", 2.0, lo=0.05, hi=60),
        renew_s=renew_s,
        fence_margin_s=margin_s,
    )
