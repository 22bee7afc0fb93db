"""A well-behaved stand-in for the Gateway's IAM API, as a raw ASGI app (serve it with
`cloudlysis_devfleet.serve` on the test's event loop).

Every IAM call (`/iam/v1/...`) answers 200 `{"ok": true}`; sign-out (`POST /auth/v1/logout`)
answers 204 as the contract says (idempotent: any token); dev login and anything else answers
404. It records the IAM calls that reached it, so a test can tell what Control forwarded and
whether a refused request was forwarded at all.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ForwardedCall:
    method: str
    path: str
    query_string: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes


class FakeGateway:
    def __init__(self) -> None:
        self.calls: list[ForwardedCall] = []
        self._lock = threading.Lock()

    @property
    def iam_calls(self) -> int:
        return len(self.calls)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        if scope["path"].startswith("/iam/v1/"):
            call = ForwardedCall(
                scope["method"], scope["path"], scope["query_string"], list(scope["headers"]), body
            )
            with self._lock:
                self.calls.append(call)
            status, ctype, answer = 200, b"application/json", b'{"ok": true}'
        elif scope["method"] == "POST" and scope["path"] == "/auth/v1/logout":
            status, ctype, answer = 204, b"application/json", b""
        else:
            status, ctype, answer = 404, b"application/problem+json", b'{"detail": "no such"}'
        headers = [(b"content-type", ctype)]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": answer})
