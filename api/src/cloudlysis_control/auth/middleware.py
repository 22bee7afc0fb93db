"""Authentication: verify the Gateway-issued bearer token, then resolve the caller's rights."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from cloudlysis_control.auth.principal import Principal
from cloudlysis_control.auth.rights import RightsResolver
from cloudlysis_control.auth.tokens import TokenRejected, TokenVerifier, VerifiedToken
from cloudlysis_control.core.errors import Unauthorized
from cloudlysis_control.core.identity import current_identity

PUBLIC_OPT_KEY = "public"


async def authenticate(
    verifier: TokenVerifier, resolver: RightsResolver, header: str | None
) -> tuple[Principal, VerifiedToken]:
    """Who sends `header`: the token checked, then the session and its rights (through the
    rights cache). Unauthorized (or the rights source's error) otherwise. Every request goes
    through here, and an open event stream asks again the same way."""
    try:
        token = await verifier.verify(header)
    except TokenRejected as e:
        raise Unauthorized(e.detail, reason=e.reason) from None
    assert header is not None  # verify() rejects a missing header
    granted = await resolver.rights(header, token.sub, token.sid)
    principal = Principal(
        id=token.sub,
        session_id=token.sid,
        rights=granted.rights,
        authorization=header,
        tenant_rights=granted.tenant_rights,
    )
    return principal, token


class BearerAuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        state = connection.app.state
        principal, token = await authenticate(
            state.token_verifier, state.rights_resolver, connection.headers.get("authorization")
        )
        ident = current_identity.get()
        if ident is not None:
            ident.principal_id = principal.id
        return AuthenticationResult(user=principal, auth=token)
