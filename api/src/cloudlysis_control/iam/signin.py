"""Signing in through the Gateway (docs/contracts/gateway-iam.md §2a): password login, the SSO
code exchange, refresh and sign-out.

The Gateway's refusals (401, 403, 422, 429) reach the console with the Gateway's status, `code`
and text, as our problem+json (with the request's ids); the token endpoint's OAuth 400 (a code
that is invalid, used or not this verifier's) is 422 here, as every refusal of a well-formed
request is. A sign-in and a refresh
are audited after the Gateway answered (`session.login`, `session.refresh`, outcome `succeeded`
or `failed` with the Gateway's status and code); when that audit cannot be written, a new
session is revoked again and the caller gets 503 (no audit, no session). Sign-out is audited
best effort: refusing to revoke a session because the audit log is down would be worse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import msgspec

from cloudlysis_control.audit.schemas import AuditOutcome
from cloudlysis_control.audit.service import AuditService
from cloudlysis_control.auth.rights import RightsResolver
from cloudlysis_control.core.errors import (
    AuditWriteFailed,
    ControlError,
    NotFound,
    UpstreamError,
    UpstreamUnavailable,
)
from cloudlysis_control.core.logging import get_logger
from cloudlysis_control.iam.ports import ForwardedResponse, IamGateway
from cloudlysis_control.iam.schemas import GatewayTokens, SessionTokens

_log = get_logger("control.signin")
_PRINCIPAL = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class SignedIn:
    tokens: SessionTokens
    refresh_token: str | None  # for the cookie only


@dataclass(frozen=True)
class GatewayRefusal:
    """The Gateway said no: its status (400 → 422), code and text, and when to retry."""

    status: int
    code: str
    title: str
    detail: str
    headers: dict[str, str]

    @classmethod
    def of(cls, answer: ForwardedResponse) -> GatewayRefusal:
        doc = _problem(answer.body)
        headers = {k.lower(): v for k, v in answer.headers}
        names = ("retry-after", "www-authenticate")
        kept: dict[str, str] = {k: headers[k][:200] for k in names if k in headers}
        return cls(
            status=422 if answer.status == 400 else answer.status,
            code=str(doc.get("code") or "gateway_refused")[:64],
            title=str(doc.get("title") or "The Gateway refused the sign-in")[:200],
            detail=str(doc.get("detail") or "")[:500],
            headers=kept,
        )


# Either the session, or the Gateway's refusal.
SignInOutcome = SignedIn | GatewayRefusal


def _problem(body: bytes) -> dict[str, object]:
    try:
        doc = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return {}
    return doc if isinstance(doc, dict) else {}


def _code(body: bytes) -> str | None:
    code = _problem(body).get("code")
    return str(code)[:64] if code else None


def _actor(username: str) -> str:
    return username if _PRINCIPAL.match(username) else "unknown"


class SignInService:
    def __init__(
        self,
        gateway: IamGateway | None,
        audit: AuditService,
        resolver: RightsResolver,
        *,
        password_login: bool,
        sso_client_id: str | None,
    ) -> None:
        self._gateway = gateway
        self.audit = audit
        self.resolver = resolver
        self.password_login = password_login
        self.sso_client_id = sso_client_id

    @property
    def gateway(self) -> IamGateway:
        if self._gateway is None:
            raise UpstreamUnavailable("no Gateway is configured (CONTROL_GATEWAY_URL)")
        return self._gateway

    async def login(self, username: str, password: str) -> SignInOutcome:
        if not self.password_login:
            raise NotFound("password sign-in is disabled (CONTROL_PASSWORD_LOGIN=false)")
        answer = await self.gateway.sign_in("login", {"username": username, "password": password})
        return await self._signed_in(answer, "session.login", _actor(username), "password")

    async def sso(self, code: str, code_verifier: str, redirect_uri: str) -> SignInOutcome:
        if self.sso_client_id is None:
            raise NotFound("single sign-on is not configured (CONTROL_SSO_CLIENT_ID)")
        body = {
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": code_verifier,
            "redirect_uri": redirect_uri,
            "client_id": self.sso_client_id,
        }
        answer = await self.gateway.sign_in("token", body)
        return await self._signed_in(answer, "session.login", "unknown", "sso")

    async def refresh(self, refresh_token: str) -> SignInOutcome:
        answer = await self.gateway.sign_in("refresh", {"refresh_token": refresh_token})
        sid = refresh_token.partition(".")[0][:80]
        return await self._signed_in(answer, "session.refresh", "unknown", "refresh", sid)

    async def logout(self, actor: str, session_id: str, authorization: str) -> None:
        """Revoke the caller's session at the Gateway (idempotent there)."""
        answer = await self.gateway.sign_in("logout", {}, authorization=authorization)
        if answer.status < 400:
            self.resolver.invalidate_session(session_id)
        outcome: AuditOutcome = "succeeded" if answer.status < 400 else "failed"
        try:
            await self.audit.record(
                actor=actor,
                action="session.logout",
                target=f"session:{session_id}",
                outcome=outcome,
                detail={"status": answer.status, "code": _code(answer.body)},
            )
        except ControlError:
            _log.error("could not audit a sign-out", session_id=session_id)
        if answer.status >= 400 and answer.status != 401:  # 401: the session is gone already
            raise UpstreamError(f"the Gateway's sign-out answered {answer.status}")

    async def _signed_in(
        self,
        answer: ForwardedResponse,
        action: str,
        actor: str,
        method: str,
        session_id: str | None = None,
    ) -> SignInOutcome:
        if answer.status != 200:
            await self._audit_refusal(answer, action, actor, method, session_id)
            if answer.status >= 500:
                raise UpstreamError(f"the Gateway's sign-in answered {answer.status}")
            return GatewayRefusal.of(answer)
        try:
            tokens = msgspec.json.decode(answer.body, type=GatewayTokens)
        except msgspec.MsgspecError as e:
            raise UpstreamError("the Gateway's sign-in returned an invalid answer") from e
        try:
            await self.audit.record(
                actor=tokens.principal_id,
                action=action,
                target=f"session:{tokens.session_id}",
                outcome="succeeded",
                detail={"method": method},
            )
        except ControlError as e:
            await self._revoke_unaudited(tokens)
            raise AuditWriteFailed("the sign-in could not be audited; no session was kept") from e
        session = SessionTokens(
            access_token=tokens.access_token,
            token_type=tokens.token_type,
            expires_at=tokens.expires_at,
            session_id=tokens.session_id,
            principal_id=tokens.principal_id,
            refresh_expires_at=tokens.refresh_expires_at if tokens.refresh_token else None,
        )
        return SignedIn(session, tokens.refresh_token)

    async def _audit_refusal(
        self,
        answer: ForwardedResponse,
        action: str,
        actor: str,
        method: str,
        session_id: str | None,
    ) -> None:
        target = f"session:{session_id}" if session_id else f"principal:{actor}"
        try:
            await self.audit.record(
                actor=actor,
                action=action,
                target=target,
                outcome="failed",
                detail={"method": method, "status": answer.status, "code": _code(answer.body)},
            )
        except ControlError:
            _log.error("could not audit a failed sign-in", action=action)

    async def _revoke_unaudited(self, tokens: GatewayTokens) -> None:
        try:
            await self.gateway.sign_in("logout", {}, authorization=f"Bearer {tokens.access_token}")
        except ControlError:
            _log.error("could not revoke an unaudited session", session_id=tokens.session_id)
