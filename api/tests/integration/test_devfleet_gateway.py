"""The simulated Gateway over real sockets: uvicorn on a free loopback port, httpx as client.

These tests pin the contract in docs/contracts/gateway-iam.md that the control plane relies on.
"""

import asyncio
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from cloudlysis_devfleet import GatewayConfig, create_gateway_app, serve
from cloudlysis_devfleet.serving import bind_listening_socket
from joserfc import jwt
from joserfc.jwk import KeySet
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.integration

VIEWER_RIGHTS = {
    "control.access",
    "control.jobs.read",
    "control.audit.read",
    "control.fleet.read",
    "control.placement.read",
    "control.tenants.read",
    "control.iam.read",
    "control.deployments.read",
    "control.config.read",
}
ADMIN_RIGHTS = VIEWER_RIGHTS | {
    "control.jobs.run",
    "control.audit.export",
    "control.iam.write",
    "control.tenants.operate",
    "control.deployments.operate",
    "control.config.write",
}

TENANT_OPERATOR_RIGHTS = {
    "control.access",
    "control.tenants.read",
    "control.tenants.operate",
    "control.jobs.read",
    "control.jobs.run",
    "control.audit.read",
}

GatewayFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@asynccontextmanager
async def running_gateway(data_dir: Path, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_gateway_app(GatewayConfig(data_dir=data_dir, **overrides))
    async with serve(app, "127.0.0.1", 0) as url, httpx.AsyncClient(base_url=url) as client:
        yield client


@pytest.fixture
async def gw(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with running_gateway(tmp_path / "gateway") as client:
        yield client


async def login(client: httpx.AsyncClient, principal: str, **extra: Any) -> dict[str, Any]:
    response = await client.post("/auth/v1/dev-login", json={"principal": principal, **extra})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(session: dict[str, Any]) -> dict[str, str]:
    return {"authorization": f"Bearer {session['access_token']}"}


async def rights_of(
    client: httpx.AsyncClient, caller: dict[str, Any], principal: str, session_id: str
) -> httpx.Response:
    return await client.get(
        f"/iam/v1/principals/{principal}/rights",
        params={"session_id": session_id},
        headers=bearer(caller),
    )


def assert_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"]
    assert body["title"]
    assert body["detail"]


async def test_health_and_request_ids_are_echoed_or_minted(gw: httpx.AsyncClient) -> None:
    response = await gw.get(
        "/health", headers={"x-request-id": "req-123", "x-correlation-id": "flow-9"}
    )
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["x-request-id"] == "req-123"
    assert response.headers["x-correlation-id"] == "flow-9"

    minted = await gw.get("/health", headers={"x-request-id": "bad id\twith spaces"})
    assert minted.headers["x-request-id"] not in ("", "bad id\twith spaces")
    assert minted.headers["x-correlation-id"]

    unrouted = await gw.get("/no/such/route", headers={"x-request-id": "req-404"})
    assert_problem(unrouted, 404, "not_found")
    assert unrouted.headers["x-request-id"] == "req-404"
    assert_problem(await gw.delete("/health"), 405, "method_not_allowed")


async def test_logs_carry_ids_and_never_the_token(
    gw: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    with caplog.at_level(logging.INFO, logger="cloudlysis_devfleet"):
        session = await login(gw, "admin")
        await gw.get(
            "/iam/v1/users",
            headers={
                **bearer(session),
                "x-request-id": "req-log",
                "traceparent": f"00-{trace_id}-00f067aa0ba902b7-01",
            },
        )
    [record] = [r for r in caplog.records if getattr(r, "request_id", None) == "req-log"]
    assert record.getMessage() == "GET /iam/v1/users 200"
    assert getattr(record, "trace_id", None) == trace_id
    assert caplog.records, "requests must be logged"
    for logged in caplog.records:
        text = logged.getMessage() + repr(vars(logged))
        assert session["access_token"] not in text
        assert session["access_token"].split(".")[2] not in text


async def test_dev_login_token_verifies_against_published_jwks(gw: httpx.AsyncClient) -> None:
    before = int(time.time())
    session = await login(gw, "admin")
    assert session["token_type"] == "Bearer"
    assert session["principal_id"] == "admin"

    jwks = (await gw.get("/.well-known/jwks.json")).json()
    [jwk] = jwks["keys"]
    assert jwk["kty"] == "OKP"
    assert jwk["crv"] == "Ed25519"
    assert jwk["use"] == "sig"
    assert jwk["alg"] == "Ed25519"
    assert "d" not in jwk, "the JWKS must never publish the private key"

    token = jwt.decode(session["access_token"], KeySet.import_key_set(jwks), algorithms=["Ed25519"])
    assert token.header["alg"] == jwk["alg"] == "Ed25519"
    assert token.header["kid"] == jwk["kid"]
    claims = token.claims
    assert claims["iss"] == "cloudlysis-gateway"
    assert claims["aud"] == "cloudlysis-control"
    assert claims["sub"] == "admin"
    assert claims["sid"] == session["session_id"]
    assert claims["exp"] == session["expires_at"]
    assert before <= claims["iat"] == claims["nbf"] <= int(time.time())
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["name"] == "Platform Admin"


async def test_issuer_audience_and_ttl_follow_config(tmp_path: Path) -> None:
    async with running_gateway(
        tmp_path / "gw", issuer="https://gw.example", audience="ctl", token_ttl_s=120
    ) as client:
        session = await login(client, "viewer")
        jwks = (await client.get("/.well-known/jwks.json")).json()
    claims = jwt.decode(
        session["access_token"], KeySet.import_key_set(jwks), algorithms=["Ed25519"]
    ).claims
    assert (claims["iss"], claims["aud"], claims["exp"] - claims["iat"]) == (
        "https://gw.example",
        "ctl",
        120,
    )


async def test_dev_login_refuses_unknown_and_disabled_principals(gw: httpx.AsyncClient) -> None:
    assert_problem(
        await gw.post("/auth/v1/dev-login", json={"principal": "mallory"}),
        404,
        "principal_not_found",
    )
    admin = await login(gw, "admin")
    disabled = await gw.patch(
        "/iam/v1/users/viewer", json={"disabled": True}, headers=bearer(admin)
    )
    assert disabled.status_code == 200
    assert disabled.json()["disabled"] is True
    assert_problem(
        await gw.post("/auth/v1/dev-login", json={"principal": "viewer"}),
        403,
        "principal_disabled",
    )
    assert_problem(
        await gw.post("/auth/v1/dev-login", json={"principal": "admin", "extra": 1}),
        422,
        "invalid_request",
    )


async def test_dev_login_absent_when_disabled(tmp_path: Path) -> None:
    async with running_gateway(tmp_path / "gw", dev_login_enabled=False) as client:
        response = await client.post("/auth/v1/dev-login", json={"principal": "admin"})
    assert_problem(response, 404, "not_found")


@pytest.mark.parametrize(
    ("principal", "expected"),
    [("admin", ADMIN_RIGHTS), ("viewer", VIEWER_RIGHTS), ("nobody", set())],
)
async def test_seeded_principals_have_their_rights(
    gw: httpx.AsyncClient, principal: str, expected: set[str]
) -> None:
    session = await login(gw, principal)
    response = await rights_of(gw, session, principal, session["session_id"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {
        "principal_id": principal,
        "session_id": session["session_id"],
        "session_status": "active",
        "rights": sorted(expected),
        "tenant_rights": {},
    }


async def test_self_read_needs_no_iam_read_but_others_do(gw: httpx.AsyncClient) -> None:
    nobody = await login(gw, "nobody")
    admin = await login(gw, "admin")
    viewer = await login(gw, "viewer")

    own = await rights_of(gw, nobody, "nobody", nobody["session_id"])
    assert own.status_code == 200
    assert own.json()["rights"] == []

    assert_problem(await rights_of(gw, nobody, "admin", admin["session_id"]), 403, "missing_right")
    other = await rights_of(gw, viewer, "admin", admin["session_id"])
    assert other.status_code == 200
    assert set(other.json()["rights"]) == ADMIN_RIGHTS

    # A session that is not the principal's is "unknown", with no rights.
    mismatched = await rights_of(gw, viewer, "admin", viewer["session_id"])
    assert mismatched.json()["session_status"] == "unknown"
    assert mismatched.json()["rights"] == []

    assert_problem(await rights_of(gw, viewer, "ghost", "ses_x"), 404, "principal_not_found")
    missing_sid = await gw.get("/iam/v1/principals/viewer/rights", headers=bearer(viewer))
    assert_problem(missing_sid, 422, "invalid_request")


async def test_viewer_and_nobody_cannot_mutate(gw: httpx.AsyncClient) -> None:
    viewer = await login(gw, "viewer")
    nobody = await login(gw, "nobody")
    admin = await login(gw, "admin")
    headers = bearer(viewer)

    assert (await gw.get("/iam/v1/users", headers=headers)).status_code == 200
    assert_problem(
        await gw.post("/iam/v1/users", json={"id": "eve", "name": "Eve"}, headers=headers),
        403,
        "missing_right",
    )
    assert_problem(
        await gw.patch("/iam/v1/users/admin", json={"name": "x"}, headers=headers),
        403,
        "missing_right",
    )
    assert_problem(await gw.delete("/iam/v1/users/admin", headers=headers), 403, "missing_right")
    assert_problem(
        await gw.put(
            "/iam/v1/roles/viewer", json={"rights": ["control.iam.write"]}, headers=headers
        ),
        403,
        "missing_right",
    )
    assert_problem(
        await gw.post(f"/iam/v1/sessions/{admin['session_id']}/revoke", headers=headers),
        403,
        "missing_right",
    )
    assert_problem(await gw.get("/iam/v1/users", headers=bearer(nobody)), 403, "missing_right")
    # Nothing changed.
    users = (await gw.get("/iam/v1/users", headers=headers)).json()["items"]
    assert [u["id"] for u in users] == ["acme-operator", "admin", "nobody", "viewer"]


async def test_revoked_session_reports_revoked_and_fails_the_iam_api(
    gw: httpx.AsyncClient,
) -> None:
    admin = await login(gw, "admin")
    viewer = await login(gw, "viewer")
    other_viewer = await login(gw, "viewer")

    revoked = await gw.post(
        f"/iam/v1/sessions/{viewer['session_id']}/revoke", headers=bearer(admin)
    )
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked"
    assert revoked.json()["revoked_at"] is not None

    own = await rights_of(gw, viewer, "viewer", viewer["session_id"])
    assert own.status_code == 200
    assert own.json() == {
        "principal_id": "viewer",
        "session_id": viewer["session_id"],
        "session_status": "revoked",
        "rights": [],
        "tenant_rights": {},
    }
    assert_problem(await gw.get("/iam/v1/users", headers=bearer(viewer)), 401, "session_revoked")
    # A revoked token may only learn about its own session.
    assert_problem(
        await rights_of(gw, viewer, "admin", admin["session_id"]), 401, "session_revoked"
    )
    seen_by_admin = await rights_of(gw, admin, "viewer", viewer["session_id"])
    assert seen_by_admin.json()["session_status"] == "revoked"

    # The principal's other session is untouched; revoking is idempotent; self-revoke is logout.
    assert (await gw.get("/iam/v1/users", headers=bearer(other_viewer))).status_code == 200
    again = await gw.post(f"/iam/v1/sessions/{viewer['session_id']}/revoke", headers=bearer(admin))
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]
    logout = await gw.post(
        f"/iam/v1/sessions/{other_viewer['session_id']}/revoke", headers=bearer(other_viewer)
    )
    assert logout.status_code == 200
    assert logout.json()["status"] == "revoked"


async def test_sessions_listing_and_lookup(gw: httpx.AsyncClient) -> None:
    admin = await login(gw, "admin")
    viewer = await login(gw, "viewer")
    listed = await gw.get("/iam/v1/sessions", headers=bearer(admin))
    assert {s["id"] for s in listed.json()["items"]} == {
        admin["session_id"],
        viewer["session_id"],
    }
    only_viewer = await gw.get(
        "/iam/v1/sessions", params={"principal_id": "viewer"}, headers=bearer(admin)
    )
    [session] = only_viewer.json()["items"]
    assert session["id"] == viewer["session_id"]
    assert session["principal_id"] == "viewer"
    assert session["status"] == "active"
    assert session["expires_at"] == viewer["expires_at"]
    one = await gw.get(f"/iam/v1/sessions/{viewer['session_id']}", headers=bearer(admin))
    assert one.json() == session
    assert_problem(
        await gw.get("/iam/v1/sessions/ses_missing", headers=bearer(admin)),
        404,
        "session_not_found",
    )
    assert_problem(
        await gw.post("/iam/v1/sessions/ses_missing/revoke", headers=bearer(admin)),
        404,
        "session_not_found",
    )


async def test_expired_token_is_rejected_and_its_session_reads_expired(
    gw: httpx.AsyncClient,
) -> None:
    admin = await login(gw, "admin")
    short = await login(gw, "viewer", ttl_s=1)
    assert short["expires_at"] - int(time.time()) <= 1
    await asyncio.sleep(1.1)
    assert_problem(await gw.get("/iam/v1/users", headers=bearer(short)), 401, "token_expired")
    seen = await rights_of(gw, admin, "viewer", short["session_id"])
    assert seen.json()["session_status"] == "expired"
    assert seen.json()["rights"] == []
    assert_problem(
        await gw.post("/auth/v1/dev-login", json={"principal": "admin", "ttl_s": 999_999}),
        422,
        "invalid_request",
    )


async def test_bad_tokens_get_401(gw: httpx.AsyncClient, tmp_path: Path) -> None:
    missing = await gw.get("/iam/v1/users")
    assert_problem(missing, 401, "token_missing")
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert_problem(
        await gw.get("/iam/v1/users", headers={"authorization": "Basic YWRtaW46YWRtaW4="}),
        401,
        "token_missing",
    )
    assert_problem(
        await gw.get("/iam/v1/users", headers={"authorization": "Bearer not.a.jwt"}),
        401,
        "token_invalid",
    )
    # Signed by another Gateway's key.
    async with running_gateway(tmp_path / "elsewhere") as other:
        foreign = await login(other, "admin")
    assert_problem(await gw.get("/iam/v1/users", headers=bearer(foreign)), 401, "token_invalid")
    # Same key, wrong audience.
    async with running_gateway(tmp_path / "gateway", audience="someone-else") as same_key:
        wrong_aud = await login(same_key, "admin")
    assert_problem(await gw.get("/iam/v1/users", headers=bearer(wrong_aud)), 401, "token_invalid")
    # Tampered payload keeps the signature of another payload.
    admin = await login(gw, "admin")
    header, _payload, signature = admin["access_token"].split(".")
    tampered = f"{header}.{foreign['access_token'].split('.')[1]}.{signature}"
    assert_problem(
        await gw.get("/iam/v1/users", headers={"authorization": f"Bearer {tampered}"}),
        401,
        "token_invalid",
    )


async def test_users_crud(gw: httpx.AsyncClient) -> None:
    admin = bearer(await login(gw, "admin"))

    created = await gw.post(
        "/iam/v1/users", json={"id": "ops-1", "name": "Ops One", "roles": ["viewer"]}, headers=admin
    )
    assert created.status_code == 201, created.text
    assert created.json()["id"] == "ops-1"
    assert created.json()["roles"] == ["viewer"]
    assert created.json()["disabled"] is False
    assert_problem(
        await gw.post("/iam/v1/users", json={"id": "ops-1", "name": "Again"}, headers=admin),
        409,
        "user_exists",
    )
    assert_problem(
        await gw.post(
            "/iam/v1/users", json={"id": "ops-2", "name": "X", "roles": ["root"]}, headers=admin
        ),
        422,
        "unknown_role",
    )
    assert_problem(
        await gw.post("/iam/v1/users", json={"id": "Bad Id!", "name": "X"}, headers=admin),
        422,
        "invalid_request",
    )
    assert_problem(
        await gw.post("/iam/v1/users", json={"name": "no id"}, headers=admin),
        422,
        "invalid_request",
    )

    fetched = await gw.get("/iam/v1/users/ops-1", headers=admin)
    assert fetched.json() == created.json()
    listed = await gw.get("/iam/v1/users", headers=admin)
    assert "ops-1" in [u["id"] for u in listed.json()["items"]]

    patched = await gw.patch(
        "/iam/v1/users/ops-1",
        json={"name": "Ops Uno", "roles": ["platform-admin"]},
        headers=admin,
    )
    assert patched.status_code == 200
    assert (patched.json()["name"], patched.json()["roles"]) == ("Ops Uno", ["platform-admin"])
    ops = await login(gw, "ops-1")
    ops_rights = await rights_of(gw, ops, "ops-1", ops["session_id"])
    assert set(ops_rights.json()["rights"]) == ADMIN_RIGHTS

    assert_problem(await gw.get("/iam/v1/users/ghost", headers=admin), 404, "user_not_found")
    assert_problem(
        await gw.patch("/iam/v1/users/ghost", json={"name": "x"}, headers=admin),
        404,
        "user_not_found",
    )
    assert_problem(
        await gw.patch("/iam/v1/users/admin", json={"disabled": True}, headers=admin),
        409,
        "self_lockout",
    )

    assert (await gw.delete("/iam/v1/users/ops-1", headers=admin)).status_code == 204
    assert_problem(await gw.delete("/iam/v1/users/ops-1", headers=admin), 404, "user_not_found")
    assert_problem(await gw.get("/iam/v1/users/ops-1", headers=admin), 404, "user_not_found")
    # Deleting a user revokes its sessions.
    assert_problem(await gw.get("/iam/v1/users", headers=bearer(ops)), 401, "session_revoked")


async def test_roles(gw: httpx.AsyncClient) -> None:
    admin = bearer(await login(gw, "admin"))
    viewer = await login(gw, "viewer")

    roles = (await gw.get("/iam/v1/roles", headers=bearer(viewer))).json()["items"]
    assert {r["name"]: set(r["rights"]) for r in roles} == {
        "platform-admin": ADMIN_RIGHTS,
        "viewer": VIEWER_RIGHTS,
        "tenant-operator": TENANT_OPERATOR_RIGHTS,
    }
    one = await gw.get("/iam/v1/roles/viewer", headers=admin)
    assert set(one.json()["rights"]) == VIEWER_RIGHTS
    assert_problem(await gw.get("/iam/v1/roles/ghost", headers=admin), 404, "role_not_found")

    created = await gw.put(
        "/iam/v1/roles/auditor", json={"rights": ["control.audit.read"]}, headers=admin
    )
    assert created.status_code == 201
    replaced = await gw.put(
        "/iam/v1/roles/auditor",
        json={"rights": ["control.audit.read", "control.audit.export"]},
        headers=admin,
    )
    assert replaced.status_code == 200
    assert replaced.json()["rights"] == ["control.audit.export", "control.audit.read"]
    assert_problem(
        await gw.put("/iam/v1/roles/auditor", json={"rights": ["NOT A RIGHT"]}, headers=admin),
        422,
        "invalid_right",
    )

    # Changing a role changes its holders' rights at once.
    await gw.put("/iam/v1/roles/viewer", json={"rights": ["control.access"]}, headers=admin)
    now = await rights_of(gw, viewer, "viewer", viewer["session_id"])
    assert now.json()["rights"] == ["control.access"]


async def test_restart_with_same_data_dir_keeps_key_and_sessions(tmp_path: Path) -> None:
    data_dir = tmp_path / "gateway"
    async with running_gateway(data_dir) as first:
        session = await login(first, "admin")
        jwks_before = (await first.get("/.well-known/jwks.json")).json()
        created = await first.post(
            "/iam/v1/users", json={"id": "kept", "name": "Kept"}, headers=bearer(session)
        )
        assert created.status_code == 201

    async with running_gateway(data_dir) as second:
        jwks_after = (await second.get("/.well-known/jwks.json")).json()
        users = await second.get("/iam/v1/users/kept", headers=bearer(session))
    assert jwks_after == jwks_before
    jwt.decode(session["access_token"], KeySet.import_key_set(jwks_after), algorithms=["Ed25519"])
    assert users.status_code == 200, users.text

    assert (data_dir / "signing-keys.json").stat().st_mode & 0o077 == 0

    async with running_gateway(tmp_path / "fresh") as fresh:
        jwks_fresh = (await fresh.get("/.well-known/jwks.json")).json()
    assert jwks_fresh["keys"][0]["kid"] != jwks_before["keys"][0]["kid"]


async def test_key_rotation_publishes_old_and_new_keys(gw: httpx.AsyncClient) -> None:
    old = await login(gw, "admin")
    [old_key] = (await gw.get("/.well-known/jwks.json")).json()["keys"]

    rotated = await gw.post("/_devfleet/keys/rotate", json={})
    assert rotated.status_code == 200
    jwks = (await gw.get("/.well-known/jwks.json")).json()
    assert [k["kid"] for k in jwks["keys"]] == [old_key["kid"], rotated.json()["current_kid"]]
    new = await login(gw, "admin")
    keys = KeySet.import_key_set(jwks)
    assert (
        jwt.decode(new["access_token"], keys, algorithms=["Ed25519"]).header["kid"]
        == (rotated.json()["current_kid"])
    )
    jwt.decode(old["access_token"], keys, algorithms=["Ed25519"])
    assert (await gw.get("/iam/v1/users", headers=bearer(old))).status_code == 200

    await gw.post("/_devfleet/keys/rotate", json={"retire_previous": True})
    assert len((await gw.get("/.well-known/jwks.json")).json()["keys"]) == 1
    assert_problem(await gw.get("/iam/v1/users", headers=bearer(old)), 401, "token_invalid")


async def test_metrics_parse_and_carry_build_info(tmp_path: Path) -> None:
    async with (
        running_gateway(tmp_path / "a", version="1.2.3", git_sha="abc1234") as first,
        running_gateway(tmp_path / "b", version="9.9.9", git_sha="fff0000") as second,
    ):
        session = await login(first, "admin")
        await rights_of(first, session, "admin", session["session_id"])
        await first.get("/nowhere")
        await first.get("/iam/v1/users")
        text = (await first.get("/metrics")).text
        other_text = (await second.get("/metrics")).text
        await first.post("/_devfleet/switches", json={"version": "1.2.4"})
        bumped = (await first.get("/metrics")).text

    families = {f.name: f for f in text_string_to_metric_families(text)}
    [build] = families["gateway_build_info"].samples
    assert build.labels == {"service": "gateway", "version": "1.2.3", "git_sha": "abc1234"}
    assert build.value == 1

    requests = [s for s in families["gateway_http_requests"].samples if s.name.endswith("_total")]
    routes = {(s.labels["route"], s.labels["status"]) for s in requests}
    assert ("/iam/v1/principals/{principal_id}/rights", "200") in routes
    assert ("<unmatched>", "404") in routes
    assert ("/iam/v1/users", "401") in routes, "handled errors keep their own status"
    assert not any("admin" in route for route, _ in routes), "route label must be the template"
    assert "gateway_http_request_duration_seconds" in families
    assert "gateway_http_requests_in_flight" in families
    failures = {
        s.labels["reason"]: s.value
        for s in families["gateway_auth_failures"].samples
        if s.name.endswith("_total")
    }
    assert failures == {"token_missing": 1}

    # Each instance has its own registry.
    other_families = {f.name: f for f in text_string_to_metric_families(other_text)}
    [other_build] = other_families["gateway_build_info"].samples
    assert other_build.labels["version"] == "9.9.9"
    assert "/auth/v1/dev-login" not in other_text

    [bumped_build] = {f.name: f for f in text_string_to_metric_families(bumped)}[
        "gateway_build_info"
    ].samples
    assert bumped_build.labels["version"] == "1.2.4"


async def test_switches_ready_slow_and_hung(gw: httpx.AsyncClient) -> None:
    assert (await gw.get("/ready")).status_code == 200
    switched = await gw.post("/_devfleet/switches", json={"ready": False})
    assert switched.json()["ready"] is False
    assert (await gw.get("/ready")).status_code == 503
    assert (await gw.get("/health")).status_code == 200
    await gw.post("/_devfleet/switches", json={"ready": True})
    assert (await gw.get("/ready")).status_code == 200

    await gw.post("/_devfleet/switches", json={"slow_ms": 300})
    started = time.perf_counter()
    assert (await gw.get("/health")).status_code == 200
    assert time.perf_counter() - started >= 0.3
    await gw.post("/_devfleet/switches", json={"slow_ms": 0})

    await gw.post("/_devfleet/switches", json={"hung": True})
    with pytest.raises(httpx.ReadTimeout):
        await gw.get("/health", timeout=0.3)
    await gw.post("/_devfleet/switches", json={"hung": False})
    assert (await gw.get("/health")).status_code == 200

    assert_problem(
        await gw.post("/_devfleet/switches", json={"slow_ms": -1}), 422, "invalid_request"
    )
    assert_problem(
        await gw.post("/_devfleet/switches", json={"unknown": 1}), 422, "invalid_request"
    )


def test_cli_prints_listening_line_and_serves(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "cloudlysis_devfleet",
        "gateway",
        "--port",
        "0",
        "--data-dir",
        str(tmp_path / "cli"),
        "--token-ttl",
        "60",
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith("gateway listening on http://127.0.0.1:"), line
        url = line.removeprefix("gateway listening on ")
        assert httpx.get(f"{url}/health", timeout=5).json() == {"status": "ok"}
        token = httpx.post(f"{url}/auth/v1/dev-login", json={"principal": "viewer"}, timeout=5)
        assert token.json()["expires_at"] - int(time.time()) <= 60
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_corrupt_state_file_fails_start_with_its_path(tmp_path: Path) -> None:
    data_dir = tmp_path / "gw"
    data_dir.mkdir()
    (data_dir / "iam-state.json").write_text("{not json")
    with pytest.raises(RuntimeError, match=r"iam-state\.json is corrupt"):
        create_gateway_app(GatewayConfig(data_dir=data_dir))


def test_listening_socket_is_tcp_so_asyncio_sets_nodelay() -> None:
    # asyncio only sets TCP_NODELAY on accepted sockets whose proto is IPPROTO_TCP; without it
    # every keep-alive response waited ~40 ms for a delayed ACK.
    sock = bind_listening_socket("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()
