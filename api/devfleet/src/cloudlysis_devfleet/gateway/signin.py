"""Signing in (docs/contracts/gateway-iam.md §2a): password login, the rotating refresh token,
logout, and the OIDC authorization-code + PKCE flow whose login leg is the Gateway's own page.

A refresh token is `<session id>.<secret>`; the session keeps only the secret's SHA-256. Each
refresh replaces it. The token it replaced still works for `REFRESH_REUSE_GRACE_S` (two tabs
refreshing at once); any older one presented again is a replay: the session is revoked.
"""

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from joserfc import jwt

from cloudlysis_devfleet.common import Problem
from cloudlysis_devfleet.gateway.iam_state import Session, User, unix_now
from cloudlysis_devfleet.gateway.keys import JWT_ALG
from cloudlysis_devfleet.gateway.schemas import LoginRequest, TokenRequest
from cloudlysis_devfleet.gateway.secrets import (
    MAX_PASSWORD,
    digest,
    new_secret,
    pkce_s256,
    same_digest,
    verify_password,
)
from cloudlysis_devfleet.gateway.service import Gateway, unauthorized

REFRESH_REUSE_GRACE_S = 10
MAX_SPENT_REFRESH = 50
CODE_TTL_S = 60
_MAX_USERNAME = 128


@dataclass(frozen=True)
class AuthCode:
    user_id: str
    client_id: str
    redirect_uri: str
    code_challenge: str
    expires_at: float


@dataclass(frozen=True)
class AuthorizeParams:
    client_id: str
    redirect_uri: str
    state: str
    code_challenge: str


def _invalid_credentials() -> Problem:
    return unauthorized_problem("invalid_credentials", "wrong user name or password")


def unauthorized_problem(code: str, detail: str) -> Problem:
    return Problem(401, code, "Unauthorized", detail)


def _grant_error(code: str, detail: str) -> Problem:
    return Problem(400, code, "Bad request", detail)


class SignIn:
    def __init__(self, gateway: Gateway) -> None:
        self.gw = gateway
        self.iam = gateway.iam
        self.config = gateway.config
        self.limiter = gateway.sign_in_limiter
        self._codes: dict[str, AuthCode] = {}  # by the code's digest; in memory, one use

    # -- password ----------------------------------------------------------------------------

    def check_password(self, username: str, password: str) -> User:
        """The user these credentials name, counting failures against the user name."""
        name = username[:_MAX_USERNAME]
        self.limiter.check(name)
        user = self.iam.state.users.get(username)
        if len(password) > MAX_PASSWORD or not verify_password(
            password, user.password_hash if user else None
        ):
            self.limiter.failed(name)
            self.gw.auth_failures.labels("invalid_credentials").inc()
            raise _invalid_credentials()
        assert user is not None
        self.limiter.succeeded(name)
        if user.disabled:
            raise Problem(
                403, "principal_disabled", "Forbidden", f"principal '{user.id}' is disabled"
            )
        return user

    def login(self, body: LoginRequest) -> dict[str, Any]:
        user = self.check_password(body.username, body.password)
        session = self.gw.new_session(user, self.config.session_ttl_s, "password")
        return self._tokens(user, session)

    def _tokens(self, user: User, session: Session) -> dict[str, Any]:
        secret = new_secret()
        if session.refresh_hash is not None:
            session.spent_refresh_hashes = [
                *session.spent_refresh_hashes[-(MAX_SPENT_REFRESH - 1) :],
                session.refresh_hash,
            ]
        session.refresh_hash = digest(secret)
        session.refreshed_at = unix_now()
        self.iam.save()
        answer = self.gw.token_answer(user, session, self.config.access_ttl_s)
        answer["refresh_token"] = f"{session.id}.{secret}"
        answer["refresh_expires_at"] = session.expires_at
        return answer

    # -- refresh and logout ------------------------------------------------------------------

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        sid, _, secret = refresh_token.partition(".")
        session = self.iam.state.sessions.get(sid)
        if session is None or not secret:
            self.gw.auth_failures.labels("refresh_invalid").inc()
            raise unauthorized_problem("refresh_invalid", "the refresh token is not valid")
        current = same_digest(secret, session.refresh_hash)
        previous = session.spent_refresh_hashes[-1:] if session.spent_refresh_hashes else []
        in_grace = (
            bool(previous)
            and same_digest(secret, previous[0])
            and unix_now() - session.refreshed_at <= REFRESH_REUSE_GRACE_S
        )
        if not (current or in_grace):
            if any(same_digest(secret, h) for h in session.spent_refresh_hashes):
                if session.revoked_at is None:
                    session.revoked_at = unix_now()
                    self.iam.save()
                self.gw.auth_failures.labels("refresh_reused").inc()
                raise unauthorized_problem(
                    "refresh_reused",
                    "this refresh token was used before; the session is revoked",
                )
            self.gw.auth_failures.labels("refresh_invalid").inc()
            raise unauthorized_problem("refresh_invalid", "the refresh token is not valid")
        status = self.iam.session_status(session.id, session.principal_id)
        if status != "active":
            self.gw.auth_failures.labels(f"session_{status}").inc()
            raise unauthorized(f"session_{status}", f"the session is {status}")
        return self._tokens(self.iam.state.users[session.principal_id], session)

    def logout(self, authorization: str | None, refresh_token: str | None) -> None:
        """Revoke the session of the bearer token, or else of the refresh token. Idempotent."""
        if authorization:
            caller = self.gw.authenticate(authorization, allow_inactive=True)
            session = self.iam.state.sessions.get(caller.session_id)
        elif refresh_token:
            sid, _, secret = refresh_token.partition(".")
            session = self.iam.state.sessions.get(sid)
            if session is None or not (
                same_digest(secret, session.refresh_hash)
                or any(same_digest(secret, h) for h in session.spent_refresh_hashes)
            ):
                raise unauthorized_problem("refresh_invalid", "the refresh token is not valid")
        else:
            raise unauthorized("token_missing", "an Authorization: Bearer token is required")
        if session is not None and session.revoked_at is None:
            session.revoked_at = unix_now()
            self.iam.save()

    # -- OIDC authorization code + PKCE ------------------------------------------------------

    def authorize_params(self, query: dict[str, str]) -> AuthorizeParams:
        """The authorization request's parameters. A bad client or redirect URI is a 400 (never
        redirected to); anything else wrong is answered to the redirect URI (`redirect_error`)."""
        client_id = query.get("client_id", "")
        redirect_uri = query.get("redirect_uri", "")
        if client_id != self.config.sso_client_id:
            raise _grant_error("invalid_client", "unknown client_id")
        if redirect_uri not in self.config.sso_redirect_uris:
            raise _grant_error("invalid_redirect_uri", "redirect_uri is not registered")
        state = query.get("state", "")
        challenge = query.get("code_challenge", "")
        if (
            query.get("response_type") != "code"
            or query.get("code_challenge_method") != "S256"
            or len(challenge) != 43
            or not 1 <= len(state) <= 512
        ):
            raise RedirectError(redirect_uri, state, "invalid_request")
        return AuthorizeParams(client_id, redirect_uri, state, challenge)

    def issue_code(self, user: User, params: AuthorizeParams) -> str:
        """The redirect back to the client, carrying a one-time code and the state."""
        now = time.monotonic()
        self._codes = {k: c for k, c in self._codes.items() if c.expires_at > now}
        code = new_secret()
        self._codes[digest(code)] = AuthCode(
            user.id, params.client_id, params.redirect_uri, params.code_challenge, now + CODE_TTL_S
        )
        return f"{params.redirect_uri}?{urlencode({'code': code, 'state': params.state})}"

    def exchange(self, body: TokenRequest) -> dict[str, Any]:
        if body.grant_type != "authorization_code":
            raise _grant_error("unsupported_grant_type", "grant_type must be authorization_code")
        found = self._codes.pop(digest(body.code), None)
        if (
            found is None
            or found.expires_at <= time.monotonic()
            or found.client_id != body.client_id
            or found.redirect_uri != body.redirect_uri
            or pkce_s256(body.code_verifier) != found.code_challenge
        ):
            raise _grant_error("invalid_grant", "the code is invalid, expired, used or not yours")
        user = self.iam.state.users.get(found.user_id)
        if user is None or user.disabled:
            raise _grant_error("invalid_grant", "the code's user can no longer sign in")
        session = self.gw.new_session(user, self.config.session_ttl_s, "sso")
        answer = self._tokens(user, session)
        answer["id_token"] = self._id_token(user, body.client_id)
        return answer

    def _id_token(self, user: User, client_id: str) -> str:
        now = unix_now()
        claims = {
            "iss": self.config.issuer,
            "aud": client_id,
            "sub": user.id,
            "iat": now,
            "exp": now + self.config.access_ttl_s,
            "name": user.name,
        }
        header = {"alg": JWT_ALG, "kid": self.gw.keys.current_kid, "typ": "JWT"}
        return jwt.encode(header, claims, self.gw.keys.signing_key, algorithms=[JWT_ALG])

    def discovery(self, base_url: str) -> dict[str, Any]:
        return {
            "issuer": self.config.issuer,
            "authorization_endpoint": f"{base_url}/auth/v1/sso/authorize",
            "token_endpoint": f"{base_url}/auth/v1/token",
            "jwks_uri": f"{base_url}/.well-known/jwks.json",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [JWT_ALG],
        }


class RedirectError(Exception):
    """An authorization error answered to the client's (registered) redirect URI."""

    def __init__(self, redirect_uri: str, state: str, error: str) -> None:
        super().__init__(error)
        self.location = f"{redirect_uri}?{urlencode({'error': error, 'state': state})}"
