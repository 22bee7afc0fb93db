"""Authentication: verify the Gateway-issued bearer token, then resolve the caller's rights."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from cloudlysis_control.auth.principal import Principal
from cloudlysis_control.auth.rights import RightsResolver
from cloudlysis_control.auth.tokens import TokenRejected, TokenVerifier
from cloudlysis_control.core.errors import Unauthorized
from cloudlysis_control.core.identity import current_identity

PUBLIC_OPT_KEY = "public"


class BearerAuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        state = connection.app.state
        verifier: TokenVerifier = state.token_verifier
        resolver: RightsResolver = state.rights_resolver
        header = connection.headers.get("authorization")
        try:
            token = await verifier.verify(header)
        except TokenRejected as e:
            raise Unauthorized(e.detail, reason=e.reason) from None
        assert header is not None  # verify() rejects a missing header
        granted = await resolver.rights(header, token.sub, token.sid)
        ident = current_identity.get()
        if ident is not None:
            ident.principal_id = token.sub
        principal = Principal(
            id=token.sub,
            session_id=token.sid,
            rights=granted.rights,
            authorization=header,
            tenant_rights=granted.tenant_rights,
        )
        return AuthenticationResult(user=principal, auth=token)
