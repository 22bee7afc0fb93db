"""A plain-socket HTTP/1.1 load generator, run in its own process (not a benchmark itself).

A benchmark whose client shares the process (or the event loop) with what it measures measures
its own client: the tenants-list tail of 90-117 ms was requests waiting inside an in-process
httpx client. This script is started by `_bench_support.socket_load` as a separate process; it
reads its job as JSON on stdin, keeps `concurrency` keep-alive connections, sends each GET in
turn and prints the latencies (seconds, time to the whole body) as JSON on stdout.

    {"host": "127.0.0.1", "port": 8080, "headers": {...}, "paths": ["/health", ...],
     "concurrency": 8}

Only what the API answers is parsed: a status line, headers, a Content-Length body.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from _socket_job import SocketJob, decode_job


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value.strip())
        elif name == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readline()).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def run(job: SocketJob) -> dict[str, object]:
    host, port, headers, concurrency = job.host, job.port, job.header_lines, job.concurrency
    queue = list(reversed(job.paths))
    latencies: list[float] = []
    statuses: dict[str, int] = {}

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while queue:
                path = queue.pop()
                request = f"GET {path} HTTP/1.1\r\nhost: {host}:{port}\r\n{headers}\r\n".encode()
                started = time.perf_counter()
                writer.write(request)
                status = await _read_response(reader)
                latencies.append(time.perf_counter() - started)
                statuses[str(status)] = statuses.get(str(status), 0) + 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return {
        "latencies": latencies,
        "statuses": statuses,
        "elapsed_s": time.perf_counter() - started,
    }


if __name__ == "__main__":
    result = asyncio.run(run(decode_job(sys.stdin.buffer.read())))
    json.dump(result, sys.stdout)
