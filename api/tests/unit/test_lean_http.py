"""The probes' minimal HTTP/1.1 GET client: response parsing and errors."""

from __future__ import annotations

import asyncio

import pytest

from cloudlysis_control.adapters import lean_http
from cloudlysis_control.core.errors import UpstreamError, UpstreamUnavailable


def test_content_length_body() -> None:
    r = lean_http.parse_response(
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 5\r\nX: y\r\n\r\nhello+junk"
    )
    assert r.status_code == 503 and r.content == b"hello" and r.text == "hello"


def test_chunked_body() -> None:
    raw = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;x=1\r\nhello\r\n1\r\n!\r\n0\r\n\r\n"
    )
    assert lean_http.parse_response(raw).content == b"hello!"


def test_body_until_close() -> None:
    assert lean_http.parse_response(b"HTTP/1.0 200 OK\r\n\r\nabc").content == b"abc"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n",
        b"SSH-2.0-OpenSSH\r\n\r\n",
        b"HTTP/1.1 abc OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nshort",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
)
def test_malformed_responses_are_upstream_errors(raw: bytes) -> None:
    with pytest.raises(UpstreamError):
        lean_http.parse_response(raw)


async def test_get_against_a_real_socket_and_a_closed_port() -> None:
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        r = await lean_http.get(f"http://127.0.0.1:{port}/ready?x=1")
        assert (r.status_code, r.content) == (200, b"ok")
        assert seen[0].startswith(b"GET /ready?x=1 HTTP/1.1\r\nHost: 127.0.0.1:")
        assert b"Connection: close" in seen[0]
    finally:
        server.close()
        await server.wait_closed()
    with pytest.raises(UpstreamUnavailable):
        await lean_http.get(f"http://127.0.0.1:{port}/ready")
    assert lean_http.supports("http://x") and not lean_http.supports("https://x")
