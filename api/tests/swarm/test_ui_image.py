"""The built control-ui image (Debian's nginx) on the real engine, against a small fake API on
this host: the headers equal the API's own UI handler's, the SPA falls back but assets and the
API's other paths do not, requests and their ids reach the API, the event stream is passed on as
it is written (unbuffered, uncompressed), a missing API is a 502 problem, and it runs as its
non-root user on a read-only root file system. Gated on CONTROL_TEST_DOCKER=1 (`just
test-swarm` builds the image first; CONTROL_UI_IMAGE picks another tag)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.net import free_port
from tests.support.sse import events_sync
from tests.support.ui_headers import PATH_KINDS, api_ui_headers, ui_headers
from tests.support.wait import eventually_sync as eventually

pytestmark = [
    pytest.mark.docker,
    pytest.mark.skipif(
        os.environ.get("CONTROL_TEST_DOCKER") != "1",
        reason="needs the Docker engine and the built images: set CONTROL_TEST_DOCKER=1",
    ),
]

REPO = Path(__file__).resolve().parents[3]
UI_VERSION = json.loads((REPO / "ui" / "package.json").read_text())["version"]
IMAGE = os.environ.get("CONTROL_UI_IMAGE", f"cloudlysis/control-ui:{UI_VERSION}")
STREAM_HOLD_S = 20.0


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=60)
    if check:
        assert done.returncode == 0, f"docker {' '.join(args)}: {done.stderr[-2000:]}"
    return done


# ---------------------------------------------------------------- a fake control API


@dataclass
class FakeApi:
    port: int
    seen: list[dict[str, Any]] = field(default_factory=list)
    release_stream: threading.Event = field(default_factory=threading.Event)


def _handler(api: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _record(self) -> dict[str, Any]:
            length = int(self.headers.get("content-length") or 0)
            seen = {
                "method": self.command,
                "path": self.path,
                "body": self.rfile.read(length).decode() if length else "",
                "headers": {k.lower(): v for k, v in self.headers.items()},
            }
            api.seen.append(seen)
            return seen

        def _answer(self) -> None:
            seen = self._record()
            if self.path.startswith("/admin/v1/events"):
                self._stream()
                return
            body = json.dumps(seen).encode()
            self.send_response(201 if self.command == "POST" else 200)
            self.send_header("content-type", "application/json")
            self.send_header("cache-control", "no-store")
            self.send_header("x-request-id", seen["headers"].get("x-request-id", "minted-id"))
            self.send_header("server", "uvicorn")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _chunk(self, data: bytes) -> None:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

        def _stream(self) -> None:
            """Like the API's GET /admin/v1/events: a resync first, then (once the test says
            so) a job event, each written as it happens, chunked."""
            self.send_response(200)
            self.send_header("content-type", "text/event-stream; charset=utf-8")
            self.send_header("cache-control", "no-store")
            if "hint=1" in self.path:  # what Litestar sends; without it nginx's own setting counts
                self.send_header("x-accel-buffering", "no")
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            self._chunk(b"event: resync\r\nid: 7\r\ndata: {}\r\n\r\n")
            api.release_stream.wait(STREAM_HOLD_S)
            self._chunk(b'event: job\r\nid: 8\r\ndata: {"id": "j_1", "status": "running"}\r\n\r\n')
            self._chunk(b"")

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _answer

    return Handler


@pytest.fixture(scope="module")
def fake_api() -> Iterator[FakeApi]:
    api = FakeApi(port=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    server.daemon_threads = True
    api.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield api
    finally:
        api.release_stream.set()
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------- the image


@contextlib.contextmanager
def ui_container(api_url: str, *extra: str) -> Iterator[tuple[str, str]]:
    """The image as control.yml runs it (read-only root, /tmp a tmpfs), on the host's network so
    it reaches the fake API on loopback; yields (container name, base URL)."""
    name = f"cstest-ui-{uuid.uuid4().hex[:8]}"
    port = free_port()
    docker(
        "run", "-d", "--name", name, "--label", "cloudlysis.test=true",
        "--read-only", "--tmpfs", "/tmp:size=16m", "--network", "host",
        "-e", f"UI_PORT={port}", "-e", f"UI_API_URL={api_url}",
        *extra, IMAGE,
    )  # fmt: skip
    try:
        yield name, f"http://127.0.0.1:{port}"
    finally:
        docker("rm", "-f", name, check=False)


def _up(url: str, name: str) -> None:
    def answers() -> None:
        try:
            r = httpx.get(f"{url}/healthz", timeout=2)
        except httpx.TransportError as e:
            logs = docker("logs", name, check=False)
            raise AssertionError(f"{e}: {logs.stdout[-500:]} {logs.stderr[-1000:]}") from e
        assert r.status_code == 200 and r.text == "ok\n", r.text

    eventually(answers, timeout_s=30, interval_s=0.3, what="the UI container answers")


@pytest.fixture(scope="module")
def ui(fake_api: FakeApi) -> Iterator[tuple[str, str]]:
    if docker("image", "inspect", IMAGE, check=False).returncode != 0:
        pytest.fail(f"{IMAGE} is not built (scripts/build-images.sh)")
    with ui_container(f"http://127.0.0.1:{fake_api.port}") as (name, url):
        _up(url, name)
        yield name, url


def _assets(html: str) -> list[str]:
    found = re.findall(r'(?:src|href)="(/assets/[^"]+)"', html)
    assert found, html
    return found


# ---------------------------------------------------------------- static files


def test_the_headers_are_the_apis_ui_handlers(ui: tuple[str, str]) -> None:
    _, url = ui
    index = httpx.get(f"{url}/", timeout=10)
    paths = {"index": "/", "asset": _assets(index.text)[0], "route": "/tenants/acme"}
    assert set(paths) == set(PATH_KINDS)
    nginx = {
        kind: ui_headers(httpx.get(f"{url}{p}", timeout=10).headers) for kind, p in paths.items()
    }
    assert nginx == api_ui_headers()


def test_the_spa_falls_back_to_the_index_for_client_routes(ui: tuple[str, str]) -> None:
    _, url = ui
    index = httpx.get(f"{url}/", timeout=10).text
    assert '<div id="root">' in index
    for path in ("/fleet", "/tenants/acme", "/jobs/j_1?tab=steps", "/index.html"):
        r = httpx.get(f"{url}{path}", timeout=10)
        assert r.status_code == 200, path
        assert r.headers["content-type"].startswith("text/html"), path
        assert r.text == index, path
        assert r.headers["cache-control"] == "no-cache", path


def test_assets_are_immutable_and_compressed(ui: tuple[str, str]) -> None:
    _, url = ui
    for path in _assets(httpx.get(f"{url}/", timeout=10).text):
        r = httpx.get(f"{url}{path}", headers={"accept-encoding": "gzip"}, timeout=10)
        assert r.status_code == 200, path
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable", path
        if path.endswith((".js", ".css")):
            assert r.headers.get("content-encoding") == "gzip", path
        again = httpx.get(f"{url}{path}", headers={"if-none-match": r.headers["etag"]}, timeout=10)
        assert again.status_code == 304
        assert again.headers["cache-control"] == r.headers["cache-control"]


@pytest.mark.parametrize(
    "path",
    ["/assets/gone-1234.js", "/assets/", "/assets", "/schema/openapi.json", "/ready", "/metrics"],
)
def test_missing_assets_and_the_apis_other_paths_are_404_not_the_spa(
    ui: tuple[str, str], path: str
) -> None:
    _, url = ui
    r = httpx.get(f"{url}{path}", timeout=10)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "not_found"
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["x-content-type-options"] == "nosniff"


def test_no_file_outside_the_bundle_and_no_version_leaks(ui: tuple[str, str]) -> None:
    _, url = ui
    for path in ("/../etc/passwd", "/%2e%2e/etc/passwd", "/assets/..%2f..%2fetc/passwd"):
        r = httpx.get(f"{url}{path}", timeout=10)
        assert "root:" not in r.text, path
    r = httpx.get(f"{url}/nope", timeout=10)
    assert r.headers["server"] == "nginx"  # server_tokens off: no version
    r = httpx.post(f"{url}/tenants", content=b"x", timeout=10)
    assert r.status_code == 405
    assert "nginx/" not in r.text


# ---------------------------------------------------------------- the proxy


def test_requests_and_their_ids_reach_the_api_and_its_answer_comes_back(
    ui: tuple[str, str], fake_api: FakeApi
) -> None:
    _, url = ui
    ids = {
        "x-request-id": "req-ui-1",
        "x-correlation-id": "corr-ui-1",
        "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "tracestate": "vendor=1",
    }
    r = httpx.post(
        f"{url}/admin/v1/jobs/kinds/platform.verify?dry_run=1",
        json={"reason": "x"},
        headers={**ids, "authorization": "Bearer t", "idempotency-key": "k1"},
        timeout=10,
    )
    assert r.status_code == 201
    seen = r.json()
    assert seen["method"] == "POST"
    assert seen["path"] == "/admin/v1/jobs/kinds/platform.verify?dry_run=1"
    assert json.loads(seen["body"]) == {"reason": "x"}
    headers = seen["headers"]
    for name, value in {**ids, "authorization": "Bearer t", "idempotency-key": "k1"}.items():
        assert headers.get(name) == value, name
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert r.headers["x-request-id"] == "req-ui-1"
    assert r.headers["cache-control"] == "no-store"  # the API's own, not the UI's
    assert "content-security-policy" not in r.headers
    assert r.headers["server"] == "nginx"  # the API's server header stays inside
    for path in ("/health", "/admin", "/admin/v1/whoami"):
        r = httpx.get(f"{url}{path}", timeout=10)
        assert r.status_code == 200 and r.json()["path"] == path, path


def test_the_event_stream_is_passed_on_as_it_is_written(
    ui: tuple[str, str], fake_api: FakeApi
) -> None:
    _, url = ui
    fake_api.release_stream.clear()
    headers = {"authorization": "Bearer t", "last-event-id": "6", "accept-encoding": "gzip"}
    timeout = httpx.Timeout(10, read=STREAM_HOLD_S / 2)
    with httpx.stream("GET", f"{url}/admin/v1/events", headers=headers, timeout=timeout) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        assert "content-encoding" not in r.headers
        stream = events_sync(r)
        # The first event arrives while the API still holds the stream open: not buffered.
        started = time.monotonic()
        first = next(stream)
        assert (first.event, first.id) == ("resync", "7")
        assert time.monotonic() - started < STREAM_HOLD_S / 2
        fake_api.release_stream.set()
        second = next(stream)
        assert (second.event, second.data) == ("job", {"id": "j_1", "status": "running"})
    seen = next(s for s in reversed(fake_api.seen) if s["path"] == "/admin/v1/events")
    assert seen["headers"]["last-event-id"] == "6"
    assert seen["headers"]["authorization"] == "Bearer t"


def test_the_apis_no_buffering_hint_reaches_a_proxy_in_front(
    ui: tuple[str, str], fake_api: FakeApi
) -> None:
    _, url = ui
    fake_api.release_stream.set()
    r = httpx.get(f"{url}/admin/v1/events?hint=1", timeout=10)
    assert r.headers.get("x-accel-buffering") == "no"


def test_an_unreachable_api_is_a_502_problem() -> None:
    with ui_container(f"http://127.0.0.1:{free_port()}") as (name, url):
        _up(url, name)
        for path in ("/admin/v1/fleet", "/health", "/admin/v1/events"):
            r = httpx.get(f"{url}{path}", timeout=10)
            assert r.status_code == 502, path
            assert r.headers["content-type"] == "application/problem+json", path
            assert r.json()["code"] == "api_unreachable", path
        assert httpx.get(f"{url}/", timeout=10).status_code == 200  # the SPA still loads


def test_a_bad_api_url_stops_the_container_with_the_reason() -> None:
    name = f"cstest-ui-{uuid.uuid4().hex[:8]}"
    done = docker(
        "run", "--rm", "--name", name, "--label", "cloudlysis.test=true",
        "-e", "UI_API_URL=http://api:8080/x; return 200", IMAGE,
        check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "UI_API_URL" in done.stderr


# ---------------------------------------------------------------- the container


def test_it_runs_as_its_user_on_a_read_only_root_and_turns_healthy(ui: tuple[str, str]) -> None:
    name, _ = ui
    # Every process of the container, nginx's master included (docker top: the host's view).
    top = docker("top", name, "-o", "pid,uid,args").stdout.splitlines()[1:]
    processes = [line.split(None, 2)[1:] for line in top]
    assert any("nginx: master" in args for _, args in processes), processes
    assert {uid for uid, _ in processes} == {"10001"}, processes
    touch = docker("exec", name, "touch", "/etc/x", check=False)
    assert touch.returncode != 0 and "Read-only file system" in touch.stderr

    def healthy() -> None:
        status = docker("inspect", "--format", "{{.State.Health.Status}}", name).stdout.strip()
        assert status == "healthy", status

    eventually(healthy, timeout_s=40, interval_s=1, what="the image's HEALTHCHECK passes")
    log = docker("logs", name).stdout.splitlines()
    access = [json.loads(line) for line in log if line.startswith("{")]
    assert any(a["path"].startswith("/admin/v1/jobs") and a["request_id"] for a in access), log
