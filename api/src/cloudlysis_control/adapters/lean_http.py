"""A minimal HTTP/1.1 GET over asyncio streams, for fleet probes of plain-http endpoints.

A fleet snapshot makes three small GETs per instance to up to thousands of instances; httpx
costs ≈ 3-4 ms of CPU per request on the reference machine, which made the client the bottleneck
(docs/performance.md). This client does one thing: `GET` with `Connection: close`, read to EOF
(bounded), parse the status line, the headers it needs and a chunked body. HTTPS and anything else
stays on httpx. Errors are ours (`UpstreamUnavailable`, `UpstreamError`); the caller bounds time.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from urllib.parse import urlsplit

from cloudlysis_control.core.errors import UpstreamError, UpstreamUnavailable
from cloudlysis_control.core.identity import outbound_headers

MAX_RESPONSE_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class LeanResponse:
    status_code: int
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


def supports(url: str) -> bool:
    return url.startswith("http://")


def _dechunk(body: bytes) -> bytes:
    out = bytearray()
    pos = 0
    while True:
        end = body.find(b"\r\n", pos)
        if end < 0:
            raise UpstreamError("truncated chunked body")
        size = int(body[pos:end].split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            return bytes(out)
        start = end + 2
        out += body[start : start + size]
        if len(body) < start + size:
            raise UpstreamError("truncated chunked body")
        pos = start + size + 2


def parse_response(raw: bytes) -> LeanResponse:
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        raise UpstreamError("incomplete HTTP response")
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise UpstreamError("not an HTTP/1.x response")
    try:
        status = int(parts[1])
    except ValueError as e:
        raise UpstreamError("invalid HTTP status line") from e
    chunked = False
    length: int | None = None
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        key = name.strip().lower()
        if key == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif key == b"content-length":
            with contextlib.suppress(ValueError):
                length = int(value.strip())
    if chunked:
        try:
            body = _dechunk(body)
        except ValueError as e:
            raise UpstreamError("invalid chunked body") from e
    elif length is not None:
        if len(body) < length:
            raise UpstreamError("truncated HTTP body")
        body = body[:length]
    return LeanResponse(status, body)


async def get(url: str) -> LeanResponse:
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or 80
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError as e:
        raise UpstreamUnavailable(f"probe is unreachable: {type(e).__name__}") from e
    try:
        extra = "".join(f"{k}: {v}\r\n" for k, v in outbound_headers().items())
        host_header = parts.netloc
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: cloudlysis-control-probe"
            f"\r\nAccept: */*\r\nConnection: close\r\n{extra}\r\n".encode("latin-1")
        )
        chunks = []
        total = 0
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                break
            total += len(chunk)
            if total > MAX_RESPONSE_BYTES:
                raise UpstreamError(f"response larger than {MAX_RESPONSE_BYTES} bytes")
            chunks.append(chunk)
    except OSError as e:
        raise UpstreamUnavailable(f"probe connection failed: {type(e).__name__}") from e
    finally:
        writer.close()
    return parse_response(b"".join(chunks))
