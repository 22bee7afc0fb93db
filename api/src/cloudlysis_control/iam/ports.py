"""The Gateway's IAM API (docs/contracts/gateway-iam.md) as Control uses it: the rights lookup,
dev login, sign-in (login, refresh, logout, the SSO code exchange) and the byte-for-byte
pass-through. `adapters.gateway` implements it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import msgspec


class RightsAnswer(msgspec.Struct):
    principal_id: str
    session_id: str
    session_status: str
    rights: list[str] = msgspec.field(default_factory=list)
    # Rights held on some tenants only (a binding limited to tenants): right → tenants. A
    # Gateway that predates tenant-scoped bindings omits it: nothing is tenant-scoped then.
    tenant_rights: dict[str, list[str]] = msgspec.field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ForwardedResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class IamGateway(Protocol):
    async def rights(self, authorization: str, sub: str, sid: str) -> RightsAnswer: ...

    async def dev_login(self, principal: str) -> ForwardedResponse: ...

    async def sign_in(
        self, path: str, body: dict[str, str], authorization: str | None = None
    ) -> ForwardedResponse:
        """POST the Gateway's `/auth/v1/{path}` (login, refresh, logout, token)."""
        ...

    async def forward(
        self, method: str, path: str, query: bytes, headers: list[tuple[str, str]], body: bytes
    ) -> ForwardedResponse: ...
