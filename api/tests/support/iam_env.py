"""The API with a real devfleet Gateway (JWKS, rights with tenant scope, IAM, sign-in) on real
sockets, for the IAM and tenant-scope suites. Placement is the demo's seed file (50 tenants)
with every shard endpoint moved to a port nothing listens on: tenant pages answer at once.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cloudlysis_devfleet import GatewayConfig, create_gateway_app, serve

from cloudlysis_control.bootstrap.app import create_app
from cloudlysis_control.core.settings import Settings
from tests.support.net import free_port

REPO = Path(__file__).resolve().parents[3]
SEED = REPO / "config" / "placement" / "dev.json"


@dataclass
class IamEnv:
    api: httpx.AsyncClient  # the control plane
    gateway: httpx.AsyncClient  # the devfleet Gateway, directly
    gateway_url: str
    settings: Settings

    async def token(self, principal: str) -> str:
        """A fresh session of `principal` from the Gateway's dev login."""
        r = await self.gateway.post("/auth/v1/dev-login", json={"principal": principal})
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])

    async def headers(self, principal: str, **extra: str) -> dict[str, str]:
        return {"authorization": f"Bearer {await self.token(principal)}", **extra}

    async def denials(self, correlation_id: str) -> list[dict[str, Any]]:
        """The authz.deny events of one request (read as admin)."""
        r = await self.api.get(
            "/admin/v1/audit",
            params={"correlation_id": correlation_id, "action": "authz.deny"},
            headers=await self.headers("admin"),
        )
        assert r.status_code == 200, r.text
        items: list[dict[str, Any]] = r.json()["items"]
        return items


def dead_placement(tmp_path: Path) -> Path:
    """The seed placement with its shard endpoints on a port that refuses connections."""
    dead = free_port()
    text = re.sub(r"//127\.0\.0\.1:87\d\d", f"//127.0.0.1:{dead}", SEED.read_text())
    path = tmp_path / f"placement-{uuid.uuid4().hex[:6]}.json"
    path.write_text(text)
    return path


@asynccontextmanager
async def iam_env(
    nats_url: str, tmp_path: Path, gateway: dict[str, Any] | None = None, **env: str
) -> AsyncIterator[IamEnv]:
    config = GatewayConfig(data_dir=tmp_path / f"gw-{uuid.uuid4().hex[:6]}", **(gateway or {}))
    async with serve(create_gateway_app(config)) as gateway_url:
        settings = Settings.from_env(
            {
                "CONTROL_NATS_URL": nats_url,
                "CONTROL_DATA_DIR": str(tmp_path),
                "CONTROL_LOG_LEVEL": "warning",
                "CONTROL_INSTANCE_ID": f"iam-{uuid.uuid4().hex[:8]}",
                "CONTROL_JWKS_URL": f"{gateway_url}/.well-known/jwks.json",
                "CONTROL_GATEWAY_URL": gateway_url,
                "CONTROL_DEV_LOGIN": "true",
                "CONTROL_PLACEMENT_SOURCE": "file",
                "CONTROL_PLACEMENT_FILE": str(dead_placement(tmp_path)),
                "CONTROL_TENANT_STATUS_TIMEOUT_S": "0.5",
                **env,
            }
        )
        app = create_app(settings)
        async with (
            serve(app) as url,
            httpx.AsyncClient(base_url=url, timeout=30) as api,
            httpx.AsyncClient(base_url=gateway_url, timeout=30) as gw,
        ):
            yield IamEnv(api, gw, gateway_url, settings)
