"""The API core against a real nats-server: pipeline, errors, auth, jobs, audit."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from prometheus_client.parser import text_string_to_metric_families

from cloudlysis_control.auth.guards import RIGHT_OF_KIND, SESSION
from tests.support.auth import FakeRights, bearer

pytestmark = pytest.mark.integration

Client = AsyncTestClient[Litestar]


def problem(resp: Any) -> dict[str, Any]:
    assert resp.headers["content-type"].startswith("application/problem+json"), resp.text
    body = resp.json()
    for member in ("type", "title", "status", "code", "request_id"):
        assert member in body, body
    assert body["status"] == resp.status_code
    assert body["request_id"] == resp.headers["x-request-id"]
    return body  # type: ignore[no-any-return]


async def wait_job(client: Client, job_id: str, timeout: float = 15.0) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        job = (await client.get(f"/admin/v1/jobs/{job_id}", headers=bearer())).json()
        if job["status"] in ("succeeded", "failed", "cancelled", "timed_out"):
            return job  # type: ignore[no-any-return]
        assert asyncio.get_running_loop().time() < deadline, job
        await asyncio.sleep(0.05)


# -- T2.1 health / ready / metrics -------------------------------------------------------------


async def test_health_and_ready(client: Client) -> None:
    r = await client.get("/health")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    r = await client.get("/ready")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "ready"


async def test_metrics_have_build_info_and_route_templates(client: Client) -> None:
    job_id = f"j_{uuid.uuid4().hex}"
    await client.get(f"/admin/v1/jobs/{job_id}", headers=bearer())
    text = (await client.get("/metrics")).text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    info = families["control_build_info"].samples[0]
    assert info.labels["service"] == "control-api" and info.value == 1
    assert set(info.labels) == {"service", "version", "git_sha"}
    routes = {s.labels["route"] for s in families["control_http_requests"].samples}
    assert "/admin/v1/jobs/{job_id}" in routes
    assert not any(job_id in r for r in routes), routes
    assert "control_http_request_duration_seconds" in families


# -- request identity ---------------------------------------------------------------------------


async def test_ids_are_echoed_on_success_and_errors(client: Client) -> None:
    tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    headers = {"x-request-id": "req-1.a:b", "x-correlation-id": "corr_42", "traceparent": tp}
    for path, hdrs, status in [
        ("/health", headers, 200),
        ("/admin/v1/whoami", headers, 401),
        ("/nope", headers, 404),
        ("/admin/v1/whoami", {**headers, **bearer()}, 200),
    ]:
        r = await client.get(path, headers=hdrs)
        assert r.status_code == status
        assert r.headers["x-request-id"] == "req-1.a:b"
        assert r.headers["x-correlation-id"] == "corr_42"
        out = r.headers["traceparent"].split("-")
        assert out[0] == "00" and out[1] == "4bf92f3577b34da6a3ce929d0e0e4736"
        assert out[2] != "00f067aa0ba902b7" and len(out[2]) == 16


@pytest.mark.parametrize(
    "bad",
    ["", "x" * 129, "has space", "semi;colon", "ünïcode"],
)
async def test_invalid_ids_are_replaced(client: Client, bad: str) -> None:
    r = await client.get(
        "/health", headers=[(b"x-request-id", bad.encode()), (b"x-correlation-id", bad.encode())]
    )
    assert r.headers["x-request-id"] != bad and 1 <= len(r.headers["x-request-id"]) <= 128
    assert r.headers["x-correlation-id"] != bad


async def test_invalid_traceparent_starts_new_trace(client: Client) -> None:
    r = await client.get(
        "/health",
        headers={
            "traceparent": "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "tracestate": "vendor=value",
        },
    )
    tp = r.headers["traceparent"].split("-")
    assert tp[1] != "4bf92f3577b34da6a3ce929d0e0e4736"
    assert "tracestate" not in r.headers


async def test_405_is_problem_json(client: Client) -> None:
    r = await client.delete("/health")
    assert r.status_code == 405
    assert problem(r)["code"] == "method_not_allowed"


# -- T2.2 authentication / authorization --------------------------------------------------------


async def test_401_without_token(client: Client) -> None:
    r = await client.get("/admin/v1/jobs")
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer ")
    assert problem(r)["code"] == "unauthorized"


async def test_401_on_revoked_session(client: Client, rights: FakeRights) -> None:
    rights.revoked.add("s-revoked")
    r = await client.get("/admin/v1/whoami", headers=bearer("admin", sid="s-revoked"))
    assert r.status_code == 401
    assert "revoked" in problem(r)["detail"]


async def test_403_names_missing_right_and_is_audited(client: Client) -> None:
    corr = f"deny-{uuid.uuid4().hex}"
    r = await client.post(
        "/admin/v1/jobs/kinds/platform.verify",
        json={"reason": "x"},
        headers={**bearer("viewer"), "Idempotency-Key": "k", "x-correlation-id": corr},
    )
    assert r.status_code == 403
    assert problem(r)["missing_right"] == "control.jobs.run"
    events = (
        await client.get("/admin/v1/audit", params={"correlation_id": corr}, headers=bearer())
    ).json()["items"]
    assert [(e["actor"], e["outcome"], e["action"]) for e in events] == [
        ("viewer", "denied", "authz.deny")
    ]
    assert events[0]["detail"] == {"missing_right": "control.jobs.run", "scope": "platform"}


async def test_whoami(client: Client) -> None:
    r = await client.get("/admin/v1/whoami", headers=bearer("viewer", sid="sess-9"))
    assert r.status_code == 200
    body = r.json()
    assert body["principal_id"] == "viewer" and body["session_id"] == "sess-9"
    assert "control.jobs.read" in body["rights"] and "control.jobs.run" not in body["rights"]


async def test_rights_are_cached_per_session(client: Client, rights: FakeRights) -> None:
    headers = bearer("admin", sid=f"cache-{uuid.uuid4().hex}")
    before = rights.calls
    for _ in range(5):
        assert (await client.get("/admin/v1/whoami", headers=headers)).status_code == 200
    assert rights.calls - before == 1


async def test_every_route_declares_a_right(app: Litestar) -> None:
    public = {
        "/health",
        "/ready",
        "/metrics",
        "/admin/v1/ui-config",
        "/admin/v1/session/dev-login",
        "/admin/v1/session/login",
        "/admin/v1/session/sso",
        "/admin/v1/session/refresh",
    }
    missing = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if route.path.startswith("/schema"):
                continue
            if set(handler.http_methods) == {"OPTIONS"}:
                continue  # Litestar's automatic OPTIONS handlers: no right, so always denied
            if handler.opt.get("public"):
                assert route.path in public, f"{route.path} is public but not allow-listed"
                continue
            right = handler.opt.get("right")
            if right == RIGHT_OF_KIND:
                continue  # the right of the job kind in the path (ListJobKinds names each)
            if right == SESSION:
                assert route.path == "/admin/v1/session/logout", route.path
                continue  # signing out needs a valid session and no right
            if not isinstance(right, str) or not right.startswith("control."):
                missing.append(f"{sorted(handler.http_methods)} {route.path}")
    assert missing == []


async def test_a_caller_without_rights_is_refused_on_every_route_that_is_not_public(
    app: Litestar, client: Client
) -> None:
    """Authorization runs in the authentication middleware, not as an app-wide guard (that makes
    Litestar copy the handler on every request): walk the whole route table as a caller holding
    no right, so a route the middleware would not reach cannot ship."""
    assert not app.guards  # no guard: nothing copies the handler per request
    let_through = []
    for route in app.routes:
        params = route.path_parameters
        values = {p.name: "1" if p.type is int else "t1" for p in _params(params)}
        path = route.path
        for name, value in values.items():
            path = re.sub(r"\{" + name + r"(:[a-z]+)?\}", value, path)
        for handler in getattr(route, "route_handlers", []):
            if handler.opt.get("public") or handler.opt.get("right") == SESSION:
                continue
            for method in sorted(handler.http_methods):
                r = await client.request(
                    method, path, headers={**bearer("nobody"), "x-tenant-id": "t1"}
                )
                if r.status_code != 403:
                    let_through.append(f"{method} {route.path}: {r.status_code}")
    assert let_through == []


def _params(params: Any) -> list[Any]:
    return list(params.values()) if isinstance(params, dict) else list(params)


async def test_automatic_options_handlers_are_denied(client: Client) -> None:
    assert (await client.options("/admin/v1/jobs")).status_code == 401
    r = await client.options("/admin/v1/jobs", headers=bearer())
    assert r.status_code == 403 and problem(r)["missing_right"] == "undeclared"


# -- T2.3 tenant scope --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 400, "tenant_id_missing"),
        ({"x-tenant-id": ""}, 400, "tenant_id_missing"),
        ({"x-tenant-id": "Acme"}, 400, "tenant_id_invalid"),
        ({"x-tenant-id": "-acme"}, 400, "tenant_id_invalid"),
        ({"x-tenant-id": "a" * 64}, 400, "tenant_id_invalid"),
        ({"x-tenant-id": "acme-01"}, 200, None),
    ],
)
async def test_tenant_scoped_route(
    client: Client, headers: dict[str, str], status: int, code: str | None
) -> None:
    r = await client.get("/admin/v1/tenant/activity", headers={**bearer(), **headers})
    assert r.status_code == status, r.text
    if code:
        assert problem(r)["code"] == code
    else:
        assert r.json()["tenant_id"] == "acme-01"


async def test_platform_routes_ignore_tenant_header(client: Client) -> None:
    r = await client.get("/admin/v1/jobs", headers={**bearer(), "x-tenant-id": "NOT VALID"})
    assert r.status_code == 200


# -- jobs and idempotency -----------------------------------------------------------------------


async def test_job_requires_idempotency_key_and_reason(client: Client) -> None:
    r = await client.post(
        "/admin/v1/jobs/kinds/platform.verify", json={"reason": "x"}, headers=bearer()
    )
    assert problem(r)["code"] == "idempotency_key_missing"
    r = await client.post(
        "/admin/v1/jobs/kinds/platform.verify",
        json={"reason": "  "},
        headers={**bearer(), "Idempotency-Key": uuid.uuid4().hex},
    )
    assert r.status_code == 400
    r = await client.post(
        "/admin/v1/jobs/kinds/platform.verify",
        json={},
        headers={**bearer(), "Idempotency-Key": uuid.uuid4().hex},
    )
    assert r.status_code == 400 and problem(r)["code"] == "validation_failed"
    r = await client.post(
        "/admin/v1/jobs/kinds/no.such.kind",
        json={"reason": "x"},
        headers={**bearer(), "Idempotency-Key": uuid.uuid4().hex},
    )
    assert r.status_code == 404


async def test_bad_bodies_never_500(client: Client) -> None:
    for body in (b"not json", b"[]", b'{"reason": 5}', b'{"reason": "x", "extra": 1}', b"\xff\xfe"):
        r = await client.post(
            "/admin/v1/jobs/kinds/platform.verify",
            content=body,
            headers={
                **bearer(),
                "Idempotency-Key": uuid.uuid4().hex,
                "content-type": "application/json",
            },
        )
        assert r.status_code == 400, (body, r.text)
        problem(r)
