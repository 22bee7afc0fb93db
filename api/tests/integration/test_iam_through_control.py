"""IAM through the control plane against the real devfleet Gateway: a disabled user or a revoked
session stops working (at once through this replica, within the rights cache TTL when changed
at the Gateway directly), the Gateway's errors arrive with its status and text, changes are
audited, and lists are filtered to a tenant operator's tenants."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.iam_env import IamEnv, iam_env

pytestmark = pytest.mark.integration

TTL_S = 1.0


@pytest.fixture
async def env(nats_url: str, tmp_path: Path) -> AsyncIterator[IamEnv]:
    async with iam_env(nats_url, tmp_path, CONTROL_RIGHTS_CACHE_TTL_S=str(TTL_S)) as e:
        yield e


async def create_user(env: IamEnv, roles: list[str]) -> str:
    user = f"u-{uuid.uuid4().hex[:10]}"
    r = await env.api.post(
        "/admin/v1/iam/users",
        json={"id": user, "name": "Test User", "roles": roles},
        headers=await env.headers("admin"),
    )
    assert r.status_code == 201, r.text
    return user


async def stops_working_within_ttl(env: IamEnv, headers: dict[str, str]) -> float:
    """Seconds until the token is refused (401), polling; fails past TTL plus a margin."""
    started = time.monotonic()
    deadline = started + TTL_S + 5
    while True:
        r = await env.api.get("/admin/v1/whoami", headers=headers)
        if r.status_code == 401:
            assert "revoked" in r.json()["detail"], r.text
            return time.monotonic() - started
        assert r.status_code == 200, r.text
        assert time.monotonic() < deadline, "the token kept working past the rights TTL"
        await asyncio.sleep(0.05)


async def test_disabling_through_control_refuses_the_next_request(env: IamEnv) -> None:
    user = await create_user(env, ["viewer"])
    headers = await env.headers(user)
    assert (await env.api.get("/admin/v1/whoami", headers=headers)).status_code == 200
    r = await env.api.patch(
        f"/admin/v1/iam/users/{user}", json={"disabled": True}, headers=await env.headers("admin")
    )
    assert r.status_code == 200 and r.json()["disabled"] is True
    # Control forgot the user's cached rights: the very next request asks the Gateway.
    assert (await env.api.get("/admin/v1/whoami", headers=headers)).status_code == 401


async def test_disabling_at_the_gateway_is_bounded_by_the_rights_ttl(env: IamEnv) -> None:
    user = await create_user(env, ["viewer"])
    headers = await env.headers(user)
    assert (await env.api.get("/admin/v1/whoami", headers=headers)).status_code == 200  # cached
    r = await env.gateway.patch(
        f"/iam/v1/users/{user}", json={"disabled": True}, headers=await env.headers("admin")
    )
    assert r.status_code == 200
    await stops_working_within_ttl(env, headers)


async def test_revoking_a_session_at_the_gateway_is_bounded_by_the_rights_ttl(
    env: IamEnv,
) -> None:
    r = await env.gateway.post("/auth/v1/dev-login", json={"principal": "viewer"})
    session = r.json()
    headers = {"authorization": f"Bearer {session['access_token']}"}
    assert (await env.api.get("/admin/v1/whoami", headers=headers)).status_code == 200
    revoked = await env.gateway.post(
        f"/iam/v1/sessions/{session['session_id']}/revoke", headers=await env.headers("admin")
    )
    assert revoked.status_code == 200
    await stops_working_within_ttl(env, headers)


async def test_revoking_through_control_is_immediate_and_audited(env: IamEnv) -> None:
    user = await create_user(env, ["viewer"])
    first, second = await env.headers(user), await env.headers(user)
    for h in (first, second):
        assert (await env.api.get("/admin/v1/whoami", headers=h)).status_code == 200
    corr = f"revoke-{uuid.uuid4().hex}"
    admin = await env.headers("admin", **{"x-correlation-id": corr})
    r = await env.api.post(f"/admin/v1/iam/users/{user}/sessions/revoke", headers=admin)
    assert r.status_code == 200 and len(r.json()["items"]) == 2
    for h in (first, second):
        assert (await env.api.get("/admin/v1/whoami", headers=h)).status_code == 401
    audit = await env.api.get(
        "/admin/v1/audit", params={"correlation_id": corr}, headers=await env.headers("admin")
    )
    assert [(e["action"], e["outcome"], e["target"]) for e in audit.json()["items"]] == [
        ("iam.post", "succeeded", f"iam:users/{user}/sessions/revoke"),
        ("iam.post", "accepted", f"iam:users/{user}/sessions/revoke"),
    ]


async def test_a_new_binding_applies_through_control_at_once(env: IamEnv) -> None:
    user = await create_user(env, [])
    headers = await env.headers(user)
    assert (await env.api.get("/admin/v1/tenants/acme-us", headers=headers)).status_code == 403
    bound = await env.api.put(
        f"/admin/v1/iam/users/{user}/bindings/tenant-operator",
        json={"tenants": ["acme-us"]},
        headers=await env.headers("admin"),
    )
    assert bound.status_code == 201, bound.text
    assert (await env.api.get("/admin/v1/tenants/acme-us", headers=headers)).status_code == 200
    who = (await env.api.get("/admin/v1/whoami", headers=headers)).json()
    assert who["rights"] == [] and who["tenant_rights"]["control.tenants.read"] == ["acme-us"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("POST", "users", {"id": "admin", "name": "Again"}, 409, "user_exists"),
        ("POST", "users", {"id": "x", "name": "X", "roles": ["ghost"]}, 422, "unknown_role"),
        ("PATCH", "users/admin", {"disabled": True}, 409, "self_lockout"),
        ("GET", "users/ghost", None, 404, "user_not_found"),
        ("DELETE", "roles/viewer", None, 409, "role_bound"),
        ("PUT", "users/viewer/bindings/viewer", {"tenants": []}, 422, "invalid_request"),
    ],
)
async def test_gateway_errors_keep_their_status_and_text(
    env: IamEnv, method: str, path: str, body: object, status: int, code: str
) -> None:
    admin = await env.headers("admin")
    direct = await env.gateway.request(method, f"/iam/v1/{path}", json=body, headers=admin)
    through = await env.api.request(method, f"/admin/v1/iam/{path}", json=body, headers=admin)
    assert through.status_code == direct.status_code == status, through.text
    assert through.headers["content-type"] == direct.headers["content-type"]
    assert through.json() == direct.json() and through.json()["code"] == code


async def test_lists_are_filtered_to_the_operators_tenants(env: IamEnv) -> None:
    admin_corr = f"adm-{uuid.uuid4().hex}"
    admin = await env.headers("admin", **{"x-correlation-id": admin_corr})
    for tenant in ("acme-eu", "hooli-eu"):
        # Refused by preflight (nothing serves the shards here): audited with the tenant.
        r = await env.api.post(
            f"/admin/v1/tenants/{tenant}/drain",
            json={"reason": "scope test"},
            headers={**admin, "Idempotency-Key": uuid.uuid4().hex},
        )
        assert r.status_code in (202, 422), r.text
    op = await env.headers("acme-operator")
    tenants = (await env.api.get("/admin/v1/tenants", headers=op)).json()
    assert [t["tenant_id"] for t in tenants["items"]] == ["acme-eu", "acme-us"]
    assert tenants["total"] == 2
    searched = await env.api.get("/admin/v1/tenants", params={"q": "hooli"}, headers=op)
    assert searched.json()["items"] == []
    events = (await env.api.get("/admin/v1/audit?limit=200", headers=op)).json()["items"]
    assert events and {e["tenant_id"] for e in events} <= {"acme-eu", "acme-us"}
    jobs = (await env.api.get("/admin/v1/jobs?limit=200", headers=op)).json()["items"]
    assert {j["tenant_id"] for j in jobs} <= {"acme-eu", "acme-us"}
    found = (await env.api.get(f"/admin/v1/investigate?id={admin_corr}", headers=op)).json()
    assert {e["tenant_id"] for e in found["audit_events"]} == {"acme-eu"}
    everything = await env.api.get(
        f"/admin/v1/investigate?id={admin_corr}", headers=await env.headers("admin")
    )
    assert {e["tenant_id"] for e in everything.json()["audit_events"]} == {"acme-eu", "hooli-eu"}


async def test_settings_show_the_setup_and_no_secret(env: IamEnv) -> None:
    r = await env.api.get("/admin/v1/settings", headers=await env.headers("viewer"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["auth"]["rights_cache_ttl_s"] == TTL_S
    assert body["auth"]["key_source"] == "jwks"
    assert body["placement"]["source"] == "file" and body["swarm"]["mode"] == "off"
    assert body["gateway"]["url"] == env.gateway_url and body["gateway"]["dev_login"] is True
    assert body["guardrails"]["max_lag"] == env.settings.ops.max_lag
    rights = await env.api.get("/admin/v1/rights", headers=await env.headers("acme-operator"))
    assert {"right": "control.tenants.operate", "area": "Tenants"}.items() <= next(
        r for r in rights.json() if r["right"] == "control.tenants.operate"
    ).items()
