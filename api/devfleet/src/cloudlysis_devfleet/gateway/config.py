"""The simulated Gateway's settings."""

from dataclasses import dataclass
from pathlib import Path

SERVICE = "gateway"


@dataclass(frozen=True)
class GatewayConfig:
    data_dir: Path
    issuer: str = "cloudlysis-gateway"
    audience: str = "cloudlysis-control"
    token_ttl_s: int = 3600
    dev_login_enabled: bool = True
    version: str = "0.0.0-devfleet"
    git_sha: str = "devfleet"
    # NATS with the placement bucket: enables routing (reload, resolve). None: IAM only.
    nats_url: str | None = None
    # Or the dev placement file (CONTROL_PLACEMENT_SOURCE=file's): routing from it, polled.
    placement_file: Path | None = None

    def __post_init__(self) -> None:
        if self.token_ttl_s < 1:
            raise ValueError("token_ttl_s must be at least 1 second")
