"""Creates jobs over HTTP from its own process (not a benchmark itself).

`bench_reload_jobs.py` starts it so that the client sending 500 create requests does not share a
CPU budget or an event loop with the benchmark's observer. Plain HTTP/1.1 over asyncio streams
(like _loadgen.py): an httpx client with 100 connections spent more CPU per request than the API
and delivered the 500 requests over 10-15 s, so the benchmark measured its client. It reads its
job as JSON on stdin:

    {"host": "127.0.0.1", "port": 8080, "token": "...", "services": ["svc-1", ...],
     "concurrency": 100}

sends one `POST /admin/v1/config/reload` per service (its own Idempotency-Key) at once over
`concurrency` keep-alive connections, and prints {"ids": [...], "elapsed_s": ...} on stdout.
With "rate" (jobs/s) and "duration_s" it runs open-loop instead: one create every 1/rate s for
duration_s, cycling through the services, each sent on a free connection of the pool; it also
prints how late the sends ran behind their schedule ("late_p99_ms", "late_max_ms": a late send
is waiting the benchmark does not see in `created_at`) and the refused creates by status.
Nothing is polled: completion is observed by the benchmark on the jobs KV bucket.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid

import msgspec


class LoadJob(msgspec.Struct, frozen=True):
    """The job read on stdin (see the module's docstring)."""

    host: str
    port: int
    token: str
    services: list[str]
    concurrency: int = 100
    rate: float | None = None  # jobs/s: open loop
    duration_s: float = 0.0

    def head(self) -> str:
        return f"host: {self.host}:{self.port}\r\nauthorization: Bearer {self.token}\r\n"


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    return status, await reader.readexactly(length) if length else b""


async def _create(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: str, service: str
) -> tuple[int, bytes]:
    """One `POST /admin/v1/config/reload` of `service` with its own Idempotency-Key."""
    body = json.dumps({"reason": "benchmark", "services": [service]}).encode()
    writer.write(
        (
            f"POST /admin/v1/config/reload HTTP/1.1\r\n{head}"
            f"idempotency-key: {uuid.uuid4().hex}\r\n"
            "content-type: application/json\r\n"
            f"content-length: {len(body)}\r\n\r\n"
        ).encode()
        + body
    )
    return await _read_response(reader)


async def run(job: LoadJob) -> dict[str, object]:
    queue = list(reversed(job.services))
    ids: list[str] = []
    head = job.head()

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(job.host, job.port)
        try:
            while queue:
                status, answer = await _create(reader, writer, head, queue.pop())
                if status != 202:
                    raise RuntimeError(f"create answered {status}: {answer[:300]!r}")
                ids.append(json.loads(answer)["id"])
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(job.concurrency)))
    return {"ids": ids, "elapsed_s": time.perf_counter() - started}


async def open_loop(job: LoadJob, rate: float) -> dict[str, object]:
    services, duration, head = job.services, job.duration_s, job.head()
    pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(job.concurrency):
        pool.put_nowait(await asyncio.open_connection(job.host, job.port))
    ids: list[str] = []
    late: list[float] = []
    refused: dict[str, int] = {}

    async def send(service: str, due: float) -> None:
        reader, writer = await pool.get()
        late.append(max(0.0, time.perf_counter() - due))
        try:
            status, answer = await _create(reader, writer, head, service)
            if status == 202:
                ids.append(json.loads(answer)["id"])
            else:
                refused[str(status)] = refused.get(str(status), 0) + 1
        finally:
            pool.put_nowait((reader, writer))

    started = time.perf_counter()
    tasks = []
    n = int(rate * duration)
    for i in range(n):
        due = started + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(services[i % len(services)], due)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    while not pool.empty():
        pool.get_nowait()[1].close()
    late.sort()
    return {
        "ids": ids,
        "elapsed_s": elapsed,
        "sent": n,
        "refused": refused,
        "late_p99_ms": round(late[min(len(late) - 1, int(0.99 * len(late)))] * 1000, 1),
        "late_max_ms": round(late[-1] * 1000, 1),
    }


if __name__ == "__main__":
    _job = msgspec.json.decode(sys.stdin.buffer.read(), type=LoadJob)
    _main = run(_job) if _job.rate is None else open_loop(_job, _job.rate)
    json.dump(asyncio.run(_main), sys.stdout)
