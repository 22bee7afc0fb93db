"""Serves the built UI (ui/dist) at `/` with SPA fallback, for the demo's one-port setup.

API paths never fall back to index.html: an unknown /admin/... path is a 404 problem.
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path
from typing import Any

from litestar import Request, Response, get
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.response import File

from cloudlysis_control.core.errors import NotFound

API_PREFIXES = ("admin/", "schema", "health", "ready", "metrics")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
UI_HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _asset(root: Path, rel: str) -> Path | None:
    """The file under `root` that `rel` names, or None (the SPA's router owns the path)."""
    try:
        candidate = (root / rel).resolve()
        if candidate.is_relative_to(root) and candidate.is_file():
            return candidate
    except (OSError, ValueError):  # a name too long for the file system, and the like
        pass
    return None


def ui_handlers(ui_dir: Path) -> list[HTTPRouteHandler]:
    root = ui_dir.resolve()
    index = root / "index.html"

    def _serve(rel: str) -> Response[Any]:
        rel = rel.lstrip("/")
        if rel.startswith(API_PREFIXES) or _CONTROL_CHARS.search(rel):
            # Control characters name no asset and no client route: never a file-system call.
            raise NotFound("No such resource")
        candidate = (_asset(root, rel) if rel else None) or index
        immutable = candidate.parent.name == "assets"
        media_type = mimetypes.guess_type(candidate.name)[0] or "application/octet-stream"
        return File(
            path=candidate,
            media_type=media_type,
            content_disposition_type="inline",
            headers={
                **UI_HEADERS,
                "cache-control": "public, max-age=31536000, immutable" if immutable else "no-cache",
            },
        )

    @get("/", opt={"public": True}, include_in_schema=False, sync_to_thread=False)
    def ui_index(request: Request[Any, Any, Any]) -> Response[Any]:
        return _serve("")

    @get("/{path:path}", opt={"public": True}, include_in_schema=False, sync_to_thread=False)
    def ui_asset(request: Request[Any, Any, Any], path: FromPath[str]) -> Response[Any]:
        return _serve(path)

    return [ui_index, ui_asset]
