"""Signing in through the control plane against the real devfleet Gateway: password login with
the refresh token only in an HttpOnly cookie, refresh rotation and replay, sign-out revoking the
session, the Gateway's refusals with its status and text (429 with Retry-After), every attempt
audited, and the SSO code exchange. The refresh token never reaches a body, a URL or a log."""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import uuid
from collections.abc import AsyncIterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.iam_env import IamEnv, iam_env

pytestmark = pytest.mark.integration

PASSWORD = "a long enough password"
REDIRECT = "http://127.0.0.1:9/login/callback"


@pytest.fixture
async def env(nats_url: str, tmp_path: Path) -> AsyncIterator[IamEnv]:
    gateway = {"login_max_failures": 3, "sso_redirect_uris": (REDIRECT,), "access_ttl_s": 60}
    async with iam_env(
        nats_url, tmp_path, gateway, CONTROL_SSO_CLIENT_ID="cloudlysis-control"
    ) as e:
        yield e


def refresh_cookie(response: httpx.Response) -> SimpleCookie:
    raw = [v for k, v in response.headers.multi_items() if k == "set-cookie"]
    assert len(raw) == 1, raw
    cookie: SimpleCookie = SimpleCookie()
    cookie.load(raw[0])
    morsel = cookie["cloudlysis_refresh"]
    assert morsel["httponly"] and morsel["secure"] and morsel["samesite"].lower() == "strict"
    assert morsel["path"] == "/admin/v1/session"
    return cookie


def cookie_header(cookie: SimpleCookie) -> dict[str, str]:
    return {"cookie": f"cloudlysis_refresh={cookie['cloudlysis_refresh'].value}"}


async def user_with_password(env: IamEnv) -> str:
    user = f"p-{uuid.uuid4().hex[:8]}"
    r = await env.api.post(
        "/admin/v1/iam/users",
        json={"id": user, "name": "Pat", "roles": ["viewer"], "password": PASSWORD},
        headers=await env.headers("admin"),
    )
    assert r.status_code == 201, r.text
    return user


async def audit_of(env: IamEnv, action: str, actor: str) -> list[tuple[str, Any]]:
    r = await env.api.get(
        "/admin/v1/audit",
        params={"action": action, "actor": actor},
        headers=await env.headers("admin"),
    )
    return [(e["outcome"], e["detail"]) for e in r.json()["items"]]


async def test_password_sign_in_refresh_and_sign_out(
    env: IamEnv, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    user = await user_with_password(env)
    ui = (await env.api.get("/admin/v1/ui-config")).json()
    assert ui["password_login_enabled"] is True
    assert ui["sso"]["authorize_url"] == f"{env.gateway_url}/auth/v1/sso/authorize"

    login = await env.api.post(
        "/admin/v1/session/login", json={"username": user, "password": PASSWORD}
    )
    assert login.status_code == 200, login.text
    body = login.json()
    assert set(body) == {
        "access_token",
        "token_type",
        "expires_at",
        "session_id",
        "principal_id",
        "refresh_expires_at",
    }
    first = refresh_cookie(login)
    bearer = {"authorization": f"Bearer {body['access_token']}"}
    assert (await env.api.get("/admin/v1/whoami", headers=bearer)).json()["principal_id"] == user

    missing = await env.api.post("/admin/v1/session/refresh")
    assert missing.status_code == 401 and missing.json()["code"] == "refresh_missing"
    refreshed = await env.api.post("/admin/v1/session/refresh", headers=cookie_header(first))
    assert refreshed.status_code == 200, refreshed.text
    second = refresh_cookie(refreshed)
    assert refreshed.json()["session_id"] == body["session_id"]
    third = refresh_cookie(
        await env.api.post("/admin/v1/session/refresh", headers=cookie_header(second))
    )
    replay = await env.api.post("/admin/v1/session/refresh", headers=cookie_header(first))
    assert replay.status_code == 401 and replay.json()["code"] == "refresh_reused"
    assert replay.json()["request_id"] == replay.headers["x-request-id"]
    assert refresh_cookie(replay)["cloudlysis_refresh"]["max-age"] == "0"  # cleared
    after = await env.api.post("/admin/v1/session/refresh", headers=cookie_header(third))
    assert after.json()["code"] == "session_revoked"

    again = await env.api.post(
        "/admin/v1/session/login", json={"username": user, "password": PASSWORD}
    )
    token = {"authorization": f"Bearer {again.json()['access_token']}"}
    out = await env.api.post("/admin/v1/session/logout", headers=token)
    assert out.status_code == 204
    assert refresh_cookie(out)["cloudlysis_refresh"]["max-age"] == "0"
    assert (await env.api.get("/admin/v1/whoami", headers=token)).status_code == 401

    outcomes = await audit_of(env, "session.login", user)
    assert outcomes == [("succeeded", {"method": "password"})] * 2
    assert [o for o, _ in await audit_of(env, "session.logout", user)] == ["succeeded"]
    secrets_seen = [c["cloudlysis_refresh"].value for c in (first, second, third)]
    logged = capsys.readouterr()
    text = logged.out + logged.err + "\n".join(r.getMessage() for r in caplog.records)
    assert PASSWORD not in text and not any(s in text for s in secrets_seen)


async def test_refusals_keep_the_gateways_status_and_text_and_are_audited(env: IamEnv) -> None:
    user = await user_with_password(env)
    for _ in range(3):
        wrong = await env.api.post(
            "/admin/v1/session/login", json={"username": user, "password": "wrong password"}
        )
        assert wrong.status_code == 401
        problem = wrong.json()
        assert (problem["code"], problem["detail"]) == (
            "invalid_credentials",
            "wrong user name or password",
        )
        assert problem["request_id"] == wrong.headers["x-request-id"]
    limited = await env.api.post(
        "/admin/v1/session/login", json={"username": user, "password": PASSWORD}
    )
    assert limited.status_code == 429 and limited.json()["code"] == "too_many_attempts"
    assert int(limited.headers["retry-after"]) >= 1
    outcomes = await audit_of(env, "session.login", user)
    assert [d["code"] for o, d in outcomes if o == "failed"] == ["too_many_attempts"] + [
        "invalid_credentials"
    ] * 3
    bad = await env.api.post("/admin/v1/session/login", json={"username": user})
    assert bad.status_code == 400  # our schema, before the Gateway


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def test_sso_code_exchange(env: IamEnv) -> None:
    user = await user_with_password(env)
    verifier, challenge = pkce()
    form = {
        "response_type": "code",
        "client_id": "cloudlysis-control",
        "redirect_uri": REDIRECT,
        "state": "s1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "username": user,
        "password": PASSWORD,
    }
    back = await env.gateway.post("/auth/v1/sso/authorize", data=form)
    code = parse_qs(urlsplit(back.headers["location"]).query)["code"][0]
    exchange = {"code": code, "code_verifier": "v" * 43, "redirect_uri": REDIRECT}
    wrong = await env.api.post("/admin/v1/session/sso", json=exchange)
    assert wrong.status_code == 422 and wrong.json()["code"] == "invalid_grant"

    back = await env.gateway.post("/auth/v1/sso/authorize", data=form)
    code = parse_qs(urlsplit(back.headers["location"]).query)["code"][0]
    signed_in = await env.api.post(
        "/admin/v1/session/sso", json={**exchange, "code": code, "code_verifier": verifier}
    )
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["principal_id"] == user and "id_token" not in signed_in.json()
    refresh_cookie(signed_in)
    assert await audit_of(env, "session.login", user) == [("succeeded", {"method": "sso"})]
