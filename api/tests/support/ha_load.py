"""Closed-loop HTTP/1.1 clients against several API replicas, run in their own process.

Used by the HA suite (tests/ha/test_load_failover.py) and benchmarks/bench_failover.py; it has
no imports from the project, so it runs as a plain script (`python ha_load.py < job.json`) and
the process under test never shares a CPU slice or an event loop with its client. It reads its job
as JSON on stdin and prints one JSON result on stdout:

    {"targets": ["http://127.0.0.1:8001", ...], "headers": {...}, "clients": 200,
     "duration_s": 60, "think_s": 0.05, "timeout_s": 30, "services": ["runner-1", ...],
     "mix": {"whoami": 4, "jobs": 4, "create": 2}}

Client i keeps one keep-alive connection to targets[i % len(targets)] and loops until the
duration is over: it picks an operation by weight, sends it, waits for the whole answer (or the
timeout), sleeps `think_s`. Operations:

* whoami  GET /admin/v1/whoami
* jobs    GET /admin/v1/jobs?limit=20
* create  POST /admin/v1/config/reload for one service, with an Idempotency-Key; after a 5xx or
          a transport error the client resends the same key next time (what a client should do).

The result counts answers per operation and status (4xx also by problem code), and lists every
5xx and transport error with its start and end (wall clock), status, problem code, content type
and Retry-After; and every key a 202 was given for, with the job ids it got (one, whatever the
resends). With `"trace": true` it also lists every answer as [op, start, end, status].
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import sys
import time
import uuid
from typing import Any
from urllib.parse import urlsplit


async def _read(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    body = b""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        parts = []
        while True:
            size = int((await reader.readline()).strip(), 16)
            parts.append(await reader.readexactly(size + 2))
            if size == 0:
                break
        body = b"".join(p[:-2] for p in parts)
    elif headers.get("content-length"):
        body = await reader.readexactly(int(headers["content-length"]))
    return status, headers, body


class Client:
    def __init__(self, job: dict[str, Any], index: int, result: dict[str, Any]) -> None:
        target = urlsplit(job["targets"][index % len(job["targets"])])
        self.host, self.port = target.hostname or "127.0.0.1", target.port or 80
        self.target = job["targets"][index % len(job["targets"])]
        self.header_lines = "".join(f"{k}: {v}\r\n" for k, v in job["headers"].items())
        self.job = job
        self.result = result
        self.rng = random.Random(index)
        ops = job.get("mix") or {"whoami": 4, "jobs": 4, "create": 2}
        self.ops = [op for op, weight in ops.items() for _ in range(int(weight))]
        self.pending_key: str | None = None
        self.conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    def request(self, op: str) -> tuple[bytes, str | None]:
        base = f"host: {self.host}:{self.port}\r\n{self.header_lines}"
        if op == "whoami":
            return f"GET /admin/v1/whoami HTTP/1.1\r\n{base}\r\n".encode(), None
        if op == "jobs":
            return f"GET /admin/v1/jobs?limit=20 HTTP/1.1\r\n{base}\r\n".encode(), None
        key = self.pending_key or uuid.uuid4().hex
        self.pending_key = key
        service = self.rng.choice(self.job["services"])
        body = json.dumps({"reason": "HA load", "services": [service]}).encode()
        head = (
            f"POST /admin/v1/config/reload HTTP/1.1\r\n{base}idempotency-key: {key}\r\n"
            f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body, key

    async def send(self, op: str) -> None:
        data, key = self.request(op)
        started = time.time()
        try:
            if self.conn is None:
                self.conn = await asyncio.wait_for(
                    asyncio.open_connection(self.host, self.port), self.job["timeout_s"]
                )
            reader, writer = self.conn
            writer.write(data)
            status, headers, body = await asyncio.wait_for(_read(reader), self.job["timeout_s"])
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as e:
            self.close()
            self.result["failures"].append(
                {
                    "op": op,
                    "target": self.target,
                    "start": started,
                    "end": time.time(),
                    "status": None,
                    "error": type(e).__name__,
                }
            )
            return
        ended = time.time()
        if self.job.get("trace"):
            self.result["trace"].append((op, started, ended, status))
        counts = self.result["counts"].setdefault(op, {})
        counts[str(status)] = counts.get(str(status), 0) + 1
        if headers.get("connection", "").lower() == "close":
            self.close()
        if 400 <= status < 500:
            code = None
            with contextlib.suppress(ValueError, AttributeError):
                code = json.loads(body).get("code")
            codes = self.result["codes"]
            codes[f"{op} {status} {code}"] = codes.get(f"{op} {status} {code}", 0) + 1
        if status >= 500:
            code = None
            with contextlib.suppress(ValueError):
                code = json.loads(body).get("code")
            self.result["failures"].append(
                {
                    "op": op,
                    "target": self.target,
                    "start": started,
                    "end": ended,
                    "status": status,
                    "code": code,
                    "content_type": headers.get("content-type"),
                    "retry_after": headers.get("retry-after"),
                }
            )
            return
        if key is not None:
            self.pending_key = None
            if status == 202:
                ids = self.result["created"].setdefault(key, [])
                ids.append(json.loads(body)["id"])

    def close(self) -> None:
        if self.conn is not None:
            self.conn[1].close()
            self.conn = None

    async def run(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            op = "create" if self.pending_key else self.rng.choice(self.ops)
            await self.send(op)
            await asyncio.sleep(self.job.get("think_s", 0.05))
        self.close()


async def run(job: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {"counts": {}, "codes": {}, "failures": [], "created": {}, "trace": []}
    deadline = time.monotonic() + job["duration_s"]
    result["started"] = time.time()
    clients = [Client(job, i, result) for i in range(job["clients"])]
    await asyncio.gather(*(c.run(deadline) for c in clients))
    result["ended"] = time.time()
    return result


if __name__ == "__main__":
    json.dump(asyncio.run(run(json.loads(sys.stdin.buffer.read()))), sys.stdout)
