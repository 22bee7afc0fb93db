"""The class behind the hostile requests (issue #13): arbitrary requests never break the API.

Hypothesis drives the ASGI app directly (tests.support.asgi: no HTTP client normalises anything)
with what uvicorn can deliver: any printable-ASCII target whose %-escapes decode to anything
(control characters, invalid UTF-8), any bytes but NUL/CR/LF in every header the API reads
(authorization with no, garbage, valid admin/viewer/nobody and oddly built tokens; x-request-id,
x-correlation-id, traceparent, tracestate, x-tenant-id, idempotency-key, content-type, accept,
host, a few others), and bodies of any bytes: near-valid JSON per route, arbitrary JSON, deep
nesting, huge numbers, invalid UTF-8, BOMs, binary, split over several messages, framed by a
matching Content-Length or chunked, sometimes abandoned mid-body. Requests aim at the operations
of the app's own OpenAPI schema (paths filled and mutated), at random paths and, for the app
serving the UI, at UI paths. Three in five are nearly valid (a real route, a valid token, ids
and body, one part or the body fuzzed), so the checks behind auth and validation are reached.

Every answer:
- is one uvicorn can send (a real status, header values h11 and httptools accept);
- is never a 5xx;
- carries exactly one x-request-id, x-correlation-id and traceparent: a valid x-request-id or
  x-correlation-id is echoed, anything else is replaced; a valid traceparent continues its trace;
- when >= 400, is application/problem+json whose `status` is the HTTP status, whose
  `request_id` is the x-request-id header and whose `title` is the one its `code` always has;
- for a UI path answered 200, is the SPA's index or the asset, and never a file outside the UI;
- writes nothing to NATS: no JetStream stream's last sequence moves, except for a 202 (a job was
  accepted: the test waits until it has finished), and the audit stream grows by exactly one
  event for a 403 (denials are audited), one for a refused job creation (audited refusals), two
  for an IAM change that reached the Gateway (audited before and after), and none otherwise.

The app runs against its own nats-server (the session's holds other tests' jobs, which this app's
engine would take over mid-example) and a fake Gateway that answers every IAM call 200, so what
is checked is Control's own answer; the Swarm is the example fixture (CONTROL_SWARM_MODE=file).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import nats
import pytest
from cloudlysis_devfleet import serve
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from nats.js import JetStreamContext

from cloudlysis_control.adapters.nats.server import EmbeddedNatsServer
from cloudlysis_control.bootstrap.app import create_app
from cloudlysis_control.core.errors import ControlError
from cloudlysis_control.webui.static import API_PREFIXES
from tests.support.asgi import AsgiResponse, assert_sendable, call, lifespan, server_path
from tests.support.auth import SECRET, FakeRights, make_token
from tests.support.fake_gateway import FakeGateway
from tests.support.hostile import (
    HostileRequest,
    Route,
    header_value_fuzz,
    hostile_requests,
    routes_of,
)
from tests.support.problems import problem
from tests.support.settings import app_settings
from tests.support.swarm import isolated_fixture
from tests.support.tokens import b64json, hs256_raw

pytestmark = pytest.mark.integration

# Bounded and deterministic by default; CONTROL_TEST_FUZZ_SCALE=10 runs ten times the examples,
# CONTROL_TEST_FUZZ_RANDOM=1 explores new ones (a failure then prints how to reproduce it).
_SCALE = float(os.environ.get("CONTROL_TEST_FUZZ_SCALE", "1"))
EXAMPLES_API = max(1, int(600 * _SCALE))
EXAMPLES_UI = max(1, int(200 * _SCALE))

AUDIT_STREAM = "CONTROL_AUDIT"
LOGOUT = "/admin/v1/session/logout"  # a sign-out is audited (session.logout)
_VALID_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_ANY_TRACEPARENT = re.compile(
    r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?", re.DOTALL
)
# Job creations refused after the request was understood: audited once (jobs.service REFUSALS).
_AUDITED_REFUSALS = {"preflight_refused", "plan_stale", "lock_held"}

# The title each problem code was first seen with (module-wide: every example, both apps).
TITLES: dict[str, str] = {}

INDEX = b"<!doctype html><title>console</title>"
ASSET = b"console.log('fuzz')"
OUTSIDE = b"outside the ui dir"


# -- credentials ---------------------------------------------------------------------------------


def _claims(sub: str = "admin", **extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": "cloudlysis-gateway",
        "aud": "cloudlysis-control",
        "sub": sub,
        "sid": f"s-{sub}",
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        **extra,
    }


def _signed(header: dict[str, Any], payload: Any) -> bytes:
    """Signed with the app's secret, whatever the header and payload say."""
    return b"Bearer " + hs256_raw(SECRET, header, b64json(payload)).encode("ascii")


def authorizations() -> dict[str, st.SearchStrategy[bytes] | None]:
    admin = make_token("admin", ttl=3600).encode()
    viewer = make_token("viewer", ttl=3600).encode()
    nobody = make_token("nobody", ttl=3600).encode()
    hs = {"alg": "HS256"}
    odd = [
        _signed({"alg": "HS256", "kid": '\u20ac\x00\x7f"'}, _claims()),
        _signed({"alg": "HS256", "kid": "k" * 5000}, _claims()),
        _signed({"alg": "HS256", "typ": "\u202eJWT", "x": [1, {"y": None}]}, _claims()),
        _signed(hs, _claims("\u202eadmin\x00\r\n")),
        _signed(hs, _claims("a" * 4000)),
        _signed(hs, _claims(sid="\x1b[31m\u2028")),
        _signed(hs, _claims(aud=["cloudlysis-control", "\ud800"])),
        _signed(hs, _claims(exp=1e300)),
        _signed(hs, _claims(exp=time.time() - 3600)),
        _signed(hs, _claims(nbf=time.time() + 3600)),
        _signed(hs, _claims(iss="\u20ac")),
        _signed(hs, [1, 2]),
        _signed(hs, "not an object"),
        _signed({"alg": "none"}, _claims()),
        _signed({"alg": "HS256", "crit": ["exp"]}, _claims()),
        _signed({"alg": "\u20ac"}, _claims()),
    ]
    garbage = st.one_of(
        header_value_fuzz(),
        st.sampled_from(
            [
                b"Bearer",
                b"Bearer ",
                b"Bearer a.b.c",
                b"Bearer ..",
                b"Bearer " + b"A" * 9000,
                b"Basic YWRtaW46YWRtaW4=",
                b"Bearer " + admin + b"=",
                b"Bearer " + admin[:-4],
                b"Bearer " + admin + b"." + admin,
                b"Bearer " + admin.replace(b".", b"\xff", 1),
                b"Bearer\t" + admin,
                b"bearer " + admin + b" ",
            ]
        ),
        header_value_fuzz().map(lambda v: b"Bearer " + v),
    )
    return {
        "none": None,
        "admin": st.sampled_from([b"Bearer " + admin, b"bearer " + admin, b"BEARER   " + admin]),
        "viewer": st.just(b"Bearer " + viewer),
        "nobody": st.just(b"Bearer " + nobody),
        "odd": st.sampled_from(odd),
        "garbage": garbage,
    }


# -- what requests aim at --------------------------------------------------------------------------

SERVICE = "platform_gateway"
PATH_EXAMPLES: dict[str, list[str]] = {
    "job_id": ["j_" + "0" * 32, "j_" + "a" * 32],
    "kind": [
        "platform.verify",
        "service.deploy",
        "tenant.drain",
        "config.reload",
        "nope.kind",
        "aggregate",
        "routing",
    ],
    "tenant_id": ["t1", "acme"],
    "name": [SERVICE, "control_api", "nope"],
    "service": [SERVICE, "gateway"],
    "deployment_id": ["d_1", "0"],
    "path": ["users", "users/admin", "roles", "sessions/s-admin/revoke", "principals/admin/rights"],
}
QUERY_EXAMPLES: dict[str, list[str]] = {
    "limit": ["1", "50", "0", "-1", "1000", "99999999999999999999"],
    "cursor": ["abc", "MjAyNi0wMS0wMXxq"],
    "status": ["running", "succeeded", "nope"],
    "since": ["2026-01-01T00:00:00Z", "yesterday"],
    "until": ["2030-01-01T00:00:00Z"],
    "id": ["j_" + "0" * 32, "0" * 32, "req-1"],
    "format": ["ndjson", "csv", "xml"],
    "match": ["prefix", "substring", "regex"],
    "outcome": ["denied", "accepted"],
    "kind": ["service.deploy", "aggregate"],
}
UI_PATHS = [
    "/",
    "/index.html",
    "/assets/app.js",
    "/assets/",
    "/assets/missing.js",
    "/jobs",
    "/jobs/j_123",
    "/tenants/acme",
    "/assets/..%2fapp.js",
    "/%2e%2e/secret.txt",
    "/assets/%2e%2e/%2e%2e/secret.txt",
    "/..%5csecret.txt",
    "/favicon.ico",
]


def body_templates(route: Route) -> list[dict[str, Any]]:
    t = route.template
    if t.endswith("/deploy"):
        return [{"reason": "fuzz", "confirm": SERVICE, "tag": "1.4.3"}]
    if t.endswith("/rollback"):
        return [{"reason": "fuzz", "confirm": SERVICE}]
    if t == "/admin/v1/jobs/kinds/{kind}":
        return [
            {"reason": "fuzz", "params": {}},
            {"reason": "fuzz", "params": {"service": SERVICE, "confirm": SERVICE, "tag": "2"}},
        ]
    if t.startswith("/admin/v1/tenants/") and t.endswith("/migrate"):
        return [{"reason": "x", "kind": "aggregate", "target_shard": "s2", "plan_hash": "0" * 64}]
    if t.startswith("/admin/v1/tenants/"):
        return [{"reason": "fuzz"}, {"reason": "fuzz", "kinds": ["aggregate"]}]
    if t.startswith("/admin/v1/plans/"):
        return [{"kind": "aggregate", "target_shard": "s2"}]
    if t == "/admin/v1/config/reload":
        return [{"reason": "fuzz", "services": ["gateway"]}]
    if t == "/admin/v1/session/dev-login":
        return [{"principal": "admin"}]
    if t.startswith("/admin/v1/iam/"):
        return [{"id": "u1", "roles": ["viewer"]}]
    return []


# -- the environment -------------------------------------------------------------------------------


class Target:
    """The app under test and what the checks read (a plain class: Hypothesis prints its
    repr with every failing example)."""

    def __init__(
        self,
        app: Litestar,
        state: dict[str, Any],
        routes: list[Route],
        js: JetStreamContext,
        gateway: FakeGateway,
        ui: bool,
    ) -> None:
        self.app = app
        self.state = state
        self.routes = routes
        self.js = js
        self.gateway = gateway
        self.ui = ui
        # Built once: the tokens in it are signed once per test, not per example.
        self.requests = hostile_requests(
            routes,
            authorizations(),
            valid_auth=("admin", "admin", "viewer", "nobody"),
            path_examples=PATH_EXAMPLES,
            query_examples=QUERY_EXAMPLES,
            body_templates=body_templates,
            ui_paths=UI_PATHS if ui else (),
        )

    def __repr__(self) -> str:
        return f"Target(ui={self.ui})"


@pytest.fixture(scope="module")
async def fuzz_nats(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    server = EmbeddedNatsServer(tmp_path_factory.mktemp("fuzz-nats"))
    await server.start()
    try:
        yield server.url
    finally:
        await server.stop()


@pytest.fixture(scope="module")
async def jetstream(fuzz_nats: str) -> AsyncIterator[JetStreamContext]:
    nc = await nats.connect(fuzz_nats)
    try:
        yield nc.jetstream()
    finally:
        await nc.close()


@pytest.fixture(scope="module")
async def gateway() -> AsyncIterator[tuple[str, FakeGateway]]:
    fake = FakeGateway()
    async with serve(fake) as url:
        yield url, fake


async def _target(
    ui: bool,
    nats_url: str,
    tmp_path: Path,
    js: JetStreamContext,
    gateway: tuple[str, FakeGateway],
) -> AsyncIterator[Target]:
    (tmp_path / "secret").write_bytes(SECRET)
    env = {
        "CONTROL_GATEWAY_URL": gateway[0],
        "CONTROL_DEV_LOGIN": "true",
        "CONTROL_SWARM_MODE": "file",
        "CONTROL_SWARM_FILE": str(isolated_fixture(tmp_path)),
        "CONTROL_SWARM_DISCOVERY": "false",
        "CONTROL_DEPLOY_HEALTH_TIMEOUT_S": "1",
    }
    if ui:
        dist = tmp_path / "dist"
        (dist / "assets").mkdir(parents=True)
        (dist / "index.html").write_bytes(INDEX)
        (dist / "assets" / "app.js").write_bytes(ASSET)
        (tmp_path / "secret.txt").write_bytes(OUTSIDE)
        env["CONTROL_UI_DIR"] = str(dist)
    settings_ = app_settings(nats_url, tmp_path / "secret", tmp_path, **env)
    app = create_app(settings_, rights_source=FakeRights())
    routes = routes_of(app.openapi_schema.to_schema())
    assert any(r.has_body for r in routes), routes  # the route table the requests aim at
    async with lifespan(app) as state:
        # Start-up writes (the deployment history backfilled from the Swarm) finish first.
        await quiet(js)
        yield Target(app, state, routes, js, gateway[1], ui)


@pytest.fixture
async def api_target(
    fuzz_nats: str, tmp_path: Path, jetstream: JetStreamContext, gateway: Any
) -> AsyncIterator[Target]:
    async for t in _target(False, fuzz_nats, tmp_path, jetstream, gateway):
        yield t


@pytest.fixture
async def ui_target(
    fuzz_nats: str, tmp_path: Path, jetstream: JetStreamContext, gateway: Any
) -> AsyncIterator[Target]:
    async for t in _target(True, fuzz_nats, tmp_path, jetstream, gateway):
        yield t


# -- the checks ------------------------------------------------------------------------------------


async def stream_seqs(js: JetStreamContext) -> dict[str, int]:
    return {str(info.config.name): info.state.last_seq for info in await js.streams_info()}


async def quiet(js: JetStreamContext, timeout_s: float = 30.0, still_s: float = 0.3) -> None:
    """Wait until no stream has moved for `still_s`."""
    deadline = time.monotonic() + timeout_s
    before = await stream_seqs(js)
    while True:
        await asyncio.sleep(still_s)
        after = await stream_seqs(js)
        if after == before:
            return
        assert time.monotonic() < deadline, "NATS did not quiet down"
        before = after


async def settle_job(target: Target, job_id: str, timeout_s: float = 60.0) -> None:
    """Wait until an accepted job has finished and NATS is quiet again."""
    jobs = target.app.state.container.jobs
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            job = await jobs.get(job_id)
        except ControlError:
            job = None
        if job is not None and job.status in ("succeeded", "failed", "cancelled", "compensated"):
            break
        assert time.monotonic() < deadline, f"job {job_id} did not finish: {job}"
        await asyncio.sleep(0.05)
    await quiet(target.js)


def one_header(resp: AsgiResponse, name: str) -> str:
    values = resp.header_values(name)
    assert len(values) == 1, (name, values)
    return values[0].decode("latin-1")


def check_ids(req: HostileRequest, resp: AsgiResponse) -> None:
    for name in ("x-request-id", "x-correlation-id"):
        got = one_header(resp, name)
        assert _VALID_ID.fullmatch(got), (name, got)
        sent = [v.decode("latin-1") for v in req.values(name.encode())]
        if len(sent) == 1 and _VALID_ID.fullmatch(sent[0]):
            assert got == sent[0], (name, sent, got)
        else:
            assert got not in sent, (name, sent, got)
    traceparent = _TRACEPARENT.fullmatch(one_header(resp, "traceparent"))
    assert traceparent, one_header(resp, "traceparent")
    trace_id = continued_trace(req.values(b"traceparent"))
    if trace_id is not None:
        assert traceparent.group(1) == trace_id, (req.values(b"traceparent"), traceparent[0])
    elif resp.header_values("tracestate"):
        raise AssertionError("tracestate echoed without a valid traceparent")


def continued_trace(values: list[bytes]) -> str | None:
    """The trace id a single valid traceparent continues (W3C Trace Context level 2: a version
    but ff, a higher version may carry more fields after a '-'), else None."""
    if len(values) != 1:
        return None
    found = _ANY_TRACEPARENT.fullmatch(values[0].decode("latin-1").strip(" \t"))
    if found is None:
        return None
    version, trace_id, parent_id, _flags, rest = found.groups()
    if version == "ff" or (version == "00" and rest is not None):
        return None
    if trace_id == "0" * 32 or parent_id == "0" * 16:
        return None
    return trace_id


def is_ui_path(path: str) -> bool:
    return not path.lstrip("/").startswith(API_PREFIXES)


def check_body(target: Target, req: HostileRequest, resp: AsgiResponse) -> None:
    status = resp.status_code
    assert OUTSIDE not in resp.content
    if status >= 400:
        body = problem(resp)
        # RFC 9457 section 3.1.3: the title does not change from occurrence to occurrence.
        title = TITLES.setdefault(body["code"], body["title"])
        assert body["title"] == title, (body["code"], title, body["title"])
        event(f"{status} {body['code']}")
        return
    event(str(status))
    ctype = resp.headers.get("content-type", "")
    if ctype.startswith("application/json") and req.method != "HEAD":
        json.loads(resp.content)
    if (
        target.ui
        and status == 200
        and req.method == "GET"
        and is_ui_path(server_path(req.raw_path))
    ):
        assert resp.content in (INDEX, ASSET), resp.content[:200]


def check_nats(
    req: HostileRequest,
    resp: AsgiResponse,
    before: Mapping[str, int],
    after: Mapping[str, int],
    iam_calls: int,
) -> None:
    status = resp.status_code
    code = resp.json().get("code") if status >= 400 else None
    audit = after.get(AUDIT_STREAM, 0) - before.get(AUDIT_STREAM, 0)
    moved = {n for n in set(before) | set(after) if before.get(n) != after.get(n)}
    if status != 202:
        assert moved <= {AUDIT_STREAM}, (status, code, moved)
    if status == 202:
        # A job accepted (or cancelled) now is audited; a replay of an earlier request with the
        # same Idempotency-Key, or cancelling a finished job, changes nothing.
        assert audit >= 1 or not moved, f"an accepted job wrote {moved} but no audit event"
    elif status == 403:
        assert audit == 1, f"a denial wrote {audit} audit events"
    elif code in _AUDITED_REFUSALS:
        assert audit == 1, f"a refused job creation ({code}) wrote {audit} audit events"
    elif status == 204 and req.route is not None and req.route.template == LOGOUT:
        assert audit == 1, f"a sign-out wrote {audit} audit events"
    elif iam_calls and req.method in ("POST", "PUT", "PATCH", "DELETE"):
        assert audit == 2, f"an IAM change wrote {audit} audit events, not before and after"
    else:
        assert audit == 0, f"{status} {code} wrote {audit} audit events"


async def exercise(target: Target, req: HostileRequest) -> None:
    before = await stream_seqs(target.js)
    calls_before = target.gateway.iam_calls
    resp = await call(
        target.app,
        req.method,
        req.raw_path,
        req.query_string,
        req.headers,
        req.body,
        chunks=req.chunks,
        disconnect=req.disconnect,
        state=target.state,
    )
    assert_sendable(resp)
    assert resp.status_code < 500, (resp.status_code, resp.content[:500])
    check_ids(req, resp)
    check_body(target, req, resp)
    if resp.status_code == 202:
        await settle_job(target, resp.json()["id"])
    after = await stream_seqs(target.js)
    check_nats(req, resp, before, after, target.gateway.iam_calls - calls_before)


FUZZ: dict[str, Any] = dict(
    deadline=None,
    derandomize=not os.environ.get("CONTROL_TEST_FUZZ_RANDOM"),
    database=None,
    print_blob=False,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


@settings(max_examples=EXAMPLES_API, **FUZZ)
@given(data=st.data())
async def test_api_answers_every_request_with_a_problem_or_success(
    api_target: Target, data: st.DataObject
) -> None:
    await exercise(api_target, data.draw(api_target.requests, label="request"))


@settings(max_examples=EXAMPLES_UI, **FUZZ)
@given(data=st.data())
async def test_ui_app_answers_every_request_with_the_spa_a_file_or_a_problem(
    ui_target: Target, data: st.DataObject
) -> None:
    await exercise(ui_target, data.draw(ui_target.requests, label="request"))
