"""The simulated Gateway's settings."""

from dataclasses import dataclass
from pathlib import Path

SERVICE = "gateway"


@dataclass(frozen=True)
class GatewayConfig:
    data_dir: Path
    issuer: str = "cloudlysis-gateway"
    audience: str = "cloudlysis-control"
    token_ttl_s: int = 3600  # dev login: the token's and its session's lifetime
    # Password and SSO sign-in: access tokens live `access_ttl_s`, refreshed (rotating refresh
    # token) until the session's `session_ttl_s` has passed.
    access_ttl_s: int = 900
    session_ttl_s: int = 8 * 3600
    # Failed sign-ins per user name before the Gateway answers 429, and the window they count in.
    login_max_failures: int = 5
    login_window_s: int = 300
    # The OIDC client the control plane signs in as, and the redirect URIs registered for it.
    sso_client_id: str = "cloudlysis-control"
    sso_redirect_uris: tuple[str, ...] = ()
    dev_login_enabled: bool = True
    version: str = "0.0.0-devfleet"
    git_sha: str = "devfleet"
    # NATS with the placement bucket: enables routing (reload, resolve). None: IAM only.
    nats_url: str | None = None
    baseline_error_ratio: float = 0.0  # share of routed tenant requests a good build fails
    # Or the dev placement file (CONTROL_PLACEMENT_SOURCE=file's): routing from it, polled.
    placement_file: Path | None = None

    def __post_init__(self) -> None:
        if self.token_ttl_s < 1:
            raise ValueError("token_ttl_s must be at least 1 second")
        if not 1 <= self.access_ttl_s <= self.session_ttl_s:
            raise ValueError("access_ttl_s must be between 1 second and session_ttl_s")
