"""Many loopback "instances" answering /health, /ready and /metrics from canned bytes.

For the fleet-snapshot benchmark: the devfleet's Litestar+uvicorn instances cost ≈ 1.7 ms of CPU
per request, so 1,000 of them in one process measure the simulator, not the control plane. This
responder serves the exact bytes a real devfleet instance answered (captured at start by the
benchmark) with HTTP/1.1 keep-alive, for ≈ 0.1 ms per request.

    python benchmarks/_canned_fleet.py N METRICS_FILE   → prints a JSON list of N base URLs
"""

from __future__ import annotations

import asyncio
import json
import sys


def _response(body: bytes, ctype: bytes) -> bytes:
    head = b"HTTP/1.1 200 OK\r\ncontent-type: " + ctype
    return head + b"\r\ncontent-length: " + str(len(body)).encode() + b"\r\n\r\n" + body


class _Canned(asyncio.Protocol):
    routes: dict[bytes, bytes] = {}
    not_found = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:  # GETs only: no request bodies
            head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
            parts = head.split(b" ", 2)
            path = parts[1] if len(parts) > 1 else b""
            self.transport.write(self.routes.get(path, self.not_found))


async def _main(n: int, metrics: bytes) -> None:
    _Canned.routes = {
        b"/health": _response(b'{"status":"ok"}', b"application/json"),
        b"/ready": _response(b'{"status":"ready"}', b"application/json"),
        b"/metrics": _response(metrics, b"text/plain; version=0.0.4; charset=utf-8"),
    }
    loop = asyncio.get_running_loop()
    urls = []
    for _ in range(n):
        server = await loop.create_server(_Canned, "127.0.0.1", 0)
        urls.append(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}")
    print(json.dumps(urls), flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    with open(sys.argv[2], "rb") as f:
        body = f.read()
    asyncio.run(_main(int(sys.argv[1]), body))
