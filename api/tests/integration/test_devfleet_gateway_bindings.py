"""The simulated Gateway's role bindings with tenant lists, the rights lookup's scope, roles
deleted only when unbound, and a user's sessions revoked at once (docs/contracts/gateway-iam.md
§4 and §5)."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cloudlysis_devfleet import GatewayConfig, create_gateway_app, serve

pytestmark = pytest.mark.integration

OPERATE = {
    "control.access",
    "control.tenants.read",
    "control.tenants.operate",
    "control.jobs.read",
    "control.jobs.run",
    "control.audit.read",
}


@pytest.fixture
async def gw(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_gateway_app(GatewayConfig(data_dir=tmp_path / "gw"))
    async with serve(app, "127.0.0.1", 0) as url, httpx.AsyncClient(base_url=url) as client:
        yield client


async def login(client: httpx.AsyncClient, principal: str) -> dict[str, Any]:
    r = await client.post("/auth/v1/dev-login", json={"principal": principal})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def auth(session: dict[str, Any]) -> dict[str, str]:
    return {"authorization": f"Bearer {session['access_token']}"}


async def rights(client: httpx.AsyncClient, session: dict[str, Any]) -> dict[str, Any]:
    r = await client.get(
        f"/iam/v1/principals/{session['principal_id']}/rights",
        params={"session_id": session["session_id"]},
        headers=auth(session),
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def problem(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    return str(body["detail"])


async def test_seeded_tenant_operator_holds_its_rights_on_two_tenants(
    gw: httpx.AsyncClient,
) -> None:
    answer = await rights(gw, await login(gw, "acme-operator"))
    assert answer["rights"] == []  # nothing platform-wide
    assert answer["tenant_rights"] == {r: ["acme-eu", "acme-us"] for r in sorted(OPERATE)}


async def test_bind_with_tenants_then_platform_wide_then_unbind(gw: httpx.AsyncClient) -> None:
    admin = auth(await login(gw, "admin"))
    created = await gw.post("/iam/v1/users", json={"id": "kim", "name": "Kim"}, headers=admin)
    assert created.status_code == 201 and created.json()["bindings"] == []
    kim = await login(gw, "kim")

    bound = await gw.put(
        "/iam/v1/users/kim/bindings/tenant-operator",
        json={"tenants": ["globex-us", "acme-eu", "acme-eu"]},
        headers=admin,
    )
    assert bound.status_code == 201, bound.text
    assert bound.json() == {"role": "tenant-operator", "tenants": ["acme-eu", "globex-us"]}
    viewer_bound = await gw.put("/iam/v1/users/kim/bindings/viewer", json={}, headers=admin)
    assert viewer_bound.json() == {"role": "viewer", "tenants": None}
    # Rights change at once, for the session that already exists; platform-wide wins.
    answer = await rights(gw, kim)
    assert "control.tenants.read" in answer["rights"]
    assert answer["tenant_rights"] == {
        "control.jobs.run": ["acme-eu", "globex-us"],
        "control.tenants.operate": ["acme-eu", "globex-us"],
    }
    listed = await gw.get("/iam/v1/users/kim/bindings", headers=admin)
    assert [b["role"] for b in listed.json()["items"]] == ["tenant-operator", "viewer"]
    user = (await gw.get("/iam/v1/users/kim", headers=admin)).json()
    assert user["roles"] == ["tenant-operator", "viewer"] and user["has_password"] is False

    replaced = await gw.put(
        "/iam/v1/users/kim/bindings/tenant-operator", json={"tenants": None}, headers=admin
    )
    assert replaced.status_code == 200
    assert "control.tenants.operate" in (await rights(gw, kim))["rights"]

    unbound = await gw.delete("/iam/v1/users/kim/bindings/tenant-operator", headers=admin)
    assert unbound.status_code == 204
    answer = await rights(gw, kim)
    assert "control.tenants.operate" not in answer["rights"] and answer["tenant_rights"] == {}
    problem(
        await gw.delete("/iam/v1/users/kim/bindings/tenant-operator", headers=admin),
        404,
        "binding_not_found",
    )


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("users/kim/bindings/ghost-role", {}, 422, "unknown_role"),
        ("users/ghost/bindings/viewer", {}, 404, "user_not_found"),
        ("users/kim/bindings/viewer", {"tenants": []}, 422, "invalid_request"),
        ("users/kim/bindings/viewer", {"tenants": ["Not A Tenant"]}, 422, "invalid_request"),
        ("users/kim/bindings/viewer", {"scope": "all"}, 422, "invalid_request"),
        ("users/admin/bindings/viewer", {}, 409, "self_lockout"),
    ],
)
async def test_binding_refusals(
    gw: httpx.AsyncClient, path: str, body: dict[str, Any], status: int, code: str
) -> None:
    admin = auth(await login(gw, "admin"))
    await gw.post("/iam/v1/users", json={"id": "kim", "name": "Kim"}, headers=admin)
    problem(await gw.put(f"/iam/v1/{path}", json=body, headers=admin), status, code)
    viewer = auth(await login(gw, "viewer"))
    problem(
        await gw.put("/iam/v1/users/kim/bindings/viewer", json={}, headers=viewer),
        403,
        "missing_right",
    )


async def test_roles_are_created_once_and_deleted_only_when_unbound(
    gw: httpx.AsyncClient,
) -> None:
    admin = auth(await login(gw, "admin"))
    body = {"name": "auditor", "rights": ["control.audit.read"], "description": "Reads audit"}
    created = await gw.post("/iam/v1/roles", json=body, headers=admin)
    assert created.status_code == 201 and created.json() == {**body}
    problem(await gw.post("/iam/v1/roles", json=body, headers=admin), 409, "role_exists")
    problem(
        await gw.post(
            "/iam/v1/roles", json={"name": "x", "rights": ["Not a right"]}, headers=admin
        ),
        422,
        "invalid_right",
    )
    await gw.post("/iam/v1/users", json={"id": "kim", "name": "Kim"}, headers=admin)
    await gw.post("/iam/v1/users", json={"id": "lee", "name": "Lee"}, headers=admin)
    for user in ("kim", "lee"):
        await gw.put(f"/iam/v1/users/{user}/bindings/auditor", json={}, headers=admin)

    detail = problem(await gw.delete("/iam/v1/roles/auditor", headers=admin), 409, "role_bound")
    assert detail == "role 'auditor' is still bound to: kim, lee"
    for user in ("kim", "lee"):
        await gw.delete(f"/iam/v1/users/{user}/bindings/auditor", headers=admin)
    assert (await gw.delete("/iam/v1/roles/auditor", headers=admin)).status_code == 204
    problem(await gw.get("/iam/v1/roles/auditor", headers=admin), 404, "role_not_found")
    problem(await gw.delete("/iam/v1/roles/auditor", headers=admin), 404, "role_not_found")


async def test_revoke_every_session_of_a_user_and_disable_revokes(gw: httpx.AsyncClient) -> None:
    admin_session = await login(gw, "admin")
    admin = auth(admin_session)
    first, second = await login(gw, "viewer"), await login(gw, "viewer")
    revoked = await gw.post("/iam/v1/users/viewer/sessions/revoke", headers=admin)
    assert revoked.status_code == 200, revoked.text
    ids = {s["id"] for s in revoked.json()["items"]}
    assert {first["session_id"], second["session_id"]} <= ids
    assert all(s["status"] == "revoked" for s in revoked.json()["items"])
    assert (await rights(gw, first))["session_status"] == "revoked"
    problem(await gw.get("/iam/v1/users", headers=auth(second)), 401, "session_revoked")
    # A user may end every session of its own (sign out everywhere); others need the right.
    third = await login(gw, "viewer")
    problem(
        await gw.post("/iam/v1/users/admin/sessions/revoke", headers=auth(third)),
        403,
        "missing_right",
    )
    own = await gw.post("/iam/v1/users/viewer/sessions/revoke", headers=auth(third))
    assert [s["id"] for s in own.json()["items"]] == [third["session_id"]]

    operator = await login(gw, "acme-operator")
    disabled = await gw.patch("/iam/v1/users/acme-operator", json={"disabled": True}, headers=admin)
    assert disabled.json()["disabled"] is True
    sessions = await gw.get("/iam/v1/sessions?principal_id=acme-operator", headers=admin)
    mine = [s for s in sessions.json()["items"] if s["id"] == operator["session_id"]]
    assert mine[0]["status"] == "revoked" and mine[0]["revoked_at"] is not None
    enabled = await gw.patch("/iam/v1/users/acme-operator", json={"disabled": False}, headers=admin)
    assert enabled.json()["disabled"] is False
    # Enabling again does not bring a revoked session back.
    assert (await rights(gw, operator))["session_status"] == "revoked"
