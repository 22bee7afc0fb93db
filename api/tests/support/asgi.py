"""Drive an ASGI app directly, the way uvicorn would, with no HTTP client in between.

An HTTP client normalises what it sends (it percent-encodes the path, refuses some header bytes,
sets Content-Length); these helpers hand the app exactly the scope and messages a real server
(uvicorn with h11 or httptools) can deliver:

- `scope["path"]` is `urllib.parse.unquote` of the raw path (any unicode: control characters,
  U+FFFD for undecodable %-sequences), `raw_path` and `query_string` are the bytes as received;
- headers are (lowercase name, value) byte pairs; values may hold any byte but CR, LF and NUL;
- the body arrives in one or more `http.request` messages; once it is read, `receive()` waits
  until the response is complete and then reports `http.disconnect`, as uvicorn does.

`lifespan(app)` runs the app's startup and shutdown on the current event loop (the test client's
lifespan runs in another thread's loop, and the app's NATS connection must live on this one).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import httpx

Headers = list[tuple[bytes, bytes]]

_client_ports = itertools.count(40000)


@dataclass
class AsgiResponse:
    """What the app sent; reads like an httpx response (`status_code`, `headers`, `json()`,
    `text`), so the shared assertions (tests.support.problems) apply."""

    status_code: int
    raw_headers: Headers
    content: bytes
    # Every message the app sent, in order (for protocol checks).
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def headers(self) -> httpx.Headers:
        return httpx.Headers(self.raw_headers)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)

    def header_values(self, name: str) -> list[bytes]:
        key = name.lower().encode("latin-1")
        return [v for k, v in self.raw_headers if k.lower() == key]

    def header(self, name: str) -> str | None:
        """The one value of a header (latin-1), None when absent; fails when repeated."""
        values = self.header_values(name)
        assert len(values) <= 1, (name, values)
        return values[0].decode("latin-1") if values else None


def server_path(raw_path: bytes) -> str:
    """`scope["path"]` as uvicorn derives it from the request target's path part."""
    return unquote(raw_path.decode("ascii"))


def http_scope(
    method: str,
    raw_path: bytes,
    query_string: bytes = b"",
    headers: Sequence[tuple[bytes, bytes]] = (),
    *,
    state: dict[str, Any] | None = None,
) -> dict[str, Any]:
    for name, value in headers:
        assert name == name.lower(), name
        assert not set(value) & {0, 10, 13}, value  # no server delivers CR, LF or NUL
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8080),
        "client": ("127.0.0.1", next(_client_ports)),
        "scheme": "http",
        "method": method,
        "root_path": "",
        "path": server_path(raw_path),
        "raw_path": raw_path,
        "query_string": query_string,
        "headers": list(headers),
        "state": dict(state or {}),
    }


async def call(
    app: Any,
    method: str,
    raw_path: bytes,
    query_string: bytes = b"",
    headers: Sequence[tuple[bytes, bytes]] = (),
    body: bytes = b"",
    *,
    chunks: int = 1,
    disconnect: bool = False,
    state: dict[str, Any] | None = None,
    timeout: float = 30.0,
) -> AsgiResponse:
    """One request through `app`; the body is split into `chunks` messages. With `disconnect`
    the client goes away after the first of them (`http.disconnect` instead of the rest).
    A streamed answer (a body message with more_body, e.g. server-sent events, which never ends
    by itself) is read up to its first body message; then the client goes away, as a browser
    closing the page does, and the app must stop streaming.

    Fails (rather than answering 500 for the app, as a server would) when the app raises or
    breaks the ASGI protocol, so the test sees the real cause.
    """
    scope = http_scope(method, raw_path, query_string, headers, state=state)
    size = max(1, -(-len(body) // max(1, chunks)))
    parts = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    pending = [
        {"type": "http.request", "body": part, "more_body": i < len(parts) - 1}
        for i, part in enumerate(parts)
    ]
    if disconnect and len(pending) > 1:
        pending[1:] = [{"type": "http.disconnect"}]
    done = asyncio.Event()
    left = asyncio.Event()
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if pending:
            return pending.pop(0)
        waits = [asyncio.ensure_future(done.wait()), asyncio.ensure_future(left.wait())]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        assert not done.is_set(), f"message after the response was complete: {message['type']}"
        if left.is_set():
            raise OSError("the client has gone")  # what a server raises to a late sender
        sent.append(message)
        if message["type"] == "http.response.body":
            if message.get("more_body", False):
                left.set()
            else:
                done.set()

    try:
        await asyncio.wait_for(app(scope, receive, send), timeout)
    finally:
        done.set()
    starts = [m for m in sent if m["type"] == "http.response.start"]
    assert len(starts) == 1, [m["type"] for m in sent]
    assert sent[0] is starts[0], "a body message came before http.response.start"
    bodies = [m for m in sent if m["type"] == "http.response.body"]
    assert bodies, "no body message"
    assert left.is_set() or not bodies[-1].get("more_body", False), "the response never completed"
    return AsgiResponse(
        status_code=starts[0]["status"],
        raw_headers=[(bytes(k), bytes(v)) for k, v in starts[0].get("headers", [])],
        content=b"".join(m.get("body", b"") for m in bodies),
        messages=sent,
    )


# What uvicorn can put on the wire: h11 refuses a header value with NUL, CR, LF, other whitespace
# than SP/HTAB, or leading/trailing whitespace; the httptools protocol refuses control bytes.
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_H11_VALUE = re.compile(rb"(?:[^\x00\s]+(?:[ \t]+[^\x00\s]+)*)?")
_HTTPTOOLS_REFUSED = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


def assert_sendable(response: AsgiResponse) -> None:
    """The response is one uvicorn (h11 or httptools) can send: a real status, token header
    names, header values neither protocol refuses. Otherwise the client gets a dropped
    connection or a bare 500 instead of this answer."""
    assert isinstance(response.status_code, int), response.status_code
    assert 100 <= response.status_code <= 599, response.status_code
    for name, value in response.raw_headers:
        assert _TOKEN.fullmatch(name), f"header name {name!r} is not a token"
        assert _H11_VALUE.fullmatch(value), f"h11 cannot send {name!r}: {value!r}"
        assert not _HTTPTOOLS_REFUSED.search(value), f"httptools refuses {name!r}: {value!r}"


@contextlib.asynccontextmanager
async def lifespan(app: Any, timeout: float = 60.0) -> AsyncIterator[dict[str, Any]]:
    """Run the app's lifespan on this event loop; yields the lifespan state for request scopes."""
    state: dict[str, Any] = {}
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.4"}, "state": state}
    task = asyncio.create_task(app(scope, inbox.get, outbox.put))
    await inbox.put({"type": "lifespan.startup"})
    started = await asyncio.wait_for(outbox.get(), timeout)
    if started["type"] != "lifespan.startup.complete":
        task.cancel()
        raise RuntimeError(f"lifespan startup failed: {started}")
    try:
        yield state
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        stopped = await asyncio.wait_for(outbox.get(), timeout)
        await asyncio.wait_for(task, timeout)
        assert stopped["type"] == "lifespan.shutdown.complete", stopped
