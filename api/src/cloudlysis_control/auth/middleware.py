"""Authentication and authorization: verify the Gateway-issued bearer token, resolve the caller's
rights, then check the right the matched route declares (auth.guards.authorize).

Authorization runs here, right after authentication, not as a Litestar guard: an app-wide guard
makes Litestar copy the route handler object on every request (`copy(handler)` for each guard
call, public routes included), about a tenth of a trivial request's time (docs/performance.md,
"Issue 19 — request path"). The reach is the same as the app-wide guard's: this middleware runs
for every route that is not `public` — Litestar's automatic OPTIONS handlers too — so a route
that declares no right is still refused for everyone.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from cloudlysis_control.auth.guards import authorize
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


def _authorization(scope: Any) -> str | None:
    """The first Authorization header, as `connection.headers.get` gives it (latin-1), without
    building Litestar's Headers object for one value."""
    for key, value in scope.get("headers") or ():
        if key == b"authorization" or key.lower() == b"authorization":
            return value.decode("latin-1")  # type: ignore[no-any-return]
    return None


class BearerAuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        state = connection.app.state
        principal, token = await authenticate(
            state.token_verifier, state.rights_resolver, _authorization(connection.scope)
        )
        ident = current_identity.get()
        if ident is not None:
            ident.principal_id = principal.id
        scope = connection.scope
        scope["user"] = principal  # what authorize (and its denial audit) reads as the caller
        scope["auth"] = token
        await authorize(connection, scope["route_handler"])
        return AuthenticationResult(user=principal, auth=token)
