"""Creates jobs over HTTP from its own process (not a benchmark itself).

`bench_reload_jobs.py` starts it so that the client sending 500 create requests does not share a
CPU budget or an event loop with the benchmark's observer. It reads its job as JSON on stdin:

    {"url": "http://127.0.0.1:8080", "token": "...", "services": ["svc-1", ...],
     "concurrency": 100}

sends one `POST /admin/v1/config/reload` per service (its own Idempotency-Key) at once over
`concurrency` keep-alive connections, and prints {"ids": [...], "elapsed_s": ...} on stdout.
Nothing is polled: completion is observed by the benchmark on the jobs KV bucket.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid

import httpx


async def create(http: httpx.AsyncClient, service: str) -> str:
    key = uuid.uuid4().hex
    for attempt in range(3):
        try:
            r = await http.post(
                "/admin/v1/config/reload",
                json={"reason": "benchmark", "services": [service]},
                headers={"Idempotency-Key": key},
            )
            break
        except httpx.TransportError:
            # A keep-alive connection closed under us: resend, the key makes it safe.
            if attempt == 2:
                raise
    if r.status_code != 202:
        raise RuntimeError(f"create answered {r.status_code}: {r.text[:300]}")
    job_id: str = r.json()["id"]
    return job_id


async def run(job: dict[str, object]) -> dict[str, object]:
    headers = {"authorization": f"Bearer {job['token']}"}
    limits = httpx.Limits(max_connections=int(job.get("concurrency", 100)))  # type: ignore[call-overload]
    async with httpx.AsyncClient(
        base_url=str(job["url"]), headers=headers, timeout=120, limits=limits
    ) as http:
        started = time.perf_counter()
        ids = await asyncio.gather(*(create(http, s) for s in job["services"]))  # type: ignore[attr-defined]
        return {"ids": ids, "elapsed_s": time.perf_counter() - started}


if __name__ == "__main__":
    json.dump(asyncio.run(run(json.loads(sys.stdin.buffer.read()))), sys.stdout)
