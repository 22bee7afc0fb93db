"""The admin UI's headers as the API's own static handler sends them, to compare with what the
control-ui image's nginx sends (tests/swarm/test_ui_image.py, the Swarm smoke). Both come from
webui/ui_headers.toml; these helpers read the API's real responses, not the file."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path

from litestar import Litestar
from litestar.testing import TestClient

from cloudlysis_control.webui.static import UI_HEADERS, ui_handlers

# The headers the two servers must agree on: the security headers and the caching policy.
UI_HEADER_NAMES = (*UI_HEADERS, "cache-control")
# What is compared, by kind of path: the index, a bundle file, a client route (SPA fallback).
PATH_KINDS = ("index", "asset", "route")


def ui_headers(headers: Mapping[str, str]) -> dict[str, str | None]:
    return {name: headers.get(name) for name in UI_HEADER_NAMES}


def api_ui_headers() -> dict[str, dict[str, str | None]]:
    """kind of path -> the UI headers the API's static handler answers it with."""
    with tempfile.TemporaryDirectory() as tmp:
        dist = Path(tmp)
        (dist / "assets").mkdir()
        (dist / "index.html").write_text("<!doctype html><title>ui</title>")
        (dist / "assets" / "app-1234.js").write_text("console.log(1)")
        paths = {"index": "/", "asset": "/assets/app-1234.js", "route": "/tenants/acme"}
        with TestClient(app=Litestar(route_handlers=ui_handlers(dist))) as client:
            answers = {kind: client.get(path) for kind, path in paths.items()}
    for kind, r in answers.items():
        assert r.status_code == 200, (kind, r.status_code, r.text)
    return {kind: ui_headers(r.headers) for kind, r in answers.items()}
