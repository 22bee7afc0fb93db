"""Outbound HTTP carries the request's identity; the IAM pass-through is a faithful proxy.

Upstreams are real sockets on 127.0.0.1, each on its own thread: a recording HTTP server, and the
devfleet Gateway under uvicorn. (Litestar's test client drives the app through a blocking portal,
so an upstream on the test's own event loop could not answer during a request.)
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from cloudlysis_devfleet import GatewayConfig, create_gateway_app
from litestar import Litestar
from litestar.testing import AsyncTestClient

from cloudlysis_control.adapters.http import make_async_client
from cloudlysis_control.adapters.probe import ProbeClient
from cloudlysis_control.adapters.service_admin import ServiceAdminClient
from cloudlysis_control.bootstrap.app import create_app
from cloudlysis_control.core.errors import UpstreamError, UpstreamTimeout, UpstreamUnavailable
from cloudlysis_control.core.identity import current_identity, identity_from_headers
from cloudlysis_control.core.metrics import Metrics
from tests.support.auth import FakeRights, bearer
from tests.support.net import free_port, serve_in_thread
from tests.support.settings import app_settings

Client = AsyncTestClient[Litestar]

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
RELOADED = b'{"service":"svc-a","instance":"svc-a-1","config_generation":3,"extra":1}'
ODD_BODY = b'{"a":1}\n\xff\xfe not utf-8 \x00 kept as is'


class Recorder:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def last(self) -> dict[str, Any]:
        with self.lock:
            return self.requests[-1]


def _handler(rec: Recorder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: Any) -> None:
            pass

        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            with rec.lock:
                rec.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": [(k.lower(), v) for k, v in self.headers.items()],
                        "body": body,
                    }
                )
            if "/slow" in self.path:
                time.sleep(2.0)
            if "/odd" in self.path:
                status, ctype, payload = 418, "application/vnd.cloudlysis.odd+json; v=2", ODD_BODY
            elif self.path.endswith("/admin/v1/config/reload"):
                status, ctype, payload = 202, "application/json", RELOADED
            else:
                status, ctype, payload = 200, "application/json", b'{"ok":true}'
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("X-Upstream", "recorder")
            self.send_header("ETag", '"v1"')
            for name, value in (
                ("Keep-Alive", "timeout=5"),
                ("Proxy-Authenticate", 'Basic realm="up"'),
                ("Upgrade", "h2c"),
                ("Trailer", "X-Checksum"),
            ):
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    return Handler


@pytest.fixture
def recorder() -> Iterator[tuple[str, Recorder]]:
    rec = Recorder()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(rec))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", rec
    finally:
        server.shutdown()
        server.server_close()


def _headers(req: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in req["headers"]:
        out.setdefault(k, []).append(v)
    return out


# -- probes (aiohttp) ------------------------------------------------------------------------------


async def test_probes_carry_the_request_identity_and_report_failures(
    recorder: tuple[str, Recorder],
) -> None:
    url, rec = recorder
    ident = identity_from_headers(
        ["req-probe-1"], ["corr-probe-1"], [f"00-{TRACE_ID}-{PARENT_ID}-01"], None
    )
    probe = ProbeClient(None, 1.0)
    try:
        token = current_identity.set(ident)
        try:
            result = await probe.probe(url)
        finally:
            current_identity.reset(token)
        seen = {r["path"]: _headers(r) for r in rec.requests}
        assert set(seen) == {"/health", "/ready", "/metrics"}
        for h in seen.values():
            assert h["x-request-id"] == ["req-probe-1"]
            assert h["x-correlation-id"] == ["corr-probe-1"]
            assert h["traceparent"][0].startswith(f"00-{TRACE_ID}-")
            assert h["traceparent"][0].endswith("-01")
        # every probe request is its own child span of the request's span
        parent_ids = {h["traceparent"][0].split("-")[2] for h in seen.values()}
        assert len(parent_ids) == 3
        assert ident.span_id not in parent_ids and PARENT_ID not in parent_ids
        assert (result.health, result.ready) == (200, 200)
        # The recorder's /metrics answers JSON: not an exposition with build info.
        assert result.version is None
        # A closed port: every probe fails with a readable reason, nothing raises.
        down = await probe.probe(f"http://127.0.0.1:{free_port()}")
        assert (down.health, down.ready, down.metrics_ok) == (None, None, False)
        assert down.error is not None and "unreachable" in down.error
    finally:
        await probe.aclose()


# -- service admin calls (aiohttp) -----------------------------------------------------------------


async def test_service_admin_calls_carry_the_identity_and_translate_failures(
    recorder: tuple[str, Recorder],
) -> None:
    """The config.reload step's call and the tenant calls: identity headers, a child span per
    call, the answer decoded, failures as our upstream errors, each counted under
    upstream="service-admin" by outcome."""
    url, rec = recorder
    metrics = Metrics()
    admin = ServiceAdminClient(metrics, 0.5)

    def count(outcome: str) -> float:
        value = metrics.registry.get_sample_value(
            "control_upstream_requests_total", {"upstream": "service-admin", "outcome": outcome}
        )
        return value or 0.0

    ident = identity_from_headers(
        ["req-admin-1"], ["corr-admin-1"], [f"00-{TRACE_ID}-{PARENT_ID}-01"], ["rojo=1"]
    )
    try:
        token = current_identity.set(ident)
        try:
            result = await admin.reload(f"{url}/")
        finally:
            current_identity.reset(token)
        assert (result.service, result.instance, result.config_generation) == (
            "svc-a",
            "svc-a-1",
            3,
        )
        last = rec.last()
        assert (last["method"], last["path"]) == ("POST", "/admin/v1/config/reload")
        h = _headers(last)
        assert h["x-request-id"] == ["req-admin-1"]
        assert h["x-correlation-id"] == ["corr-admin-1"]
        [traceparent] = h["traceparent"]
        assert traceparent.startswith(f"00-{TRACE_ID}-") and traceparent.endswith("-01")
        assert traceparent.split("-")[2] not in (ident.span_id, PARENT_ID)
        assert h["tracestate"] == ["rojo=1"]
        assert count("ok") == 1

        # A tenant id is one path segment; a non-2xx answer is an UpstreamError with its status.
        with pytest.raises(UpstreamError, match="tenant status: HTTP 418"):
            await admin.tenant_status(url, "odd/../x")
        assert rec.last()["path"] == "/admin/v1/tenants/odd%2F..%2Fx/status"
        # 200 with a body that is not a tenant status
        with pytest.raises(UpstreamError, match="invalid tenant drain body"):
            await admin.drain(url, "t-1")
        assert (rec.last()["method"], rec.last()["path"]) == ("POST", "/admin/v1/tenants/t-1/drain")
        assert count("ok") == 3  # answered: counted ok, refused by us afterwards

        with pytest.raises(UpstreamTimeout, match="service-admin did not answer in time"):
            await admin.resume(f"{url}/slow", "t-1")
        assert count("timeout") == 1

        with pytest.raises(UpstreamUnavailable, match="service-admin is unreachable: "):
            await admin.reload(f"http://127.0.0.1:{free_port()}")
        assert count("unavailable") == 1
    finally:
        await admin.aclose()


# -- make_async_client ---------------------------------------------------------------------------


async def test_outbound_client_carries_the_request_identity(
    recorder: tuple[str, Recorder],
) -> None:
    url, rec = recorder
    ident = identity_from_headers(
        ["req-out-1"], ["corr-out-1"], [f"00-{TRACE_ID}-{PARENT_ID}-01"], ["rojo=1"]
    )
    async with make_async_client(2.0) as client:
        token = current_identity.set(ident)
        try:
            r = await client.get(f"{url}/x", headers={"x-request-id": "spoofed"})
        finally:
            current_identity.reset(token)
        assert r.status_code == 200
        h = _headers(rec.last())
        assert h["x-request-id"] == ["req-out-1"]  # the identity wins over a stray header
        assert h["x-correlation-id"] == ["corr-out-1"]
        [traceparent] = h["traceparent"]
        assert traceparent.startswith(f"00-{TRACE_ID}-") and traceparent.endswith("-01")
        assert traceparent.split("-")[2] not in (ident.span_id, PARENT_ID)
        assert h["tracestate"] == ["rojo=1"]

        # outside any request: nothing invented
        r = await client.get(f"{url}/y")
        h = _headers(rec.last())
        assert "traceparent" not in h and "x-request-id" not in h


async def test_two_outbound_calls_of_one_request_are_two_child_spans(
    recorder: tuple[str, Recorder],
) -> None:
    """Same trace-id and flags; each call's parent-id is a new span id (W3C processing model)."""
    url, rec = recorder
    ident = identity_from_headers([], [], [f"00-{TRACE_ID}-{PARENT_ID}-01"], [])
    async with make_async_client(2.0) as client:
        token = current_identity.set(ident)
        try:
            await client.get(f"{url}/first")
            await client.post(f"{url}/second", json={})
        finally:
            current_identity.reset(token)
    sent = [_headers(r)["traceparent"] for r in rec.requests]
    assert [len(s) for s in sent] == [1, 1]
    (v1, t1, p1, f1), (v2, t2, p2, f2) = (s[0].split("-") for s in sent)
    assert (v1, t1, f1) == (v2, t2, f2) == ("00", TRACE_ID, "01")
    assert p1 != p2
    assert ident.span_id not in (p1, p2) and PARENT_ID not in (p1, p2)
    assert all(len(p) == 16 and p != "0" * 16 for p in (p1, p2))


async def test_concurrent_requests_keep_their_own_identity(
    recorder: tuple[str, Recorder],
) -> None:
    url, rec = recorder

    async def call(client: httpx.AsyncClient, i: int) -> None:
        current_identity.set(identity_from_headers([f"req-{i}"], [f"corr-{i}"], [], []))
        await asyncio.sleep(0.01 * (i % 3))
        await client.get(f"{url}/c/{i}")

    async with make_async_client(5.0) as client:
        await asyncio.gather(*(asyncio.create_task(call(client, i)) for i in range(10)))
    seen = {
        r["path"]: (_headers(r)["x-request-id"][0], _headers(r)["x-correlation-id"][0])
        for r in rec.requests
    }
    for i in range(10):
        assert seen[f"/c/{i}"] == (f"req-{i}", f"corr-{i}")


# -- IAM pass-through against the recording upstream ---------------------------------------------


def _app(
    nats_url: str, secret_file: Path, tmp_path: Path, gateway_url: str, timeout_s: str = "5"
) -> Litestar:
    return create_app(
        app_settings(
            nats_url,
            secret_file,
            tmp_path,
            CONTROL_GATEWAY_URL=gateway_url,
            CONTROL_UPSTREAM_TIMEOUT_S=timeout_s,
        ),
        rights_source=FakeRights(),
    )


async def test_iam_pass_through_forwards_ids_and_strips_hop_by_hop(
    nats_url: str, secret_file: Path, tmp_path: Path, recorder: tuple[str, Recorder]
) -> None:
    url, rec = recorder
    auth = bearer()
    async with AsyncTestClient(app=_app(nats_url, secret_file, tmp_path, url)) as client:
        r = await client.patch(
            "/admin/v1/iam/users/alice?view=full&x=1",
            content=b'{"name":"Alice"}',
            headers={
                **auth,
                "content-type": "application/json",
                "x-request-id": "req-iam-1",
                "x-correlation-id": "corr-iam-1",
                "traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01",
                "x-tenant-id": "acme-01",
                "if-match": '"v0"',
                "connection": "keep-alive, x-secret-hop",
                "x-secret-hop": "must-not-pass",
                "keep-alive": "timeout=99",
                "te": "trailers",
                "upgrade": "websocket",
                "proxy-authorization": "Basic c2VjcmV0",
                "trailer": "x-foo",
                "cookie": "session=abc",
                "x-custom": "not-forwarded",
            },
        )
        assert r.status_code == 200, r.text
        sent = rec.last()
        assert sent["method"] == "PATCH"
        assert sent["path"] == "/iam/v1/users/alice?view=full&x=1"
        assert sent["body"] == b'{"name":"Alice"}'
        h = _headers(sent)
        assert h["authorization"] == [auth["authorization"]]
        assert h["x-request-id"] == ["req-iam-1"]
        assert h["x-correlation-id"] == ["corr-iam-1"]
        # the upstream's parent is a child span of ours: same trace, not our span id
        [sent_tp] = h["traceparent"]
        assert sent_tp.startswith(f"00-{TRACE_ID}-") and sent_tp.endswith("-01")
        our_span_id = r.headers["traceparent"].split("-")[2]
        assert sent_tp.split("-")[2] not in (our_span_id, PARENT_ID)
        assert h["x-tenant-id"] == ["acme-01"]
        assert h["if-match"] == ['"v0"']
        assert h["content-type"] == ["application/json"]
        for hop in (
            "keep-alive",
            "te",
            "upgrade",
            "proxy-authorization",
            "trailer",
            "cookie",
            "x-secret-hop",
            "x-custom",
        ):
            assert hop not in h, (hop, h[hop])
        assert all("x-secret-hop" not in v for v in h.get("connection", []))

        # the Gateway's own response: status, type, body kept; its hop-by-hop headers dropped
        assert r.headers["content-type"] == "application/json"
        assert r.content == b'{"ok":true}'
        assert r.headers["x-upstream"] == "recorder"
        assert r.headers["etag"] == '"v1"'
        for hop in ("keep-alive", "proxy-authenticate", "upgrade", "trailer"):
            assert hop not in r.headers, (hop, r.headers[hop])
        assert r.headers["x-request-id"] == "req-iam-1"


async def test_iam_pass_through_keeps_odd_status_type_and_bytes(
    nats_url: str, secret_file: Path, tmp_path: Path, recorder: tuple[str, Recorder]
) -> None:
    url, rec = recorder
    async with AsyncTestClient(app=_app(nats_url, secret_file, tmp_path, url)) as client:
        for method in ("GET", "POST", "DELETE"):
            r = await client.request(method, "/admin/v1/iam/odd", headers=bearer())
            assert r.status_code == 418, (method, r.text)
            assert r.headers["content-type"] == "application/vnd.cloudlysis.odd+json; v=2"
            assert r.content == ODD_BODY
            assert rec.last()["method"] == method


async def test_iam_upstream_timeout_is_504_problem(
    nats_url: str, secret_file: Path, tmp_path: Path, recorder: tuple[str, Recorder]
) -> None:
    url, _rec = recorder
    app = _app(nats_url, secret_file, tmp_path, url, timeout_s="0.3")
    async with AsyncTestClient(app=app) as client:
        started = time.monotonic()
        r = await client.get("/admin/v1/iam/slow", headers=bearer())
        assert time.monotonic() - started < 1.9  # the 0.3 s budget, not the upstream's 2 s
        assert r.status_code == 504, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        body = r.json()
        assert body["code"] == "upstream_timeout" and body["status"] == 504
        assert body["request_id"] == r.headers["x-request-id"]


async def test_iam_upstream_down_is_503_problem(
    nats_url: str, secret_file: Path, tmp_path: Path
) -> None:
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    async with AsyncTestClient(app=_app(nats_url, secret_file, tmp_path, down)) as client:
        for method in ("GET", "POST"):
            r = await client.request(method, "/admin/v1/iam/users", headers=bearer())
            assert r.status_code == 503, r.text
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["code"] == "upstream_unavailable"


# -- IAM pass-through against the real devfleet Gateway ------------------------------------------


async def test_pass_through_is_byte_for_byte_with_the_devfleet_gateway(
    nats_url: str, tmp_path: Path
) -> None:
    with serve_in_thread(create_gateway_app(GatewayConfig(data_dir=tmp_path / "gw"))) as gw:
        async with httpx.AsyncClient(base_url=gw) as direct:
            login = await direct.post("/auth/v1/dev-login", json={"principal": "admin"})
            assert login.status_code == 200, login.text
            token = login.json()["access_token"]
            app = create_app(
                app_settings(
                    nats_url,
                    tmp_path / "unused",
                    tmp_path,
                    CONTROL_TOKEN_HS256_SECRET_FILE="",
                    CONTROL_JWKS_URL=f"{gw}/.well-known/jwks.json",
                    CONTROL_GATEWAY_URL=gw,
                ),
                rights_source=FakeRights(),
            )
            auth = {"authorization": f"Bearer {token}"}
            async with AsyncTestClient(app=app) as client:
                for path in (
                    "users",
                    "users/admin",
                    "roles",
                    "users/no-such-user",
                    "sessions?principal_id=admin",
                ):
                    want = await direct.get(f"/iam/v1/{path}", headers=auth)
                    got = await client.get(f"/admin/v1/iam/{path}", headers=auth)
                    assert got.status_code == want.status_code, (path, got.text)
                    assert got.headers["content-type"] == want.headers["content-type"], path
                    assert got.content == want.content, path
                # a Gateway error is passed through as the Gateway's own problem document
                got = await client.get("/admin/v1/iam/users/no-such-user", headers=auth)
                assert got.status_code == 404
                assert got.headers["content-type"].startswith("application/problem+json")
                assert json.loads(got.content)["type"].startswith("urn:cloudlysis:gateway:")
                # a write, with the Gateway's status code (201) kept
                body = {"id": f"u-{uuid.uuid4().hex[:8]}", "name": "New User", "roles": []}
                got = await client.post("/admin/v1/iam/users", json=body, headers=auth)
                assert got.status_code == 201, got.text
                want = await direct.get(f"/iam/v1/users/{body['id']}", headers=auth)
                assert want.status_code == 200 and want.json()["name"] == "New User"
