"""Requests an attacker or a fuzzer sends: each named one once answered 500 (issue #13).

Every answer here is a problem+json with the request ids (or the SPA's index for UI paths),
never a 5xx.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import nats
import pytest
from cloudlysis_devfleet import serve
from litestar import Litestar
from litestar.testing import AsyncTestClient

from cloudlysis_control.bootstrap.app import create_app
from cloudlysis_control.core.bodies import MAX_JSON_DEPTH
from tests.support.asgi import AsgiResponse, assert_sendable, call, lifespan
from tests.support.auth import FakeRights, bearer
from tests.support.fake_gateway import FakeGateway
from tests.support.settings import app_settings

pytestmark = pytest.mark.integration

Client = AsyncTestClient[Litestar]


def problem(resp: Any, status: int) -> dict[str, Any]:
    assert resp.status_code == status, (resp.status_code, resp.text[:300])
    assert resp.headers["content-type"].startswith("application/problem+json"), resp.text
    body: dict[str, Any] = resp.json()
    assert body["status"] == status
    assert body["request_id"] == resp.headers["x-request-id"]
    return body


async def test_non_latin1_token_header_is_a_401_problem_with_a_safe_challenge(
    client: Client,
) -> None:
    # {"alg":"€"} as the token's header: the rejection names the algorithm, and that text once
    # went into WWW-Authenticate, which cannot carry it (plain-text 500 without request ids).
    for token in ("eyJhbGciOiLigqwifQ.e30.AAAA", "eyJhbGciOiJIUzI1NiIsImtpZCI6IuKCrCJ9.e30.AAAA"):
        r = await client.get("/admin/v1/whoami", headers={"authorization": f"Bearer {token}"})
        problem(r, 401)
        challenge = r.headers["www-authenticate"]
        assert challenge.isascii() and challenge.isprintable(), challenge
        assert challenge.startswith('Bearer realm="cloudlysis-control", error="invalid_token"')


async def test_control_characters_in_a_token_never_reach_a_header(client: Client) -> None:
    # "\x7f" and a quote inside the alg: the challenge stays one well-formed quoted string.
    token = "eyJhbGciOiJcdTAwN2YnXCIifQ.e30.AAAA"
    r = await client.get("/admin/v1/whoami", headers={"authorization": f"Bearer {token}"})
    problem(r, 401)
    challenge = r.headers["www-authenticate"]
    assert challenge.count('"') == 6, challenge
    assert all(0x20 <= ord(c) < 0x7F for c in challenge), challenge


@pytest.mark.parametrize(
    "path", ["/admin/v1/session/dev-login", "/admin/v1/jobs/kinds/platform.verify"]
)
async def test_deeply_nested_json_is_refused_before_decoding(client: Client, path: str) -> None:
    body = b"[" * 5000 + b"]" * 5000
    headers = {"content-type": "application/json", "Idempotency-Key": "deep-1", **bearer()}
    r = await client.post(path, content=body, headers=headers)
    doc = problem(r, 400)
    assert doc["code"] == "body_too_deep", doc
    assert str(MAX_JSON_DEPTH) in doc["detail"]


async def test_nesting_at_the_limit_is_decoded_as_usual(client: Client) -> None:
    # MAX_JSON_DEPTH levels are fine: the route's own validation answers (a bad body, not depth).
    inner = b"[" * (MAX_JSON_DEPTH - 1) + b"]" * (MAX_JSON_DEPTH - 1)
    body = b'{"reason": "x", "params": {"services": ' + inner + b"}}"
    assert body.count(b"[") + body.count(b"{") == MAX_JSON_DEPTH + 1
    r = await client.post(
        "/admin/v1/jobs/kinds/platform.verify",
        content=b'{"reason": "x", "params": ' + inner + b"}",
        headers={"content-type": "application/json", "Idempotency-Key": "deep-2", **bearer()},
    )
    doc = problem(r, 400)
    assert doc["code"] != "body_too_deep", doc


async def test_brackets_inside_strings_do_not_count_as_depth(client: Client) -> None:
    reason = "[" * 900 + "{" * 900
    r = await client.post(
        "/admin/v1/jobs/kinds/nope.kind",
        json={"reason": reason, "params": {}},
        headers={"Idempotency-Key": "deep-3", **bearer()},
    )
    assert problem(r, 404)["code"] == "not_found"


@pytest.fixture
async def ui_client(nats_url: str, secret_file: Path, tmp_path: Path, rights: FakeRights) -> Any:
    ui = tmp_path / "ui"
    (ui / "assets").mkdir(parents=True)
    (ui / "index.html").write_text("<!doctype html><title>console</title>")
    (ui / "assets" / "app.js").write_text("console.log(1)")
    app = create_app(
        app_settings(nats_url, secret_file, tmp_path, CONTROL_UI_DIR=str(ui)), rights_source=rights
    )
    async with AsyncTestClient(app=app) as c:
        yield c


@pytest.mark.parametrize(
    "path", ["/%00", "/index.html%00.js", "/assets/%00app.js", "/a%01b", "/x%7F", "/%1b[31m"]
)
async def test_control_characters_in_ui_paths_are_404_problems(
    ui_client: Client, path: str
) -> None:
    r = await ui_client.get(path)
    assert problem(r, 404)["code"] == "not_found"


async def test_ui_paths_the_file_system_cannot_hold_fall_back_to_the_index(
    ui_client: Client,
) -> None:
    for path in ("/" + "a" * 5000, "/" + "/".join(["b" * 300] * 5)):
        r = await ui_client.get(path)
        assert r.status_code == 200, (path[:40], r.status_code, r.text[:200])
        assert "<title>console</title>" in r.text
    r = await ui_client.get("/assets/app.js")
    assert r.status_code == 200 and r.text == "console.log(1)"


async def test_api_answers_are_neither_cached_nor_sniffed(client: Client) -> None:
    for path, headers in [
        ("/health", {}),
        ("/metrics", {}),
        ("/admin/v1/whoami", bearer()),
        ("/admin/v1/whoami", {}),
        ("/nope", {}),
    ]:
        r = await client.get(path, headers=headers)
        assert r.headers.get_list("cache-control") == ["no-store"], (path, r.headers)
        assert r.headers.get_list("x-content-type-options") == ["nosniff"], (path, r.headers)


async def test_metrics_content_type_names_its_charset_once(client: Client) -> None:
    r = await client.get("/metrics")
    assert r.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"


async def test_ui_assets_keep_their_own_cache_policy(ui_client: Client) -> None:
    r = await ui_client.get("/assets/app.js")
    assert r.headers.get_list("cache-control") == ["public, max-age=31536000, immutable"]
    assert r.headers.get_list("x-content-type-options") == ["nosniff"]
    r = await ui_client.get("/tenants")
    assert r.headers.get_list("cache-control") == ["no-cache"]


# -- found by the ASGI fuzzer (test_fuzz_asgi.py) --------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/admin/v1/session/dev-login", b'{"principal": "\x80"}'),
        ("/admin/v1/session/dev-login", b'{"":"\x80"'),
        ("/admin/v1/jobs/kinds/platform.verify", b'{"reason": "\xff\xfe", "params": {}}'),
        ("/admin/v1/jobs/kinds/platform.verify", b'{"\xc3": 1}'),
    ],
)
async def test_invalid_utf8_inside_a_json_string_is_a_400_problem(
    client: Client, path: str, body: bytes
) -> None:
    # msgspec raises UnicodeDecodeError, not a DecodeError, for these: it was a 500, on the
    # public dev login without any token.
    headers = {"content-type": "application/json", "Idempotency-Key": "utf8-1", **bearer()}
    r = await client.post(path, content=body, headers=headers)
    assert problem(r, 400)["code"] == "body_not_utf8"


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"1" * 5000, "Integer value out of range"),
        (b'{"reason": "x"', "Input data was truncated"),
        (b"\x00", "JSON is malformed"),
    ],
)
async def test_a_body_the_decoder_refuses_is_a_problem_with_a_stable_title(
    client: Client, body: bytes, detail: str
) -> None:
    # The decoder's message was the title, so the title changed with every body (RFC 9457:
    # it must not); it is the detail now.
    headers = {"content-type": "application/json", "Idempotency-Key": "title-1", **bearer()}
    r = await client.post("/admin/v1/config/reload", content=body, headers=headers)
    doc = problem(r, 400)
    assert (doc["code"], doc["title"]) == ("bad_request", "Bad request"), doc
    assert detail in doc["detail"], doc


@pytest.fixture
async def asgi_app(
    nats_url: str, secret_file: Path, tmp_path: Path, rights: FakeRights
) -> AsyncIterator[tuple[Litestar, dict[str, Any], FakeGateway]]:
    """The app on this event loop (driven with exact bytes), its Gateway a fake on this loop."""
    gateway = FakeGateway()
    async with serve(gateway) as url:
        app = create_app(
            app_settings(nats_url, secret_file, tmp_path, CONTROL_GATEWAY_URL=url),
            rights_source=rights,
        )
        async with lifespan(app) as state:
            yield app, state, gateway


def _asgi_problem(resp: AsgiResponse, status: int) -> dict[str, Any]:
    assert_sendable(resp)
    return problem(resp, status)


@pytest.mark.parametrize("host", [b"a:b", b"::", b"a:99999", b"[zz]", b"[::1", b"a@b"])
async def test_a_host_header_that_does_not_parse_is_a_400_problem(
    asgi_app: tuple[Litestar, dict[str, Any], FakeGateway], host: bytes
) -> None:
    # Litestar's own check let these through. The first three then failed parsing the URL (a
    # 500) wherever it is read: in every validation error, e.g. a bad query parameter. None is
    # a host[:port], and RFC 9112 section 3.2 answers an invalid Host with 400.
    app, state, _ = asgi_app
    token = bearer()["authorization"].encode()
    for path, query in [(b"/admin/v1/jobs", b"limit=-1"), (b"/health", b"")]:
        headers = [(b"host", host), (b"authorization", token), (b"x-request-id", b"host-1")]
        r = await call(app, "GET", path, query, headers, state=state)
        body = _asgi_problem(r, 400)
        assert body["code"] == "bad_request" and "Host" in body["detail"], body
        assert r.header("x-request-id") == "host-1"


@pytest.mark.parametrize("host", [b"127.0.0.1:8080", b"[::1]:8080", b"localhost", b"example.com:"])
async def test_valid_host_headers_are_served(
    asgi_app: tuple[Litestar, dict[str, Any], FakeGateway], host: bytes
) -> None:
    app, state, _ = asgi_app
    r = await call(app, "GET", b"/health", headers=[(b"host", host)], state=state)
    assert r.status_code == 200, r.content


async def test_a_query_string_that_is_not_ascii_is_a_400_problem(
    asgi_app: tuple[Litestar, dict[str, Any], FakeGateway],
) -> None:
    # uvicorn never delivers these bytes (h11 and httptools refuse them); other ASGI servers may,
    # and Litestar decoded them as UTF-8 in every validation error (a 500).
    app, state, _ = asgi_app
    token = bearer()["authorization"].encode()
    headers = [(b"host", b"localhost"), (b"authorization", token)]
    r = await call(app, "GET", b"/admin/v1/jobs", b"limit=\xff", headers, state=state)
    assert _asgi_problem(r, 400)["code"] == "bad_request"


async def _audit_seq(nats_url: str) -> int:
    nc = await nats.connect(nats_url)
    try:
        return int((await nc.jetstream().stream_info("CONTROL_AUDIT")).state.last_seq)
    finally:
        await nc.close()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        (b"accept", b"\xff"),  # was a 500: httpx encodes header values as ASCII
        (b"if-match", b"\xc3\xa9"),
        (b"content-type", b"application/json\x01"),  # was the Gateway's own plain-text 400
        (b"x-tenant-id", b"\x7f"),
    ],
)
async def test_iam_headers_that_cannot_be_forwarded_are_a_400_problem(
    asgi_app: tuple[Litestar, dict[str, Any], FakeGateway],
    nats_url: str,
    name: bytes,
    value: bytes,
) -> None:
    app, state, gateway = asgi_app
    token = bearer()["authorization"].encode()
    headers = [(b"host", b"localhost"), (b"authorization", token), (name, value)]
    audit_before = await _audit_seq(nats_url)
    for method in ("GET", "POST"):
        r = await call(app, method, b"/admin/v1/iam/users", b"", headers, b"{}", state=state)
        body = _asgi_problem(r, 400)
        assert body["code"] == "validation_failed" and name.decode() in body["detail"], body
    assert gateway.calls == []
    # A refused change is refused before its `accepted` audit event, like a bad IAM path.
    assert await _audit_seq(nats_url) == audit_before


async def test_iam_header_values_are_forwarded_without_surrounding_whitespace(
    asgi_app: tuple[Litestar, dict[str, Any], FakeGateway],
) -> None:
    # A value of spaces, or a trailing space, once made the HTTP client refuse the request and
    # Control answer 503 "gateway is unreachable".
    app, state, gateway = asgi_app
    token = bearer()["authorization"].encode()
    headers = [
        (b"host", b"localhost"),
        (b"authorization", token),
        (b"content-type", b" "),
        (b"accept", b"\tapplication/json "),
    ]
    r = await call(app, "GET", b"/admin/v1/iam/users", b"", headers, state=state)
    assert r.status_code == 200, r.content
    forwarded = dict(gateway.calls[-1].headers)
    assert forwarded[b"accept"] == b"application/json"
    assert forwarded.get(b"content-type", b"") == b""
