"""The Gateway's IAM API (docs/contracts/gateway-iam.md) as Control uses it: the rights lookup,
dev login and the byte-for-byte pass-through. `adapters.gateway` implements it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import msgspec


class RightsAnswer(msgspec.Struct):
    principal_id: str
    session_id: str
    session_status: str
    rights: list[str] = msgspec.field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ForwardedResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class IamGateway(Protocol):
    async def rights(self, authorization: str, sub: str, sid: str) -> RightsAnswer: ...

    async def dev_login(self, principal: str) -> ForwardedResponse: ...

    async def forward(
        self, method: str, path: str, query: bytes, headers: list[tuple[str, str]], body: bytes
    ) -> ForwardedResponse: ...
