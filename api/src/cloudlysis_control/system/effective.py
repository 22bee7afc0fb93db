"""The effective, non-secret setup the API runs with (GET /admin/v1/settings): what the console
is connected to, without a shell. Never a secret: no key, token or password, URLs without their
user info, query or fragment, key sources by kind (and the JWKS URL, which is public)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from cloudlysis_control.core.settings import Settings
from cloudlysis_control.system.schemas import (
    AuthSetup,
    EffectiveSettings,
    GatewaySetup,
    Guardrails,
    JobsSetup,
    ObservabilitySetup,
    PlacementSetup,
    StateSetup,
    SwarmSetup,
)


def public_url(url: str | None) -> str | None:
    """The URL without credentials, query or fragment (a secret may hide in any of them)."""
    if url is None:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _key_source(s: Settings) -> str:
    if s.auth.jwks_url:
        return "jwks"
    if s.auth.public_key_file:
        return "public_key_file"
    if s.auth.hs256_secret_file:
        return "hs256_secret_file"
    return "none"


def effective_settings(s: Settings, explore: tuple[str, str] | None = None) -> EffectiveSettings:
    """`explore`: the Loki and Tempo Explore links (None without Grafana)."""
    obs, gw, ops = s.observability, s.gateway, s.ops
    return EffectiveSettings(
        version=s.build.version,
        git_sha=s.build.git_sha,
        instance_id=s.server.instance_id,
        state=StateSetup(
            backend="nats-jetstream",
            nats="embedded"
            if s.nats.url is None
            else ",".join(public_url(u) or "" for u in s.nats.url.split(",")),
            replicas="auto" if s.nats.replicas is None else s.nats.replicas,
            op_timeout_s=s.nats.op_timeout_s,
        ),
        placement=PlacementSetup(
            source=s.placement.source,
            seed_file=str(s.placement.seed_file) if s.placement.seed_file else None,
        ),
        swarm=SwarmSetup(
            mode=s.swarm.mode,
            discovery=s.swarm.mode != "off" and s.swarm.discovery,
            discovery_interval_s=s.swarm.discovery_interval_s,
            cache=s.swarm.mode != "off" and s.swarm.cache,
            resync_interval_s=s.swarm.resync_interval_s,
            drift_desired_stacks=s.drift.stacks_dir is not None,
            drift_interval_s=s.drift.interval_s,
        ),
        gateway=GatewaySetup(
            url=public_url(gw.url),
            public_url=public_url(gw.public_url),
            dev_login=gw.dev_login,
            password_login=gw.password_login and gw.url is not None,
            sso_client_id=gw.sso_client_id,
            timeout_s=gw.timeout_s,
        ),
        auth=AuthSetup(
            issuer=s.auth.issuer,
            audience=s.auth.audience,
            key_source=_key_source(s),
            jwks_url=public_url(s.auth.jwks_url),
            leeway_s=s.auth.leeway_s,
            rights_cache_ttl_s=s.auth.rights_cache_ttl_s,
        ),
        observability=ObservabilitySetup(
            grafana_url=public_url(obs.grafana_url),
            loki_explore_url=explore[0] if explore else None,
            tempo_explore_url=explore[1] if explore else None,
            loki_datasource_uid=obs.grafana_loki_uid,
            tempo_datasource_uid=obs.grafana_tempo_uid,
            otlp_endpoint=public_url(obs.otlp_endpoint),
            trace_sample_ratio=obs.trace_sample_ratio,
            log_level=obs.log_level,
        ),
        guardrails=Guardrails(
            max_lag=ops.max_lag,
            max_inflight=ops.max_inflight,
            drain_timeout_s=ops.drain_timeout_s,
            step_timeout_s=ops.step_timeout_s,
            verify_timeout_s=ops.verify_timeout_s,
        ),
        jobs=JobsSetup(workers=s.jobs.workers, lease_s=s.jobs.lease_s),
    )
