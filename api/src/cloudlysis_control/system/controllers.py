"""Health, readiness, metrics, the UI's bootstrap config, dev login, whoami, and signing in
through the Gateway (password, SSO, refresh, sign-out)."""

from __future__ import annotations

import time
from typing import Annotated, Any

import msgspec
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import CookieParameter, JSONBody
from litestar.response.base import ASGIResponse

from cloudlysis_control.auth.guards import SESSION
from cloudlysis_control.auth.principal import Principal
from cloudlysis_control.core.errors import RefreshMissing
from cloudlysis_control.core.openapi import PUBLIC, problems, success
from cloudlysis_control.core.problems import problem_response
from cloudlysis_control.core.scope import SCOPE_ANY
from cloudlysis_control.iam.schemas import (
    DevLoginRequest,
    DevLoginToken,
    LoginRequest,
    SessionTokens,
    SsoExchange,
)
from cloudlysis_control.iam.signin import GatewayRefusal, SignInOutcome, SignInService
from cloudlysis_control.system.schemas import (
    EffectiveSettings,
    Health,
    Readiness,
    RightInfo,
    UiConfig,
    WhoAmI,
)
from cloudlysis_control.system.service import SystemService, whoami_body

# The one answer of /health, built once: no encoding, Response or header work per probe — the
# route a load balancer calls most (docs/performance.md, "Issue 19 — request path"). The schema
# still names Health (the `responses` entry for 200).
_HEALTH_OK = ASGIResponse(body=msgspec.json.encode(Health("ok")), media_type=MediaType.JSON)


# WhoAmI body → its response (bounded like the body cache; the entry holds the body, so its id
# is not reused while the entry lives).
_WHOAMI_RESPONSES: dict[int, tuple[bytes, ASGIResponse]] = {}
_WHOAMI_RESPONSES_MAX = 1024


def _whoami_response(body: bytes) -> ASGIResponse:
    hit = _WHOAMI_RESPONSES.get(id(body))
    if hit is not None and hit[0] is body:
        return hit[1]
    response = ASGIResponse(body=body, media_type=MediaType.JSON)
    if len(_WHOAMI_RESPONSES) >= _WHOAMI_RESPONSES_MAX:
        del _WHOAMI_RESPONSES[next(iter(_WHOAMI_RESPONSES))]
    _WHOAMI_RESPONSES[id(body)] = (body, response)
    return response


class SystemController(Controller):
    tags = ["system"]

    @get(
        "/health",
        operation_id="GetHealth",
        opt=PUBLIC,
        security=[],
        responses={200: success(Health), **problems(authenticated=False)},
        sync_to_thread=False,
    )
    def health(self) -> ASGIResponse:
        return _HEALTH_OK

    @get(
        "/ready",
        operation_id="GetReadiness",
        opt=PUBLIC,
        security=[],
        responses=problems(503, authenticated=False),
    )
    async def ready(self, system: NamedDependency[SystemService]) -> Readiness:
        return await system.readiness()

    @get(
        "/metrics",
        operation_id="GetMetrics",
        opt=PUBLIC,
        security=[],
        media_type="text/plain",
        responses=problems(authenticated=False),
    )
    async def metrics(self, system: NamedDependency[SystemService]) -> Response[bytes]:
        return Response(
            system.metrics_text(),
            media_type="text/plain; version=0.0.4",  # Litestar appends "; charset=utf-8"
        )

    @get(
        "/admin/v1/ui-config",
        operation_id="GetUiConfig",
        opt=PUBLIC,
        security=[],
        responses=problems(authenticated=False),
    )
    async def ui_config(self, system: NamedDependency[SystemService]) -> UiConfig:
        return system.ui_config()

    @post(
        "/admin/v1/session/dev-login",
        operation_id="DevLogin",
        opt=PUBLIC,
        security=[],
        status_code=200,
        responses=problems(403, 404, 502, 503, 504, authenticated=False),
        description="Demo only: asks the Gateway's dev login for a token. Control never "
        "mints tokens; this route is 404 unless CONTROL_DEV_LOGIN=true.",
    )
    async def dev_login(
        self, system: NamedDependency[SystemService], data: JSONBody[DevLoginRequest]
    ) -> DevLoginToken:
        return await system.dev_login(data.principal)

    @get(
        "/admin/v1/whoami",
        operation_id="WhoAmI",
        opt={"right": "control.access", **SCOPE_ANY},
        responses={200: success(WhoAmI), **problems()},
        description="Who the token belongs to: its rights platform-wide, and the rights it "
        "holds on some tenants only (`tenant_rights`: right → tenants).",
        sync_to_thread=False,
    )
    def whoami(self, request: Request[Principal, Any, Any]) -> ASGIResponse:
        # The WhoAmI document, encoded once per session and set of rights (whoami_body), and
        # its response built once per document: the console asks on every load, and the
        # struct, the encoding and the response objects were a good part of an authenticated
        # request's time (docs/performance.md, issue 19).
        return _whoami_response(whoami_body(request.user))

    @get(
        "/admin/v1/settings",
        operation_id="GetEffectiveSettings",
        opt={"right": "control.access", **SCOPE_ANY},
        responses=problems(),
        description="The effective, non-secret setup this API runs with: versions, state "
        "backend, placement source, Swarm mode, the Gateway and sign-in, token checks and the "
        "rights cache TTL, Grafana/Loki/Tempo, guardrail thresholds. No secret ever: URLs lose "
        "their credentials, key sources are named by kind.",
        sync_to_thread=False,
    )
    def effective_settings(self, system: NamedDependency[SystemService]) -> EffectiveSettings:
        return system.effective_settings()

    @get(
        "/admin/v1/rights",
        operation_id="ListRights",
        opt={"right": "control.access", **SCOPE_ANY},
        responses=problems(),
        description="The rights catalog: every right the control plane gives meaning to, with "
        "its area and what it allows (what a role may grant).",
        sync_to_thread=False,
    )
    def rights_catalog(self, system: NamedDependency[SystemService]) -> list[RightInfo]:
        return system.rights_catalog()


# The refresh token lives only here: HttpOnly (no script reads it), SameSite=Strict (no other
# site's request carries it), scoped to the session routes. Never in a body, URL or storage.
REFRESH_COOKIE = "cloudlysis_refresh"
REFRESH_COOKIE_PATH = "/admin/v1/session"
RefreshCookie = Annotated[
    str | None,
    CookieParameter(
        name=REFRESH_COOKIE,
        max_length=600,
        description="Set by SignIn / SignInWithSso / RefreshSession (HttpOnly)",
    ),
]
_SIGN_IN_ERRORS = (401, 403, 404, 422, 429, 502, 503, 504)


def _refresh_cookie(value: str, max_age: int, secure: bool) -> Cookie:
    return Cookie(
        key=REFRESH_COOKIE,
        value=value,
        path=REFRESH_COOKIE_PATH,
        max_age=max(0, max_age),
        httponly=True,
        secure=secure,
        samesite="strict",
    )


def _answer(outcome: SignInOutcome, secure: bool, clear_on_refusal: bool = False) -> Response[Any]:
    """The session (200, SessionTokens, the refresh cookie set), or the Gateway's refusal as
    our problem document (the handlers declare SessionTokens: their 200 is always that)."""
    if isinstance(outcome, GatewayRefusal):
        response = problem_response(
            outcome.status, outcome.code, outcome.title, outcome.detail, outcome.headers
        )
        if clear_on_refusal:
            response.cookies.append(_refresh_cookie("", 0, secure))
        return response
    cookies = []
    if outcome.refresh_token is not None and outcome.tokens.refresh_expires_at is not None:
        max_age = outcome.tokens.refresh_expires_at - int(time.time())
        cookies.append(_refresh_cookie(outcome.refresh_token, max_age, secure))
    return Response(outcome.tokens, cookies=cookies, headers={"cache-control": "no-store"})


class SessionController(Controller):
    """Signing in through the Gateway: password, SSO code exchange, refresh, sign-out."""

    path = "/admin/v1/session"
    tags = ["session"]

    @post(
        "/login",
        operation_id="SignIn",
        opt=PUBLIC,
        security=[],
        status_code=200,
        responses=problems(*_SIGN_IN_ERRORS, authenticated=False),
        description="Sign in with the Gateway's user store (user name and password). The "
        "answer carries the access token; the refresh token is set as an HttpOnly cookie. The "
        "Gateway's refusals keep their status, code and text: 401 `invalid_credentials`, 403 "
        "`principal_disabled`, 429 `too_many_attempts` (Retry-After). Audited either way. 404 "
        "when CONTROL_PASSWORD_LOGIN=false.",
    )
    async def sign_in(
        self,
        signin: NamedDependency[SignInService],
        system: NamedDependency[SystemService],
        data: JSONBody[LoginRequest],
    ) -> Response[SessionTokens]:
        outcome = await signin.login(data.username, data.password)
        return _answer(outcome, system.cookie_secure)

    @post(
        "/sso",
        operation_id="SignInWithSso",
        opt=PUBLIC,
        security=[],
        status_code=200,
        responses=problems(*_SIGN_IN_ERRORS, authenticated=False),
        description="The end of the SSO redirect (OIDC authorization code + PKCE): exchanges "
        "the Gateway's code with the verifier the console kept. 422 `invalid_grant` when the "
        "code is invalid, used, expired or not this verifier's. 404 when SSO is not configured.",
    )
    async def sign_in_with_sso(
        self,
        signin: NamedDependency[SignInService],
        system: NamedDependency[SystemService],
        data: JSONBody[SsoExchange],
    ) -> Response[SessionTokens]:
        outcome = await signin.sso(data.code, data.code_verifier, data.redirect_uri)
        return _answer(outcome, system.cookie_secure)

    @post(
        "/refresh",
        operation_id="RefreshSession",
        opt=PUBLIC,
        security=[],
        status_code=200,
        responses=problems(*_SIGN_IN_ERRORS, authenticated=False),
        description="A new access token for the session of the refresh cookie, which rotates. "
        "401 `refresh_missing` without the cookie; the Gateway's 401 (`refresh_invalid`, "
        "`refresh_reused` — the session is then revoked —, `session_revoked`, "
        "`session_expired`) clears it.",
    )
    async def refresh(
        self,
        signin: NamedDependency[SignInService],
        system: NamedDependency[SystemService],
        refresh_cookie: RefreshCookie = None,
    ) -> Response[SessionTokens]:
        if not refresh_cookie:
            raise RefreshMissing("no refresh cookie: sign in again")
        outcome = await signin.refresh(refresh_cookie)
        return _answer(outcome, system.cookie_secure, clear_on_refusal=True)

    @post(
        "/logout",
        operation_id="SignOut",
        opt={"right": SESSION},
        status_code=204,
        responses=problems(502, 504),
        description="Revoke the caller's session at the Gateway (every token of it stops "
        "working at once here) and clear the refresh cookie. Any valid session may sign out.",
    )
    async def sign_out(
        self,
        request: Request[Principal, Any, Any],
        signin: NamedDependency[SignInService],
        system: NamedDependency[SystemService],
    ) -> Response[None]:
        p = request.user
        await signin.logout(p.id, p.session_id, p.authorization)
        return Response(
            None, status_code=204, cookies=[_refresh_cookie("", 0, system.cookie_secure)]
        )
