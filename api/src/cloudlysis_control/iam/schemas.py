from __future__ import annotations

from typing import Annotated

import msgspec


class DevLoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    principal: Annotated[
        str,
        msgspec.Meta(
            pattern=r"^[A-Za-z0-9._@-]{1,128}$", description="A dev-login principal of the Gateway"
        ),
    ]


class DevLoginToken(msgspec.Struct):
    access_token: str
    token_type: str
    expires_at: int
    session_id: str
    principal_id: str


# RFC 7636: a PKCE verifier is 43-128 unreserved characters.
_CODE_VERIFIER = r"^[A-Za-z0-9._~-]{43,128}$"
_OPAQUE = r"^[A-Za-z0-9._~-]{1,512}$"


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[
        str, msgspec.Meta(min_length=1, max_length=128, description="The Gateway user's id")
    ]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class SsoExchange(msgspec.Struct, forbid_unknown_fields=True):
    """The end of the SSO redirect: the Gateway's code and the verifier the console kept."""

    code: Annotated[str, msgspec.Meta(pattern=_OPAQUE, description="The authorization code")]
    code_verifier: Annotated[str, msgspec.Meta(pattern=_CODE_VERIFIER)]
    redirect_uri: Annotated[
        str,
        msgspec.Meta(
            pattern=r"^https?://[!-~]{1,2000}$",
            description="The redirect URI the authorization request named",
        ),
    ]


class SessionTokens(msgspec.Struct):
    """A signed-in session's access token. The refresh token is not here: it travels only in
    an HttpOnly cookie scoped to /admin/v1/session (POST /admin/v1/session/refresh)."""

    access_token: str
    token_type: str
    expires_at: int
    session_id: str
    principal_id: str
    refresh_expires_at: int | None = None


class GatewayTokens(msgspec.Struct):
    """The Gateway's answer to login, refresh and the token exchange (contract §2a)."""

    access_token: str
    token_type: str
    expires_at: int
    session_id: str
    principal_id: str
    refresh_token: str | None = None
    refresh_expires_at: int | None = None

    def __repr__(self) -> str:  # keep the secrets out of any repr-based logging
        return f"GatewayTokens(session_id={self.session_id!r})"
