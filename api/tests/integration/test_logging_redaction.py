"""No credential reaches a log line or a response body; one access-log line per request.

The app logs structlog JSON to stdout (core.logging.configure_logging), captured here with capsys
together with stderr and stdlib logging records. Requests carry a sentinel secret everywhere a
client may put one: Authorization (valid and invalid tokens), Cookie, credential fields of a JSON
body, the query string and IAM pass-through bodies (forwarded to a real devfleet Gateway).
"""

from __future__ import annotations

import contextlib
import json
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cloudlysis_devfleet import GatewayConfig, create_gateway_app
from litestar import Litestar
from litestar.testing import AsyncTestClient

from cloudlysis_control.bootstrap.app import create_app
from cloudlysis_control.core.logging import REDACTED, redact
from tests.support.auth import FakeRights, bearer, make_token
from tests.support.net import serve_in_thread
from tests.support.settings import app_settings

pytestmark = pytest.mark.integration

Client = AsyncTestClient[Litestar]

# Deliberately not JWT- or bearer-shaped: only key-based redaction can hide it.
SENTINEL = "SENTINEL-9f8e7d6c5b4a-do-not-log"
ACCESS_FIELDS = (
    "request_id",
    "correlation_id",
    "trace_id",
    "span_id",
    "principal_id",
    "tenant_id",
    "route",
    "status",
    "duration_ms",
)


@pytest.fixture
def gateway_url(tmp_path: Path) -> Iterator[str]:
    with serve_in_thread(create_gateway_app(GatewayConfig(data_dir=tmp_path / "gw"))) as url:
        yield url


def _parse_lines(text: str) -> list[dict[str, Any]]:
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            with contextlib.suppress(json.JSONDecodeError):
                out.append(json.loads(line))
    return out


async def test_secrets_never_logged_or_echoed(
    nats_url: str,
    secret_file: Path,
    tmp_path: Path,
    gateway_url: str,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    capsys.readouterr()  # drop anything earlier fixtures printed
    settings = app_settings(
        nats_url,
        secret_file,
        tmp_path,
        CONTROL_LOG_LEVEL="debug",
        CONTROL_GATEWAY_URL=gateway_url,
    )
    app = create_app(settings, rights_source=FakeRights())  # logs to the captured sys.stdout
    valid_token = make_token("admin", sid=f"s-{uuid.uuid4().hex}")
    valid = {"authorization": f"Bearer {valid_token}"}
    jwt_like_invalid = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJTRU5USU5FTCJ9." + SENTINEL.replace("-", "_")
    requests: list[tuple[str, str, dict[str, str], Any, dict[str, Any] | None]] = [
        # (method, path, headers, json body, query params)
        ("GET", "/admin/v1/whoami", {"authorization": f"Bearer {SENTINEL}"}, None, None),
        ("GET", "/admin/v1/whoami", {"authorization": SENTINEL}, None, None),
        ("GET", "/admin/v1/whoami", {"authorization": f"Basic {SENTINEL}"}, None, None),
        ("GET", "/admin/v1/whoami", {"authorization": f"Bearer {jwt_like_invalid}"}, None, None),
        ("GET", "/admin/v1/whoami", valid, None, None),
        (
            "GET",
            "/admin/v1/jobs",
            {**valid, "cookie": f"session={SENTINEL}; token={SENTINEL}"},
            None,
            None,
        ),
        ("GET", "/admin/v1/jobs", valid, None, {"token": SENTINEL}),
        ("GET", "/admin/v1/audit", valid, None, {"token": SENTINEL, "actor": "x"}),
        ("GET", "/no/such/route", {}, None, {"token": SENTINEL, "password": SENTINEL}),
        (
            "POST",
            "/admin/v1/jobs/kinds/platform.verify",
            {**valid, "Idempotency-Key": uuid.uuid4().hex},
            {"reason": "x", "password": SENTINEL, "token": SENTINEL, "secret": SENTINEL},
            None,
        ),
        (
            "POST",
            "/admin/v1/jobs/kinds/platform.verify",
            {**valid, "Idempotency-Key": uuid.uuid4().hex},
            {
                "reason": "x",
                "params": {
                    "password": SENTINEL,
                    "api_key": SENTINEL,
                    "nested": {"client_secret": SENTINEL},
                },
            },
            None,
        ),
        (
            "POST",
            "/admin/v1/jobs/kinds/platform.verify",
            {**valid, "Idempotency-Key": uuid.uuid4().hex},
            {"reason": 5, "token": SENTINEL},
            None,
        ),
        (
            "GET",
            "/admin/v1/tenant/activity",
            {**valid, "x-tenant-id": "acme-01"},
            None,
            {"secret": SENTINEL},
        ),
        # IAM pass-through: the Gateway rejects our HS256 token, but the bodies travel
        (
            "POST",
            "/admin/v1/iam/users",
            valid,
            {"id": "u1", "name": "x", "password": SENTINEL, "token": SENTINEL},
            None,
        ),
        ("PUT", "/admin/v1/iam/roles/r1", valid, {"rights": [], "secret": SENTINEL}, None),
        (
            "PATCH",
            "/admin/v1/iam/users/admin",
            {**valid, "cookie": f"sid={SENTINEL}"},
            {"password": SENTINEL},
            {"token": SENTINEL},
        ),
        ("GET", "/admin/v1/iam/users", valid, None, {"access_token": SENTINEL}),
        (
            "POST",
            "/admin/v1/iam/sessions/s1/revoke",
            {"authorization": f"Bearer {SENTINEL}"},
            {"token": SENTINEL},
            None,
        ),
    ]
    sent: dict[str, tuple[str, str, int]] = {}
    async with AsyncTestClient(app=app) as client:
        for method, path, headers, body, params in requests:
            rid = f"redact-{uuid.uuid4().hex}"
            r = await client.request(
                method,
                path,
                headers={**headers, "x-request-id": rid, "x-correlation-id": f"c-{rid}"},
                json=body,
                params=params,
            )
            assert r.status_code < 500 or r.status_code == 503, (path, r.status_code, r.text)
            assert SENTINEL not in r.text, (method, path, r.text)
            assert valid_token not in r.text, (method, path)
            for k, v in r.headers.items():
                assert SENTINEL not in v and valid_token not in v, (path, k, v)
            sent[rid] = (method, path, r.status_code)

    captured = capsys.readouterr()

    def from_app(line: str) -> bool:
        # the test's own httpx client logs its request URLs (host testserver.local): not the app
        return "http://testserver.local/" not in line

    everything = "\n".join(
        line
        for line in (captured.out + captured.err).splitlines()
        + [f"{rec.name}: {rec.getMessage()}" for rec in caplog.records]
        if from_app(line)
    )
    for secret in (SENTINEL, valid_token, jwt_like_invalid):
        assert secret not in everything, [
            line for line in everything.splitlines() if secret in line
        ][:5]
    # the token's payload and signature parts individually never show either
    for part in valid_token.split(".")[1:]:
        assert part not in everything

    lines = _parse_lines(captured.out)
    assert lines, "no JSON log lines captured"
    access = [ln for ln in lines if ln.get("event") == "request"]
    for rid, (method, path, status) in sent.items():
        mine = [ln for ln in access if ln.get("request_id") == rid]
        assert len(mine) == 1, (rid, path, mine)
        line = mine[0]
        for f in ACCESS_FIELDS:
            assert f in line, (f, line)
        assert line["correlation_id"] == f"c-{rid}"
        assert line["status"] == status and line["method"] == method
        assert isinstance(line["duration_ms"], int | float) and line["duration_ms"] >= 0
        assert len(line["trace_id"]) == 32 and len(line["span_id"]) == 16
        assert not line["route"].startswith("/no/such"), line  # templates, never raw paths
    by_path = {sent[ln["request_id"]][1]: ln for ln in access if ln.get("request_id") in sent}
    assert by_path["/admin/v1/tenant/activity"]["principal_id"] == "admin"
    assert by_path["/admin/v1/tenant/activity"]["tenant_id"] == "acme-01"
    assert by_path["/admin/v1/tenant/activity"]["route"] == "/admin/v1/tenant/activity"
    assert by_path["/admin/v1/iam/roles/r1"]["route"] == "/admin/v1/iam/{path}"
    assert by_path["/no/such/route"]["principal_id"] is None


async def test_access_log_route_is_a_template(
    nats_url: str, secret_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    app = create_app(
        app_settings(nats_url, secret_file, tmp_path, CONTROL_LOG_LEVEL="info"),
        rights_source=FakeRights(),
    )
    job_id = f"j_{uuid.uuid4().hex}"
    async with AsyncTestClient(app=app) as client:
        r = await client.get(f"/admin/v1/jobs/{job_id}", headers=bearer())
        assert r.status_code == 404
        rid = r.headers["x-request-id"]
        await client.get("/health")  # quiet route: not logged when it succeeds
    out = capsys.readouterr().out
    lines = [ln for ln in _parse_lines(out) if ln.get("event") == "request"]
    [line] = [ln for ln in lines if ln["request_id"] == rid]
    assert line["route"] == "/admin/v1/jobs/{job_id}" and line["status"] == 404
    assert job_id not in line["route"]
    assert line["principal_id"] == "admin" and line["tenant_id"] is None
    assert not [ln for ln in lines if ln["route"] == "/health"]


# -- redact() -------------------------------------------------------------------------------------

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)


def test_redact_credential_keys_at_every_depth() -> None:
    value = {
        "user": "alice",
        "Authorization": "Basic abc",
        "headers": {"cookie": "a=b", "X-Api-Key": "k", "accept": "json"},
        "items": [
            {"password": "p1", "name": "n"},
            [{"client_secret": "s1"}, {"refresh_token": "t1"}],
            ({"private_key": "pk"},),
        ],
        "deep": {"a": {"b": {"c": {"session_key": "sk", "passwd": "pw", "ok": 1}}}},
        "credentials": {"anything": "here"},
        "jwt": "x",
        "signature": "sig-value",
    }
    out = redact(value)
    flat = json.dumps(out)
    for secret in (
        "Basic abc",
        "a=b",
        '"k"',
        "p1",
        "s1",
        "t1",
        '"pk"',
        '"sk"',
        '"pw"',
        "here",
        "sig-value",
    ):
        assert secret not in flat, (secret, flat)
    assert out["user"] == "alice"
    assert out["headers"]["accept"] == "json"
    assert out["items"][0] == {"password": REDACTED, "name": "n"}
    assert out["items"][1] == [{"client_secret": REDACTED}, {"refresh_token": REDACTED}]
    assert out["deep"]["a"]["b"]["c"] == {"session_key": REDACTED, "passwd": REDACTED, "ok": 1}
    assert out["credentials"] == REDACTED


def test_redact_token_shaped_values_under_innocent_keys() -> None:
    value = {
        "note": f"the header was {JWT} oops",
        "list": [JWT, f"Bearer {JWT}", "bearer abc.def-ghi", "plain text"],
        "nested": {"x": [{"y": {"z": JWT}}]},
        "pem": "-----BEGIN RSA PRIVATE KEY-----\nMIIB...\n-----END RSA PRIVATE KEY-----",
        "pem2": "-----BEGIN PRIVATE KEY-----\nabc",
        "tuple": (JWT, 1),
        "set": {JWT},
        "bytes": f"token={JWT}".encode(),
        "number": 42,
        "none": None,
    }
    out = redact(value)
    flat = json.dumps(out, default=str)
    assert "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9" not in flat
    assert "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c" not in flat
    assert "abc.def-ghi" not in flat
    assert "BEGIN RSA PRIVATE KEY-----\nMIIB" not in flat
    assert "BEGIN PRIVATE KEY-----" not in flat
    assert out["note"] == f"the header was {REDACTED} oops"
    assert out["list"][3] == "plain text"
    assert out["number"] == 42 and out["none"] is None
    assert isinstance(out["bytes"], str) and REDACTED in out["bytes"]


def test_redact_does_not_mangle_ordinary_values() -> None:
    value = {
        "reason": "rollout of v1.2.3",
        "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
        "ids": ["j_abc", "req-1.a:b"],
        "tenant_id": "acme-01",
        "count": 3,
    }
    assert redact(value) == value


def test_redact_deep_nesting_is_bounded() -> None:
    deep: Any = {"password": "p"}
    for _ in range(50):
        deep = {"level": deep, "also": [deep]}
    out = redact(deep)
    flat = json.dumps(out)
    assert '"p"' not in flat
    assert "[TRUNCATED]" in flat


def test_redact_bounded_depth_never_leaks_a_token() -> None:
    """Whatever lies below the depth limit is dropped, so a JWT there is not printed either."""
    deep: Any = JWT
    for _ in range(20):
        deep = [deep]
    flat = json.dumps(redact({"k": deep}))
    assert "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c" not in flat


def test_module_level_loggers_use_the_configured_chain(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Loggers created at import time (before configure_logging) must still render JSON through
    the redacting chain, with the request's ids bound."""
    from cloudlysis_control.adapters.nats.state import _log as nats_log
    from cloudlysis_control.core.identity import current_identity, identity_from_headers
    from cloudlysis_control.core.logging import configure_logging
    from cloudlysis_control.core.problems import _log as problems_log
    from cloudlysis_control.jobs.engine import _log as jobs_log

    capsys.readouterr()
    configure_logging("info", "json")
    token = current_identity.set(identity_from_headers(["req-mod-1"], ["corr-mod-1"], [], []))
    try:
        for log in (problems_log, nats_log, jobs_log):
            log.warning("module logger", password=SENTINEL, note=f"Bearer {SENTINEL}")
    finally:
        current_identity.reset(token)
    captured = capsys.readouterr()
    assert SENTINEL not in captured.out + captured.err, captured.out
    lines = [ln for ln in _parse_lines(captured.out) if ln.get("event") == "module logger"]
    assert len(lines) == 3, captured.out
    for line in lines:
        assert line["password"] == REDACTED
        assert line["request_id"] == "req-mod-1" and line["correlation_id"] == "corr-mod-1"
