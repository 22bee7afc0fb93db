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
