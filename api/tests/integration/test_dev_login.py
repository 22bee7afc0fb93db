"""Demo dev login through the API against the real devfleet Gateway, then use the token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cloudlysis_devfleet import GatewayConfig, create_gateway_app
from litestar.testing import AsyncTestClient

from cloudlysis_control.bootstrap.app import create_app
from cloudlysis_control.core.settings import Settings
from tests.support.net import serve_in_thread

pytestmark = pytest.mark.integration


@pytest.fixture
def gateway_url(tmp_path: Path) -> Iterator[str]:
    with serve_in_thread(create_gateway_app(GatewayConfig(data_dir=tmp_path / "gw"))) as url:
        yield url


def settings_for(nats_url: str, tmp_path: Path, gateway_url: str, dev_login: bool) -> Settings:
    return Settings.from_env(
        {
            "CONTROL_NATS_URL": nats_url,
            "CONTROL_DATA_DIR": str(tmp_path),
            "CONTROL_LOG_LEVEL": "warning",
            "CONTROL_JWKS_URL": f"{gateway_url}/.well-known/jwks.json",
            "CONTROL_GATEWAY_URL": gateway_url,
            "CONTROL_DEV_LOGIN": "true" if dev_login else "false",
        }
    )


async def test_dev_login_token_works_end_to_end(
    nats_url: str, tmp_path: Path, gateway_url: str
) -> None:
    app = create_app(settings_for(nats_url, tmp_path, gateway_url, dev_login=True))
    async with AsyncTestClient(app=app) as client:
        assert (await client.get("/admin/v1/ui-config")).json()["dev_login_enabled"] is True
        r = await client.post("/admin/v1/session/dev-login", json={"principal": "viewer"})
        assert r.status_code == 200, r.text
        token = r.json()
        assert token["principal_id"] == "viewer" and token["token_type"] == "Bearer"
        who = await client.get(
            "/admin/v1/whoami", headers={"authorization": f"Bearer {token['access_token']}"}
        )
        assert who.status_code == 200
        assert who.json()["session_id"] == token["session_id"]
        assert "control.jobs.read" in who.json()["rights"]
        assert "control.jobs.run" not in who.json()["rights"]
        r = await client.post("/admin/v1/session/dev-login", json={"principal": "mallory"})
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("application/problem+json")


async def test_dev_login_is_404_unless_enabled(
    nats_url: str, tmp_path: Path, gateway_url: str
) -> None:
    app = create_app(settings_for(nats_url, tmp_path, gateway_url, dev_login=False))
    async with AsyncTestClient(app=app) as client:
        assert (await client.get("/admin/v1/ui-config")).json()["dev_login_enabled"] is False
        r = await client.post("/admin/v1/session/dev-login", json={"principal": "admin"})
        assert r.status_code == 404


async def test_revoking_a_session_through_control_takes_effect_at_once(
    nats_url: str, tmp_path: Path, gateway_url: str
) -> None:
    app = create_app(settings_for(nats_url, tmp_path, gateway_url, dev_login=True))
    async with AsyncTestClient(app=app) as client:
        admin = (
            await client.post("/admin/v1/session/dev-login", json={"principal": "admin"})
        ).json()
        viewer = (
            await client.post("/admin/v1/session/dev-login", json={"principal": "viewer"})
        ).json()
        as_admin = {"authorization": f"Bearer {admin['access_token']}"}
        as_viewer = {"authorization": f"Bearer {viewer['access_token']}"}
        assert (await client.get("/admin/v1/whoami", headers=as_viewer)).status_code == 200
        r = await client.post(
            f"/admin/v1/iam/sessions/{viewer['session_id']}/revoke", headers=as_admin
        )
        assert r.status_code == 200, r.text
        # Within the 15 s rights TTL, yet refused: the revoke invalidated the cached rights.
        r = await client.get("/admin/v1/whoami", headers=as_viewer)
        assert r.status_code == 401
        assert "revoked" in r.json()["detail"]
        assert (await client.get("/admin/v1/whoami", headers=as_admin)).status_code == 200
