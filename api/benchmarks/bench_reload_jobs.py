"""500 `config.reload` jobs created at once and run against the devfleet (issue 5).

Real wiring: a nats-server, the devfleet (500 simulated Runner instances in one process, started
with `python -m cloudlysis_devfleet many`) and the API in its own process. Each job
reloads one instance (so the per-service config locks never collide) and is created through
`POST /admin/v1/config/reload` with its own Idempotency-Key.

Measured:
* baseline, same run: 20 jobs one after the other (each created, then awaited): the latency of a
  job alone, and the NATS KV operations one job costs;
* load: 500 requests sent concurrently; jobs/s (500 / (last finished - first created)), p50/p99
  job latency (`finished_at - created_at` of each job record), KV operations per job.

KV operations are counted inside the API process by wrapping the KV adapter (`NatsKeyValue`:
get, create, update, put, delete), per bucket. The ratio printed is p99 under load / a job alone.

    uv run python benchmarks/bench_reload_jobs.py [--jobs 500] [--workers 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from _bench_support import AllRights, pct, stop_api, token, wait_ready, write_secret

from cloudlysis_control.adapters.nats.server import EmbeddedNatsServer, free_port
from cloudlysis_control.core.clock import parse_rfc3339

NAME = "reload_jobs"
BASELINE_JOBS = 20
TERMINAL = {"succeeded", "failed", "cancelled", "timed_out"}


def _serve_counting(env: dict[str, str], port: int, counts_file: str) -> None:
    """The API, with every KV adapter call counted and the counts dumped every 50 ms."""
    import uvicorn

    from cloudlysis_control.adapters.nats import state
    from cloudlysis_control.bootstrap.app import create_app
    from cloudlysis_control.core.settings import Settings

    counts: Counter[str] = Counter()

    def counted(op: str, original: Any) -> Any:
        async def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            counts[f"{self.spec.name}.{op}"] += 1
            return await original(self, *args, **kwargs)

        return wrapper

    for op in ("get", "create", "update", "put", "delete"):
        setattr(state.NatsKeyValue, op, counted(op, getattr(state.NatsKeyValue, op)))

    def dump() -> None:
        tmp = Path(counts_file + ".tmp")
        while True:
            tmp.write_text(json.dumps(dict(counts)))
            os.replace(tmp, counts_file)  # readers never see half a file
            time.sleep(0.05)

    threading.Thread(target=dump, daemon=True).start()
    app = create_app(Settings.from_env(env), rights_source=AllRights())
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


async def read_counts(path: Path) -> Counter[str]:
    await asyncio.sleep(0.2)  # one dump period and then some
    return Counter(json.loads(await asyncio.to_thread(path.read_text)))


def latency(job: dict[str, Any]) -> float:
    finished, created = parse_rfc3339(job["finished_at"]), parse_rfc3339(job["created_at"])
    return (finished - created).total_seconds()


def per_job(delta: Counter[str], jobs: int) -> dict[str, float]:
    out = {k: round(v / jobs, 2) for k, v in sorted(delta.items()) if v}
    out["total"] = round(sum(delta.values()) / jobs, 2)
    return out


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


async def wait_done(http: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    # Polls the list (served from the in-memory index), so waiting costs no KV reads.
    return (await wait_all(http, {job_id}, poll_s=0.005))[0]


async def wait_all(
    http: httpx.AsyncClient, ids: set[str], poll_s: float = 0.1
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 300
    while True:
        r = await http.get("/admin/v1/jobs", params={"kind": "config.reload", "limit": 500})
        done = [j for j in r.json()["items"] if j["id"] in ids and j["status"] in TERMINAL]
        if len(done) == len(ids):
            return done
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(done)}/{len(ids)} jobs finished in 300 s")
        await asyncio.sleep(poll_s)


async def bench(jobs: int, workers: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        server = EmbeddedNatsServer(base / "nats")
        await server.start()
        fleet_file = base / "fleet.json"
        devfleet = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "cloudlysis_devfleet",
            "many",
            "--runner",
            str(jobs + BASELINE_JOBS),
            "--fleet-file",
            str(fleet_file),
            stdout=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
        port = free_port()
        counts_file = base / "kv-counts.json"
        env = {
            "CONTROL_NATS_URL": server.url,
            "CONTROL_TOKEN_HS256_SECRET_FILE": str(write_secret(base)),
            "CONTROL_DATA_DIR": str(base / "data"),
            "CONTROL_PORT": str(port),
            "CONTROL_FLEET_FILE": str(fleet_file),
            "CONTROL_JOB_WORKERS": str(workers),
            "CONTROL_FLEET_SNAPSHOT_MAX_AGE_S": "3600",  # no background probing of 520 instances
            "CONTROL_LOG_LEVEL": "warning",
            "CONTROL_TRACE_SAMPLE_RATIO": "0",
        }
        api = None
        try:
            deadline = time.monotonic() + 60
            while not fleet_file.exists() or not fleet_file.read_text().strip().endswith("]"):
                if devfleet.returncode is not None or time.monotonic() > deadline:
                    raise RuntimeError("the devfleet did not start")
                await asyncio.sleep(0.1)
            services = [s["name"] for s in json.loads(fleet_file.read_text())]
            api = multiprocessing.get_context("spawn").Process(
                target=_serve_counting, args=(env, port, str(counts_file))
            )
            api.start()
            url = f"http://127.0.0.1:{port}"
            await wait_ready(url, 60)
            headers = {"authorization": f"Bearer {token()}"}
            limits = httpx.Limits(max_connections=100)
            async with httpx.AsyncClient(
                base_url=url, headers=headers, timeout=60, limits=limits
            ) as http:
                # Baseline: one job at a time.
                await wait_done(http, await create(http, services[-1]))  # warm-up
                start_counts = await read_counts(counts_file)
                alone = []
                for service in services[jobs : jobs + BASELINE_JOBS - 1]:
                    alone.append(await wait_done(http, await create(http, service)))
                alone_counts = await read_counts(counts_file) - start_counts
                # Load: every request at once.
                before = await read_counts(counts_file)
                sent = time.perf_counter()
                ids = await asyncio.gather(*(create(http, s) for s in services[:jobs]))
                created_s = time.perf_counter() - sent
                done = await wait_all(http, set(ids))
                load_counts = await read_counts(counts_file) - before
        finally:
            if api is not None:
                stop_api(api)
            devfleet.terminate()
            await asyncio.wait_for(devfleet.wait(), 10)
            await server.stop()
    statuses = Counter(j["status"] for j in done)
    lat = [latency(j) for j in done]
    span = (
        max(parse_rfc3339(j["finished_at"]) for j in done)
        - min(parse_rfc3339(j["created_at"]) for j in done)
    ).total_seconds()
    alone_lat = [latency(j) for j in alone]
    result: dict[str, Any] = {
        "name": NAME,
        "jobs": jobs,
        "workers": workers,
        "statuses": dict(statuses),
        "create_all_s": round(created_s, 3),
        "jobs_per_s": round(jobs / span, 1),
        "p50_ms": round(pct(lat, 50) * 1000, 1),
        "p99_ms": round(pct(lat, 99) * 1000, 1),
        "alone_p50_ms": round(pct(alone_lat, 50) * 1000, 1),
        "alone_p99_ms": round(pct(alone_lat, 99) * 1000, 1),
        "kv_ops_per_job_alone": per_job(alone_counts, len(alone)),
        "kv_ops_per_job_load": per_job(load_counts, jobs),
    }
    slowest = max(alone, key=latency)
    result["alone_slowest"] = {
        k: slowest[k] for k in ("created_at", "started_at", "finished_at", "runs")
    } | {
        "steps": [(st["started_at"], st["finished_at"], st["attempts"]) for st in slowest["steps"]]
    }
    result["ratio"] = round(result["p99_ms"] / max(result["alone_p50_ms"], 0.1), 2)
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    r = asyncio.run(bench(args.jobs, args.workers))
    print(
        f"{r['jobs']} config.reload jobs at once ({r['workers']} workers): {r['jobs_per_s']} "
        f"jobs/s, latency p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms (a job alone: p50 "
        f"{r['alone_p50_ms']} ms; p99 under load / alone = {r['ratio']}x); statuses "
        f"{r['statuses']}"
    )
    print(f"KV operations per job, alone: {r['kv_ops_per_job_alone']}")
    print(f"KV operations per job, under load: {r['kv_ops_per_job_load']}")
    print("BENCH_RESULT " + json.dumps(r, sort_keys=True), flush=True)
    return 0 if set(r["statuses"]) == {"succeeded"} else 1


if __name__ == "__main__":
    sys.exit(main())
