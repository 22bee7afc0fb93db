"""The simulated Gateway's sign-in over real sockets: password login, the rotating refresh token,
logout, the failed sign-in limit and the OIDC authorization-code + PKCE round trip
(docs/contracts/gateway-iam.md §2a)."""

import base64
import hashlib
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cloudlysis_devfleet import GatewayConfig, create_gateway_app, serve
from joserfc import jwt
from joserfc.jwk import KeySet

pytestmark = pytest.mark.integration

REDIRECT = "http://127.0.0.1:9999/login/callback"
PASSWORD = "correct horse battery"


@asynccontextmanager
async def gateway(data_dir: Path, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    config = GatewayConfig(data_dir=data_dir, sso_redirect_uris=(REDIRECT,), **overrides)
    app = create_gateway_app(config)
    async with serve(app, "127.0.0.1", 0) as url, httpx.AsyncClient(base_url=url) as client:
        yield client


@pytest.fixture
async def gw(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with gateway(tmp_path / "gw", login_max_failures=3) as client:
        yield client


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


async def admin_headers(client: httpx.AsyncClient) -> dict[str, str]:
    r = await client.post("/auth/v1/dev-login", json={"principal": "admin"})
    return {"authorization": f"Bearer {r.json()['access_token']}"}


async def user_with_password(client: httpx.AsyncClient, user_id: str = "pat") -> None:
    created = await client.post(
        "/iam/v1/users",
        json={"id": user_id, "name": "Pat", "roles": ["viewer"], "password": PASSWORD},
        headers=await admin_headers(client),
    )
    assert created.status_code == 201, created.text
    assert created.json()["has_password"] is True
    assert "password_hash" not in created.text and PASSWORD not in created.text


async def whoami(client: httpx.AsyncClient, answer: dict[str, Any]) -> httpx.Response:
    return await client.get(
        f"/iam/v1/principals/{answer['principal_id']}/rights",
        params={"session_id": answer["session_id"]},
        headers={"authorization": f"Bearer {answer['access_token']}"},
    )


async def test_password_login_refresh_rotates_and_logout_revokes(gw: httpx.AsyncClient) -> None:
    await user_with_password(gw)
    login = await gw.post("/auth/v1/login", json={"username": "pat", "password": PASSWORD})
    assert login.status_code == 200, login.text
    assert login.headers["cache-control"] == "no-store"
    first = login.json()
    assert first["principal_id"] == "pat" and first["token_type"] == "Bearer"
    assert first["refresh_token"].startswith(first["session_id"] + ".")
    assert first["expires_at"] <= first["refresh_expires_at"]
    assert (await whoami(gw, first)).json()["session_status"] == "active"

    refreshed = await gw.post("/auth/v1/refresh", json={"refresh_token": first["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    second = refreshed.json()
    assert second["session_id"] == first["session_id"]
    assert second["refresh_token"] != first["refresh_token"]
    assert (await whoami(gw, second)).json()["rights"]

    third = (
        await gw.post("/auth/v1/refresh", json={"refresh_token": second["refresh_token"]})
    ).json()
    # The first token is two rotations old: presenting it again is a replay.
    replay = await gw.post("/auth/v1/refresh", json={"refresh_token": first["refresh_token"]})
    problem(replay, 401, "refresh_reused")
    problem(
        await gw.post("/auth/v1/refresh", json={"refresh_token": third["refresh_token"]}),
        401,
        "session_revoked",
    )

    again = (await gw.post("/auth/v1/login", json={"username": "pat", "password": PASSWORD})).json()
    bearer = {"authorization": f"Bearer {again['access_token']}"}
    assert (await gw.post("/auth/v1/logout", headers=bearer)).status_code == 204
    assert (await gw.post("/auth/v1/logout", headers=bearer)).status_code == 204  # idempotent
    assert (await whoami(gw, again)).json()["session_status"] == "revoked"
    problem(
        await gw.post("/auth/v1/refresh", json={"refresh_token": again["refresh_token"]}),
        401,
        "session_revoked",
    )
    sessions = await gw.get("/iam/v1/sessions?principal_id=pat", headers=await admin_headers(gw))
    assert {s["method"] for s in sessions.json()["items"]} == {"password"}


async def test_the_replaced_refresh_token_works_briefly_for_a_second_tab(
    gw: httpx.AsyncClient,
) -> None:
    await user_with_password(gw)
    first = (await gw.post("/auth/v1/login", json={"username": "pat", "password": PASSWORD})).json()
    one = await gw.post("/auth/v1/refresh", json={"refresh_token": first["refresh_token"]})
    two = await gw.post("/auth/v1/refresh", json={"refresh_token": first["refresh_token"]})
    assert one.status_code == 200 and two.status_code == 200, two.text
    assert (await whoami(gw, two.json())).json()["session_status"] == "active"


async def test_wrong_credentials_are_one_answer_and_limited(gw: httpx.AsyncClient) -> None:
    await user_with_password(gw)
    unknown = await gw.post("/auth/v1/login", json={"username": "ghost", "password": PASSWORD})
    assert problem(unknown, 401, "invalid_credentials")["detail"] == "wrong user name or password"
    no_password = await gw.post("/auth/v1/login", json={"username": "admin", "password": "x"})
    problem(no_password, 401, "invalid_credentials")
    for _ in range(3):
        wrong = await gw.post("/auth/v1/login", json={"username": "pat", "password": "wrong!"})
        problem(wrong, 401, "invalid_credentials")
    # Limited now: even the right password is refused, with when to try again.
    limited = await gw.post("/auth/v1/login", json={"username": "pat", "password": PASSWORD})
    problem(limited, 429, "too_many_attempts")
    assert int(limited.headers["retry-after"]) >= 1
    problem(await gw.post("/auth/v1/login", json={"username": "pat"}), 422, "invalid_request")
    metrics = (await gw.get("/metrics")).text
    assert 'gateway_auth_failures_total{reason="invalid_credentials"} 5.0' in metrics


async def test_disabled_user_cannot_sign_in_and_passwords_have_rules(
    gw: httpx.AsyncClient,
) -> None:
    await user_with_password(gw)
    admin = await admin_headers(gw)
    weak = await gw.put("/iam/v1/users/pat/password", json={"password": "short"}, headers=admin)
    problem(weak, 422, "weak_password")
    changed = await gw.put(
        "/iam/v1/users/pat/password", json={"password": "another long one"}, headers=admin
    )
    assert changed.status_code == 204
    problem(
        await gw.post("/auth/v1/login", json={"username": "pat", "password": PASSWORD}),
        401,
        "invalid_credentials",
    )
    await gw.patch("/iam/v1/users/pat", json={"disabled": True}, headers=admin)
    disabled = await gw.post(
        "/auth/v1/login", json={"username": "pat", "password": "another long one"}
    )
    problem(disabled, 403, "principal_disabled")


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def authorize_query(challenge: str, **over: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": "cloudlysis-control",
        "redirect_uri": REDIRECT,
        "state": "st-123",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **over,
    }


async def test_sso_authorization_code_with_pkce(gw: httpx.AsyncClient) -> None:
    await user_with_password(gw)
    verifier, challenge = pkce()
    page = await gw.get("/auth/v1/sso/authorize", params=authorize_query(challenge))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'name="password"' in page.text and "st-123" in page.text

    form = {**authorize_query(challenge), "username": "pat", "password": "nope, wrong"}
    wrong = await gw.post("/auth/v1/sso/authorize", data=form)
    assert wrong.status_code == 401 and "wrong user name or password" in wrong.text

    form["password"] = PASSWORD
    back = await gw.post("/auth/v1/sso/authorize", data=form)
    assert back.status_code == 303
    location = urlsplit(back.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["st-123"]
    code = query["code"][0]

    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": "cloudlysis-control",
    }
    bad = await gw.post("/auth/v1/token", json={**exchange, "code_verifier": "x" * 50})
    problem(bad, 400, "invalid_grant")  # and the code is spent by the failed attempt

    form_code = parse_qs(
        urlsplit((await gw.post("/auth/v1/sso/authorize", data=form)).headers["location"]).query
    )["code"][0]
    tokens = await gw.post(
        "/auth/v1/token", data={**exchange, "code": form_code, "code_verifier": verifier}
    )
    assert tokens.status_code == 200, tokens.text
    answer = tokens.json()
    assert answer["principal_id"] == "pat" and answer["refresh_token"]
    assert (await whoami(gw, answer)).json()["session_status"] == "active"
    jwks = KeySet.import_key_set((await gw.get("/.well-known/jwks.json")).json())
    id_token = jwt.decode(answer["id_token"], jwks, algorithms=["Ed25519"])
    assert id_token.claims["aud"] == "cloudlysis-control" and id_token.claims["sub"] == "pat"
    reused = await gw.post(
        "/auth/v1/token", json={**exchange, "code": form_code, "code_verifier": verifier}
    )
    problem(reused, 400, "invalid_grant")
    sessions = await gw.get("/iam/v1/sessions?principal_id=pat", headers=await admin_headers(gw))
    assert [s["method"] for s in sessions.json()["items"]] == ["sso"]


async def test_sso_refuses_unknown_clients_and_redirects_other_errors(
    gw: httpx.AsyncClient,
) -> None:
    _, challenge = pkce()
    bad_client = await gw.get(
        "/auth/v1/sso/authorize", params=authorize_query(challenge, client_id="evil")
    )
    problem(bad_client, 400, "invalid_client")
    bad_redirect = await gw.get(
        "/auth/v1/sso/authorize",
        params=authorize_query(challenge, redirect_uri="https://evil.example/cb"),
    )
    problem(bad_redirect, 400, "invalid_redirect_uri")
    plain = await gw.get(
        "/auth/v1/sso/authorize", params=authorize_query(challenge, code_challenge_method="plain")
    )
    assert plain.status_code == 303
    assert parse_qs(urlsplit(plain.headers["location"]).query) == {
        "error": ["invalid_request"],
        "state": ["st-123"],
    }
    grant = await gw.post(
        "/auth/v1/token",
        json={
            "grant_type": "password",
            "code": "c",
            "redirect_uri": REDIRECT,
            "client_id": "cloudlysis-control",
            "code_verifier": "v",
        },
    )
    problem(grant, 400, "unsupported_grant_type")
    discovery = (await gw.get("/.well-known/openid-configuration")).json()
    assert discovery["authorization_endpoint"].endswith("/auth/v1/sso/authorize")
    assert discovery["code_challenge_methods_supported"] == ["S256"]
