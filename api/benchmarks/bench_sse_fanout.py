"""GET /admin/v1/events fan-out: 200 subscribers, a job event reaches every one of them.

The API runs in its own process (the real wiring, an embedded nats-server); the 200 subscribers
are another process (benchmarks/_sse_subscribers.py, plain sockets). This process creates jobs
one after the other (POST /admin/v1/jobs/kinds/platform.verify) and, for each, measures from the
moment it sent the POST to the moment each subscriber received the job's first event (same
machine, wall clock), and the fan-out itself: how long after the first subscriber had the event
each other one had it. The baseline in the same run is the POST's own answer time (the event
cannot come before the job exists; ratio = POST p99 / delivery p99). Target: fan-out p99
< 100 ms, every event delivered. The API's resident memory is
read before and after the subscribers connect: the cost of one open stream.

    uv run python benchmarks/bench_sse_fanout.py [--subscribers 200] [--jobs 30]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from _bench_support import pct, start_api, stop_api, token, wait_ready, write_secret

from cloudlysis_control.adapters.nats.server import EmbeddedNatsServer, free_port

NAME = "sse_fanout"
TARGET_P99_MS = 100.0
HERE = Path(__file__).resolve().parent


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def bench(subscribers: int, jobs: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        server = EmbeddedNatsServer(base / "nats")
        await server.start()
        port = free_port()
        fleet = base / "fleet.json"  # one instance nobody answers at: each job fails quickly
        fleet.write_text(
            json.dumps([{"name": "gw", "kind": "gateway", "url": "http://127.0.0.1:9"}])
        )
        api = start_api(
            {
                "CONTROL_NATS_URL": server.url,
                "CONTROL_TOKEN_HS256_SECRET_FILE": str(write_secret(base)),
                "CONTROL_DATA_DIR": str(base / "data"),
                "CONTROL_PORT": str(port),
                "CONTROL_FLEET_FILE": str(fleet),
            },
            port,
        )
        url = f"http://127.0.0.1:{port}"
        auth = {"authorization": f"Bearer {token()}"}
        subs = None
        try:
            await wait_ready(url)
            assert api.pid is not None
            await asyncio.sleep(1.0)
            rss_before = rss_kib(api.pid)
            subs = await asyncio.create_subprocess_exec(
                sys.executable,
                str(HERE / "_sse_subscribers.py"),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
            assert subs.stdin is not None
            assert subs.stdout is not None
            job = {"host": "127.0.0.1", "port": port, "headers": auth, "subscribers": subscribers}
            subs.stdin.write((json.dumps(job) + "\n").encode())
            await subs.stdin.drain()
            line = (await asyncio.wait_for(subs.stdout.readline(), 120)).decode().strip()
            if line != "READY":
                raise RuntimeError(f"subscribers: {line}")
            await asyncio.sleep(1.0)
            rss_after = rss_kib(api.pid)
            sent: dict[str, float] = {}
            answered: list[float] = []
            async with httpx.AsyncClient(base_url=url, headers=auth, timeout=30) as http:
                for i in range(jobs + 3):
                    started = time.time()
                    r = await http.post(
                        "/admin/v1/jobs/kinds/platform.verify",
                        json={"reason": f"fan-out {i}", "params": {}},
                        headers={"Idempotency-Key": uuid.uuid4().hex},
                    )
                    if r.status_code != 202:
                        raise RuntimeError(f"create: {r.status_code} {r.text[:200]}")
                    if i >= 3:  # the first three warm the path up
                        sent[r.json()["id"]] = started
                        answered.append(time.time() - started)
                    await asyncio.sleep(0.2)
            await asyncio.sleep(2.0)
            subs.stdin.write(b"STOP\n")
            await subs.stdin.drain()
            records = json.loads(await asyncio.wait_for(subs.stdout.read(), 60))
            await subs.wait()
        finally:
            if subs is not None and subs.returncode is None:
                subs.kill()
            stop_api(api)
            await server.stop()
    first: dict[tuple[int, str], float] = {}
    for n, job_id, _status, at in records:
        if job_id in sent:
            key = (n, job_id)
            first[key] = min(first.get(key, at), at)
    delivered = [at - sent[job_id] for (_, job_id), at in first.items()]
    earliest: dict[str, float] = {}
    for (_, job_id), at in first.items():
        earliest[job_id] = min(earliest.get(job_id, at), at)
    # the fan-out itself: how long after the first subscriber had the event the others had it
    spread = [at - earliest[job_id] for (_, job_id), at in first.items()]
    expected = subscribers * len(sent)
    p99 = pct(spread, 99)
    post_p99 = pct(answered, 99)
    return {
        "name": NAME,
        "subscribers": subscribers,
        "jobs": len(sent),
        "delivered": len(delivered),
        "expected": expected,
        "from_post_p50_ms": round(pct(delivered, 50) * 1000, 2),
        "from_post_p99_ms": round(pct(delivered, 99) * 1000, 2),
        "p50_ms": round(pct(spread, 50) * 1000, 2),
        "p99_ms": round(p99 * 1000, 2),
        "max_ms": round(max(spread) * 1000, 2),
        "post_p50_ms": round(pct(answered, 50) * 1000, 2),
        "post_p99_ms": round(post_p99 * 1000, 2),
        "rss_before_kib": rss_before,
        "rss_after_kib": rss_after,
        "kib_per_subscriber": round((rss_after - rss_before) / subscribers, 1),
        "ratio": round(post_p99 / pct(delivered, 99), 3),
        "target": f"p99 < {TARGET_P99_MS:g} ms, every event delivered",
        "meets_target": p99 * 1000 < TARGET_P99_MS and len(delivered) == expected,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=30)
    args = parser.parse_args()
    r = asyncio.run(bench(args.subscribers, args.jobs))
    print(
        f"SSE fan-out, {r['subscribers']} subscribers x {r['jobs']} jobs: "
        f"{r['delivered']}/{r['expected']} first events delivered; fan-out (after the first "
        f"subscriber had it): p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, max {r['max_ms']} ms; "
        f"from the POST: p50 {r['from_post_p50_ms']} ms, p99 {r['from_post_p99_ms']} ms "
        f"(the POST's own answer in the same run: p50 {r['post_p50_ms']} ms, "
        f"p99 {r['post_p99_ms']} ms); API memory {r['rss_before_kib']} KiB -> "
        f"{r['rss_after_kib']} KiB, {r['kib_per_subscriber']} KiB per subscriber"
    )
    print("BENCH_RESULT " + json.dumps(r, sort_keys=True), flush=True)
    return 0 if r["delivered"] == r["expected"] else 1


if __name__ == "__main__":
    sys.exit(main())
