"""Many server-sent-events subscribers in one separate process (not a benchmark itself).

Started by bench_sse_fanout.py. Reads its job as one JSON line on stdin
(`{"host", "port", "headers", "subscribers"}`), opens that many `GET /admin/v1/events` streams
over plain sockets, prints `READY` once every stream answered 200, records the wall-clock time
each stream receives each `job` event (`time.time()`: the parent compares it with the time it
sent the request that made the event, on the same machine), and on `STOP` (stdin) prints the
records as JSON: `[[subscriber, job id, status, received at], ...]`.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from _socket_job import SocketJob, decode_job


async def subscriber(
    n: int, job: SocketJob, ready: asyncio.Queue[int], records: list[list[object]]
) -> None:
    host, port, headers = job.host, job.port, job.header_lines
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(
        f"GET /admin/v1/events HTTP/1.1\r\nhost: {host}:{port}\r\naccept: text/event-stream\r\n"
        f"{headers}\r\n".encode()
    )
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    await ready.put(status)
    event, data = "", ""
    try:
        while True:
            line = await reader.readline()
            if not line:
                return
            text = line.decode().rstrip("\r\n")
            # chunked framing: size lines are hex numbers, payload lines are SSE fields
            if text.startswith("event:"):
                event = text[6:].strip()
            elif text.startswith("data:"):
                data += text[5:].strip()
            elif text == "" and event:
                if event == "job" and data:
                    body = json.loads(data)
                    records.append([n, body.get("id"), body.get("status"), time.time()])
                event, data = "", ""
    finally:
        writer.close()


async def main() -> None:
    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    job = decode_job(await stdin.readline())
    ready: asyncio.Queue[int] = asyncio.Queue()
    records: list[list[object]] = []
    count = job.subscribers
    tasks = [asyncio.create_task(subscriber(i, job, ready, records)) for i in range(count)]
    statuses = [await ready.get() for _ in range(count)]
    if any(s != 200 for s in statuses):
        print(f"FAILED {sorted(set(statuses))}", flush=True)
        return
    print("READY", flush=True)
    await stdin.readline()  # STOP
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    print(json.dumps(records), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
