"""GET /admin/v1/settings's document without a server: the effective setup, never a secret."""

from __future__ import annotations

from pathlib import Path

import httpx
import msgspec

from cloudlysis_control.core.settings import Settings
from cloudlysis_control.investigate.explore import explore_home_urls
from cloudlysis_control.system.effective import effective_settings, public_url


def test_urls_lose_credentials_query_and_fragment() -> None:
    assert (
        public_url("nats://user:pw@nats.internal:4222/?token=t#f") == "nats://nats.internal:4222/"
    )
    assert public_url("https://grafana.example") == "https://grafana.example"
    assert httpx.URL(public_url("http://[::1]:8080/x?k=v") or "").host == "::1"
    assert public_url(None) is None


def test_the_effective_setup_names_what_runs_and_hides_every_secret(tmp_path: Path) -> None:
    secret = tmp_path / "hs256.secret"
    secret.write_bytes(b"s3cr3t-" * 8)
    s = Settings.from_env(
        {
            "CONTROL_NATS_URL": "nats://ops:hunter2@nats.internal:4222,nats://ops:hunter2@n2:4222",
            "CONTROL_NATS_REPLICAS": "3",
            "CONTROL_TOKEN_HS256_SECRET_FILE": str(secret),
            "CONTROL_GATEWAY_URL": "https://svc:pw@gateway.internal:8443/?api_key=k",
            "CONTROL_GATEWAY_PUBLIC_URL": "https://gw.example",
            "CONTROL_SSO_CLIENT_ID": "cloudlysis-control",
            "CONTROL_GRAFANA_URL": "https://grafana.example",
            "CONTROL_OTLP_ENDPOINT": "https://tempo.example:4318/?token=abc",
            "CONTROL_RIGHTS_CACHE_TTL_S": "7",
            "CONTROL_OPS_MAX_LAG": "123",
            "CONTROL_SWARM_MODE": "off",
        }
    )
    links = explore_home_urls("https://grafana.example", "loki", "tempo")
    doc = effective_settings(s, links)
    text = msgspec.json.encode(doc).decode()
    for secret_text in ("hunter2", "ops:", "svc:pw", "api_key", "token=abc", "s3cr3t"):
        assert secret_text not in text, secret_text
    assert doc.state.nats == "nats://nats.internal:4222,nats://n2:4222"
    assert doc.state.replicas == 3
    assert doc.gateway.url == "https://gateway.internal:8443/"
    assert (
        doc.gateway.public_url == "https://gw.example"
        and doc.gateway.sso_client_id == "cloudlysis-control"
    )
    assert doc.auth.key_source == "hs256_secret_file" and doc.auth.rights_cache_ttl_s == 7
    assert doc.guardrails.max_lag == 123
    assert doc.observability.otlp_endpoint == "https://tempo.example:4318/"
    assert doc.observability.loki_explore_url == links[0]
    assert links[0].startswith("https://grafana.example/explore?") and "loki" in links[0]
    assert '"traceqlSearch"' in httpx.URL(links[1]).params["panes"]
    assert effective_settings(Settings.from_env({})).state.nats == "embedded"
    assert effective_settings(Settings.from_env({})).state.replicas == "auto"
