"""Static server for the built admin UI (ui/dist), with the API's security headers.

Runs in the control-ui image (ui/Dockerfile). Standard library only.

- ``GET``/``HEAD`` of a file under ``UI_DIR`` serves it; any other path falls back to
  ``index.html`` (the client router owns it), like ``cloudlysis_control.webui.static``.
- ``/admin/...`` and ``/health`` are forwarded to ``UI_API_URL`` (the control API), so the UI
  keeps calling its own origin (its CSP has ``connect-src 'self'``).
- ``/healthz`` is this server's own health check.

Settings (environment): ``UI_DIR`` (default ``/srv/ui``), ``UI_HOST`` (``0.0.0.0``),
``UI_PORT`` (``8080``), ``UI_API_URL`` (``http://api:8080``), ``UI_API_TIMEOUT_S`` (``30``).
"""

from __future__ import annotations

import http.client
import json
import mimetypes
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

# Same values as api/src/cloudlysis_control/webui/static.py (a test keeps them equal).
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
PROXY_PREFIXES = ("/admin/", "/health")
API_ONLY_PREFIXES = ("/schema", "/ready", "/metrics")  # never served by the UI
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}
MAX_BODY = 10 * 1024 * 1024


def _is_proxied(path: str) -> bool:
    return path == "/health" or path.startswith("/admin/") or path == "/admin"


class Handler(BaseHTTPRequestHandler):
    server_version = "cloudlysis-ui"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    root: Path = Path("/srv/ui")
    api: str = "http://api:8080"
    api_timeout_s: float = 30.0

    def log_message(self, format: str, *args: object) -> None:
        line = {
            "msg": "request",
            "line": self.requestline,
            "status": args[1] if len(args) > 1 else None,
        }
        sys.stderr.write(json.dumps(line) + "\n")

    # ------------------------------------------------------------ dispatch
    def do_GET(self) -> None:
        self._dispatch(head=False)

    def do_HEAD(self) -> None:
        self._dispatch(head=True)

    def do_POST(self) -> None:
        self._proxy_or_405()

    def do_PUT(self) -> None:
        self._proxy_or_405()

    def do_PATCH(self) -> None:
        self._proxy_or_405()

    def do_DELETE(self) -> None:
        self._proxy_or_405()

    def _dispatch(self, head: bool) -> None:
        path = urlsplit(self.path).path
        if path == "/healthz":
            self._send(200, b"ok\n", "text/plain; charset=utf-8", head, {})
        elif _is_proxied(path):
            self._proxy()
        elif path.startswith(API_ONLY_PREFIXES):
            self._send(404, b"not found\n", "text/plain; charset=utf-8", head, {})
        else:
            self._static(path, head)

    def _proxy_or_405(self) -> None:
        if _is_proxied(urlsplit(self.path).path):
            self._proxy()
        else:
            self._discard_body()
            self._send(405, b"method not allowed\n", "text/plain; charset=utf-8", False, {})

    def _discard_body(self) -> None:
        """Consume a request body we do not use, or close: keep-alive must stay in sync."""
        length = int(self.headers.get("content-length") or 0)
        if 0 < length <= MAX_BODY:
            self.rfile.read(length)
        elif length:
            self.close_connection = True

    # ------------------------------------------------------------ static files
    def _static(self, path: str, head: bool) -> None:
        rel = path.lstrip("/")
        index = self.root / "index.html"
        candidate = (self.root / rel).resolve() if rel else index
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            candidate = index  # SPA fallback
        immutable = candidate.parent.name == "assets"
        media_type = mimetypes.guess_type(candidate.name)[0] or "application/octet-stream"
        body = candidate.read_bytes()
        cache = "public, max-age=31536000, immutable" if immutable else "no-cache"
        self._send(200, body, media_type, head, {**UI_HEADERS, "cache-control": cache})

    def _send(
        self, status: int, body: bytes, media_type: str, head: bool, headers: dict[str, str]
    ) -> None:
        self.send_response(status)
        self.send_header("content-type", media_type)
        self.send_header("content-length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    # ------------------------------------------------------------ reverse proxy
    def _proxy(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            self._send(413, b"request too large\n", "text/plain; charset=utf-8", False, {})
            return
        body = self.rfile.read(length) if length else None
        upstream = urlsplit(self.api)
        conn_cls = (
            http.client.HTTPSConnection
            if upstream.scheme == "https"
            else http.client.HTTPConnection
        )
        conn = conn_cls(upstream.netloc, timeout=self.api_timeout_s)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["x-forwarded-for"] = self.client_address[0]
        headers["x-forwarded-host"] = self.headers.get("host", "")
        try:
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except OSError:
            self._send(502, b"control API unreachable\n", "text/plain; charset=utf-8", False, {})
            return
        finally:
            conn.close()
        self.send_response(resp.status)
        for name, value in resp.getheaders():
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


def make_server(
    root: Path, host: str, port: int, api: str, timeout_s: float
) -> ThreadingHTTPServer:
    if not (root / "index.html").is_file():
        raise SystemExit(f"serve.py: {root}/index.html not found (UI_DIR)")
    handler = type(
        "UIHandler",
        (Handler,),
        {"root": root.resolve(), "api": api.rstrip("/"), "api_timeout_s": timeout_s},
    )
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def main() -> None:
    server = make_server(
        Path(os.environ.get("UI_DIR", "/srv/ui")),
        os.environ.get("UI_HOST", "0.0.0.0"),
        int(os.environ.get("UI_PORT", "8080")),
        os.environ.get("UI_API_URL", "http://api:8080"),
        float(os.environ.get("UI_API_TIMEOUT_S", "30")),
    )
    host, port = server.server_address[:2]
    sys.stderr.write(f"control-ui listening on http://{host}:{port}\n")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
