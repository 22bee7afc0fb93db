"""Serves the built UI (ui/dist) at `/` with SPA fallback, for the demo's one-port setup.

API paths never fall back to index.html: an unknown /admin/... path is a 404 problem. Neither does
a missing file under assets/ (a stale bundle asking for a chunk that a deploy replaced must not get
HTML back). The headers come from `ui_headers.toml`, the file the control-ui image's nginx
configuration is generated from (stacks/ui/generate.py): one source for both.
"""

from __future__ import annotations

import mimetypes
import re
import tomllib
from importlib.resources import files
from pathlib import Path
from typing import Any

from litestar import Request, Response, get
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.response import File

from cloudlysis_control.core.errors import NotFound

API_PREFIXES = ("admin/", "schema", "health", "ready", "metrics")
ASSETS_DIR = "assets"

_SOURCE = tomllib.loads(files(__package__).joinpath("ui_headers.toml").read_text("utf-8"))
UI_HEADERS: dict[str, str] = dict(_SOURCE["headers"])
CACHE_CONTROL_ASSETS: str = _SOURCE["cache-control"]["assets"]
CACHE_CONTROL_OTHER: str = _SOURCE["cache-control"]["other"]


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
    assets = root / ASSETS_DIR

    def _serve(rel: str) -> Response[Any]:
        rel = rel.lstrip("/")
        if rel.startswith(API_PREFIXES) or _CONTROL_CHARS.search(rel):
            # Control characters name no asset and no client route: never a file-system call.
            raise NotFound("No such resource")
        found = _asset(root, rel) if rel else None
        if found is None and (rel == ASSETS_DIR or rel.startswith(f"{ASSETS_DIR}/")):
            raise NotFound("No such resource")
        candidate = found or index
        immutable = candidate.is_relative_to(assets)
        media_type = mimetypes.guess_type(candidate.name)[0] or "application/octet-stream"
        return File(
            path=candidate,
            media_type=media_type,
            content_disposition_type="inline",
            headers={
                **UI_HEADERS,
                "cache-control": CACHE_CONTROL_ASSETS if immutable else CACHE_CONTROL_OTHER,
            },
        )

    @get("/", opt={"public": True}, include_in_schema=False, sync_to_thread=False)
    def ui_index(request: Request[Any, Any, Any]) -> Response[Any]:
        return _serve("")

    @get("/{path:path}", opt={"public": True}, include_in_schema=False, sync_to_thread=False)
    def ui_asset(request: Request[Any, Any, Any], path: FromPath[str]) -> Response[Any]:
        return _serve(path)

    return [ui_index, ui_asset]
