"""The request class of the app: bodies are checked before any decoder sees them."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.exceptions import InternalServerException

from cloudlysis_control.core.bodies import MAX_JSON_DEPTH, json_depth_exceeds
from cloudlysis_control.core.errors import BodyNotUtf8, BodyTooDeep, ClientDisconnected

_CHECKED = "control.body_checked"


class ControlRequest(Request[Any, Any, Any]):
    async def stream(self) -> AsyncGenerator[bytes, None]:
        # Litestar calls a client that leaves mid-body an internal error (a 500 in the metrics
        # and logs); it is the client's doing.
        try:
            async for chunk in super().stream():
                yield chunk
        except InternalServerException as e:
            if "disconnected" not in str(e.detail):
                raise
            raise ClientDisconnected("the connection closed before the body was complete") from e

    async def body(self) -> bytes:
        body = await super().body()
        state = self.scope.setdefault("state", {})
        if not state.get(_CHECKED):
            if json_depth_exceeds(body, MAX_JSON_DEPTH):
                raise BodyTooDeep(f"JSON bodies may nest at most {MAX_JSON_DEPTH} levels deep")
            state[_CHECKED] = True
        return body

    async def json(self) -> Any:
        # msgspec raises UnicodeDecodeError (not a DecodeError, so Litestar does not make it a
        # 400) for invalid UTF-8 inside a JSON string; JSON text is UTF-8 (RFC 8259 section 8.1).
        try:
            return await super().json()
        except UnicodeDecodeError:
            raise BodyNotUtf8("JSON bodies must be UTF-8; this one is not") from None
