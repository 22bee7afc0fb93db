"""stacks/ui/serve.py, the control-ui image's server: static files with the API's security
headers, SPA fallback, no path traversal, /admin/* and /health forwarded to the API."""

from __future__ import annotations

import contextlib
import http.client
import importlib.util
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

import pytest

from cloudlysis_control.webui import static as api_static
from tests.support.stacks import STACKS


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ui_serve", STACKS / "ui" / "serve.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


serve = _load()


class FakeApi(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = json.dumps(
            {
                "method": self.command,
                "path": self.path,
                "body": self.rfile.read(length).decode() if length else "",
                "authorization": self.headers.get("authorization"),
                "connection": self.headers.get("connection"),
            }
        ).encode()
        self.send_response(201 if self.command == "POST" else 200)
        self.send_header("content-type", "application/json")
        self.send_header("x-request-id", "req-1")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _answer


@contextlib.contextmanager
def running(server: ThreadingHTTPServer) -> Iterator[int]:
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    root: Path = tmp_path_factory.mktemp("dist")
    (root / "index.html").write_text("<!doctype html><title>ui</title>")
    (root / "assets").mkdir()
    (root / "assets" / "app-1234.js").write_text("console.log(1)")
    (root.parent / "secret.txt").write_text("nope")
    api = ThreadingHTTPServer(("127.0.0.1", 0), FakeApi)
    with running(api) as api_port:
        server = serve.make_server(root, "127.0.0.1", 0, f"http://127.0.0.1:{api_port}", 5)
        with running(server) as port:
            yield port


def request(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def test_headers_are_the_apis() -> None:
    assert serve.UI_HEADERS == api_static.UI_HEADERS
    assert serve.CSP == api_static.CSP


def test_index_and_spa_fallback(ui: int) -> None:
    for path in ("/", "/tenants/acme", "/jobs/123?x=1"):
        status, headers, body = request(ui, "GET", path)
        assert status == 200, path
        assert b"<title>ui</title>" in body
        assert headers["content-type"] == "text/html"
        assert headers["cache-control"] == "no-cache"
        for name, value in api_static.UI_HEADERS.items():
            assert headers[name] == value, name


def test_assets_are_immutable(ui: int) -> None:
    status, headers, body = request(ui, "GET", "/assets/app-1234.js")
    assert status == 200 and body == b"console.log(1)"
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    assert headers["content-security-policy"] == api_static.CSP


def test_no_path_traversal(ui: int) -> None:
    for path in ("/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt"):
        status, _, body = request(ui, "GET", path)
        assert b"nope" not in body, path
        assert status == 200  # the SPA index, not the file


def test_api_only_paths_are_not_the_spa(ui: int) -> None:
    for path in ("/metrics", "/ready", "/schema/openapi.json"):
        status, _, body = request(ui, "GET", path)
        assert status == 404, path
        assert b"<title>" not in body


def test_proxies_admin_and_health(ui: int) -> None:
    status, headers, body = request(
        ui,
        "POST",
        "/admin/v1/jobs?dry_run=1",
        body=b'{"kind":"drain"}',
        headers={"authorization": "Bearer t", "content-type": "application/json"},
    )
    seen = json.loads(body)
    assert status == 201
    assert seen["path"] == "/admin/v1/jobs?dry_run=1"
    assert seen["body"] == '{"kind":"drain"}'
    assert seen["authorization"] == "Bearer t"
    assert headers["x-request-id"] == "req-1"
    status, _, body = request(ui, "GET", "/health")
    assert status == 200 and json.loads(body)["path"] == "/health"
    status, _, _ = request(ui, "DELETE", "/admin/v1/x")
    assert status == 200


def test_other_methods_on_static_paths(ui: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", ui, timeout=5)
    try:  # the unused body is consumed: the next request on the connection still works
        conn.request("POST", "/tenants", body=b"x")
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 405
        conn.request("GET", "/healthz")
        assert conn.getresponse().status == 200
    finally:
        conn.close()


def test_healthz_and_unreachable_api(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("x")
    server = serve.make_server(tmp_path, "127.0.0.1", 0, "http://127.0.0.1:9", 1)
    with running(server) as port:
        assert request(port, "GET", "/healthz")[0] == 200
        assert request(port, "GET", "/admin/v1/me")[0] == 502


def test_refuses_a_missing_dist(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match=r"index\.html not found"):
        serve.make_server(tmp_path, "127.0.0.1", 0, "http://127.0.0.1:9", 1)
