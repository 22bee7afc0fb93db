"""The API serves the built UI at / with SPA fallback and strict security headers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from cloudlysis_control.bootstrap.app import create_app
from tests.support.auth import FakeRights, bearer
from tests.support.settings import app_settings

pytestmark = pytest.mark.integration


@pytest.fixture
async def ui_client(
    nats_url: str, secret_file: Path, tmp_path: Path, rights: FakeRights
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>Cloudlysis Control</title>")
    (dist / "assets" / "app-1234.js").write_text("console.log('ui')")
    (tmp_path / "secret.txt").write_text("outside the ui dir")
    settings = app_settings(nats_url, secret_file, tmp_path, CONTROL_UI_DIR=str(dist))
    async with AsyncTestClient(app=create_app(settings, rights_source=rights)) as c:
        yield c


async def test_index_and_spa_fallback(ui_client: AsyncTestClient[Litestar]) -> None:
    for path in ("/", "/jobs/j_123", "/audit?actor=x"):
        r = await ui_client.get(path)
        assert r.status_code == 200, path
        assert "Cloudlysis Control" in r.text
        csp = r.headers["content-security-policy"]
        assert (
            "script-src 'self'" in csp
            and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        )
        assert "frame-ancestors 'none'" in csp
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["cache-control"] == "no-cache"


async def test_assets_are_immutable(ui_client: AsyncTestClient[Litestar]) -> None:
    r = await ui_client.get("/assets/app-1234.js")
    assert r.status_code == 200 and "console.log" in r.text
    assert "immutable" in r.headers["cache-control"]
    assert "javascript" in r.headers["content-type"]


async def test_no_traversal_out_of_the_ui_dir(ui_client: AsyncTestClient[Litestar]) -> None:
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt"):
        r = await ui_client.get(path)
        assert "outside the ui dir" not in r.text, path


async def test_api_paths_never_fall_back_to_the_ui(ui_client: AsyncTestClient[Litestar]) -> None:
    r = await ui_client.get("/admin/v1/nope")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert (await ui_client.get("/health")).json() == {"status": "ok"}
    assert (await ui_client.get("/admin/v1/whoami")).status_code == 401
    assert (await ui_client.get("/admin/v1/whoami", headers=bearer())).status_code == 200


async def test_a_missing_bundle_file_is_a_404_not_the_index(
    ui_client: AsyncTestClient[Litestar],
) -> None:
    """A page from before a deploy asks for a chunk that is gone: HTML with a 200 would be run
    as JavaScript (or fail as the wrong type); the control-ui image's nginx answers 404 too."""
    for path in ("/assets/gone-1234.js", "/assets/", "/assets", "/assets/../assets/gone.css"):
        r = await ui_client.get(path)
        assert r.status_code == 404, path
        assert r.headers["content-type"].startswith("application/problem+json"), path
        assert "Cloudlysis Control" not in r.text
