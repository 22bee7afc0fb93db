"""500 `config.reload` jobs created at once and run against the devfleet (issue 5).

Real wiring: a nats-server, the devfleet (500 simulated Runner instances in one process, started
with `python -m cloudlysis_devfleet many`) and the API in its own process. Each job
reloads one instance (so the per-service config locks never collide) and is created through
`POST /admin/v1/config/reload` with its own Idempotency-Key.

Measured:
* baseline, same run: 20 jobs one after the other (each created, then awaited): the latency of a
  job alone, and the NATS KV operations one job costs;
* load: 500 requests sent concurrently from a separate load-generator process (_job_loadgen.py,
  plain sockets); jobs/s (500 / (last finished - first created)), p50/p99 job latency
  (`finished_at - created_at` of each job record), KV operations per job, CPU per job of the API
  (net of its idle rate), the devfleet and the nats-server.

Completion is observed on the `control_jobs` KV bucket over NATS (not by polling the API). KV
operations are counted inside the API process by wrapping the KV adapter (`NatsKeyValue`: get,
create, update, put, delete), per bucket. The ratio printed is p99 under load / p99 alone.
`--profile FILE` runs the API's load phase under cProfile and writes the stats to FILE.

`--open-loop 0.5,0.8` adds, in the same run after the burst, a steady arrival rate at each of
these fractions of the burst's measured jobs/s for `--open-loop-s` (15) seconds, cycling through
the same instances: p50/p99 of `finished_at - created_at` against the job alone. (A burst of 500
at once cannot meet "p99 under load <= 10x alone": the last job waits for the 499 before it.)

    uv run python benchmarks/bench_reload_jobs.py [--jobs 500] [--workers 8] [--profile FILE]
        [--open-loop 0.5,0.8 [--open-loop-s 15]]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import signal
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
import nats
from _bench_support import AllRights, pct, stop_api, token, wait_ready, write_secret

from cloudlysis_control.adapters.nats.server import EmbeddedNatsServer, free_port
from cloudlysis_control.core.clock import parse_rfc3339

NAME = "reload_jobs"
BASELINE_JOBS = 20
TERMINAL = {"succeeded", "failed", "cancelled", "timed_out"}
JOB_LOADGEN = Path(__file__).resolve().parent / "_job_loadgen.py"
_TICK = os.sysconf("SC_CLK_TCK")


def _serve_counting(env: dict[str, str], port: int, counts_file: str, profile: str) -> None:
    """The API, with every KV adapter call counted and the counts dumped every 50 ms (and,
    with `profile`, the whole process under cProfile, its stats written there on exit)."""
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
    if profile:
        # SIGUSR1 starts the profiler, SIGUSR2 stops it and writes the stats: only the load
        # phase is profiled (not the start-up probing of 520 instances).
        import cProfile
        import signal

        profiler = cProfile.Profile()
        signal.signal(signal.SIGUSR1, lambda *_: profiler.enable())
        signal.signal(signal.SIGUSR2, lambda *_: (profiler.disable(), profiler.dump_stats(profile)))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def cpu_s(pid: int) -> float:
    """User + system CPU seconds the process has used so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


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


class Observer:
    """Follows the jobs KV bucket directly over NATS (not through the API, so waiting costs the
    API nothing): the last record of every job that reached a terminal status."""

    def __init__(self) -> None:
        self.done: dict[str, dict[str, Any]] = {}
        self.changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._nc: Any = None

    async def start(self, url: str) -> None:
        self._nc = await nats.connect(url)
        deadline = time.monotonic() + 30
        while True:
            try:
                kv = await self._nc.jetstream().key_value("control_jobs")
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)
        watcher = await kv.watchall()
        self._task = asyncio.create_task(self._follow(watcher))

    async def _follow(self, watcher: Any) -> None:
        async for entry in watcher:
            if entry is None or not entry.value:
                continue
            job = json.loads(entry.value)
            if job["status"] in TERMINAL:
                self.done[job["id"]] = job
                self.changed.set()

    async def wait(self, ids: set[str], timeout_s: float = 300) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout_s
        while not ids <= self.done.keys():
            self.changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"only {len(ids & self.done.keys())}/{len(ids)} jobs finished")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), left)
        return [self.done[i] for i in ids]

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self._nc is not None:
            await self._nc.close()


async def create(http: httpx.AsyncClient, service: str) -> str:
    r = await http.post(
        "/admin/v1/config/reload",
        json={"reason": "benchmark", "services": [service]},
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    if r.status_code != 202:
        raise RuntimeError(f"create answered {r.status_code}: {r.text[:300]}")
    job_id: str = r.json()["id"]
    return job_id


async def load(url: str, services: list[str]) -> tuple[list[str], float]:
    """The 500 creates, sent from the load generator's own process."""
    result = await _loadgen(url, {"services": services})
    return list(result["ids"]), float(result["elapsed_s"])


async def _loadgen(url: str, job: dict[str, Any]) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(JOB_LOADGEN),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    parsed = httpx.URL(url)
    job = {"host": parsed.host, "port": parsed.port, "token": token(), "concurrency": 100, **job}
    out, _ = await proc.communicate(json.dumps(job).encode())
    if proc.returncode != 0:
        raise RuntimeError(f"job load generator exited with {proc.returncode}")
    result: dict[str, Any] = json.loads(out)
    return result


async def open_loop(
    url: str, services: list[str], observer: Observer, rate: float, duration_s: float
) -> dict[str, Any]:
    """A steady arrival rate (open loop: a create every 1/rate s whatever the API's pace) for
    duration_s; the latency of each job from created_at to finished_at."""
    r = await _loadgen(url, {"services": services, "rate": rate, "duration_s": duration_s})
    done = await observer.wait(set(r["ids"]))
    lat = [latency(j) for j in done]
    return {
        "rate": round(rate, 1),
        "duration_s": duration_s,
        "sent": r["sent"],
        "created": len(r["ids"]),
        "refused": r["refused"],
        "statuses": dict(Counter(j["status"] for j in done)),
        "p50_ms": round(pct(lat, 50) * 1000, 1),
        "p99_ms": round(pct(lat, 99) * 1000, 1),
        "send_late_p99_ms": r["late_p99_ms"],
        "send_late_max_ms": r["late_max_ms"],
    }


async def bench(
    jobs: int, workers: int, profile: str, fractions: list[float], duration_s: float
) -> dict[str, Any]:
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
        observer = Observer()
        try:
            deadline = time.monotonic() + 60
            while not fleet_file.exists() or not fleet_file.read_text().strip().endswith("]"):
                if devfleet.returncode is not None or time.monotonic() > deadline:
                    raise RuntimeError("the devfleet did not start")
                await asyncio.sleep(0.1)
            services = [s["name"] for s in json.loads(fleet_file.read_text())]
            api = multiprocessing.get_context("spawn").Process(
                target=_serve_counting, args=(env, port, str(counts_file), profile)
            )
            api.start()
            assert api.pid is not None
            url = f"http://127.0.0.1:{port}"
            await wait_ready(url, 60)
            await observer.start(server.url)
            headers = {"authorization": f"Bearer {token()}"}
            async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as http:
                # Baseline: one job at a time.
                await observer.wait({await create(http, services[-1])})  # warm-up
                # The API's own background work (watches, timers) while idle: subtracted from
                # the CPU of each phase, so the figure is what the jobs cost.
                idle0, idle_t0 = cpu_s(api.pid), time.monotonic()
                await asyncio.sleep(3)
                idle_rate = (cpu_s(api.pid) - idle0) / (time.monotonic() - idle_t0)
                start_counts = await read_counts(counts_file)
                alone = []
                for service in services[jobs : jobs + BASELINE_JOBS - 1]:
                    alone.extend(await observer.wait({await create(http, service)}))
                alone_counts = await read_counts(counts_file) - start_counts
            # Load: every request at once, from the load generator's own process.
            before = await read_counts(counts_file)
            cpu0, t0 = cpu_s(api.pid), time.monotonic()
            assert server.process is not None
            others0 = {"devfleet": cpu_s(devfleet.pid), "nats": cpu_s(server.process.pid)}
            if profile:
                os.kill(api.pid, signal.SIGUSR1)
            ids, created_s = await load(url, services[:jobs])
            done = await observer.wait(set(ids))
            load_cpu = cpu_s(api.pid) - cpu0 - idle_rate * (time.monotonic() - t0)
            others = {
                "devfleet": cpu_s(devfleet.pid) - others0["devfleet"],
                "nats": cpu_s(server.process.pid) - others0["nats"],
            }
            if profile:
                os.kill(api.pid, signal.SIGUSR2)
                await asyncio.sleep(1)
            load_counts = await read_counts(counts_file) - before
            # Open loop, same run: steady arrivals at fractions of the burst's throughput.
            burst_rate = (
                jobs
                / (
                    max(parse_rfc3339(j["finished_at"]) for j in done)
                    - min(parse_rfc3339(j["created_at"]) for j in done)
                ).total_seconds()
            )
            steady = []
            for fraction in fractions:
                await asyncio.sleep(2)  # the burst's after-effects (lock deletes, watches) settle
                r = await open_loop(
                    url, services[:jobs], observer, fraction * burst_rate, duration_s
                )
                steady.append({"fraction": fraction, **r})
        finally:
            await observer.stop()
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
        "api_idle_cpu_pct": round(idle_rate * 100, 1),
        "api_cpu_ms_per_job_load": round(load_cpu * 1000 / jobs, 2),
        # The other processes of the run, under load (not net of their idle work).
        "devfleet_cpu_ms_per_job_load": round(others["devfleet"] * 1000 / jobs, 2),
        "nats_cpu_ms_per_job_load": round(others["nats"] * 1000 / jobs, 2),
        "kv_ops_per_job_alone": per_job(alone_counts, len(alone)),
        "kv_ops_per_job_load": per_job(load_counts, jobs),
    }
    result["ratio"] = round(result["p99_ms"] / max(result["alone_p99_ms"], 0.1), 2)
    for r in steady:
        r["ratio_p99"] = round(r["p99_ms"] / max(result["alone_p99_ms"], 0.1), 2)
    result["open_loop"] = steady
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--profile", default="", help="write the API's cProfile stats here")
    parser.add_argument(
        "--open-loop",
        default="",
        help="after the burst, steady arrivals at these fractions of its jobs/s (e.g. 0.5,0.8)",
    )
    parser.add_argument("--open-loop-s", type=float, default=15.0, help="each open-loop phase")
    args = parser.parse_args()
    fractions = [float(f) for f in args.open_loop.split(",") if f.strip()]
    r = asyncio.run(bench(args.jobs, args.workers, args.profile, fractions, args.open_loop_s))
    print(
        f"{r['jobs']} config.reload jobs at once ({r['workers']} workers): {r['jobs_per_s']} "
        f"jobs/s, latency p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms (a job alone: p50 "
        f"{r['alone_p50_ms']} ms, p99 {r['alone_p99_ms']} ms; p99 under load / alone p99 = "
        f"{r['ratio']}x); statuses {r['statuses']}"
    )
    print(
        f"API CPU per job under load: {r['api_cpu_ms_per_job_load']} ms (idle API: "
        f"{r['api_idle_cpu_pct']} % of a core, subtracted); devfleet "
        f"{r['devfleet_cpu_ms_per_job_load']} ms, nats-server {r['nats_cpu_ms_per_job_load']} ms"
    )
    print(f"KV operations per job, alone: {r['kv_ops_per_job_alone']}")
    print(f"KV operations per job, under load: {r['kv_ops_per_job_load']}")
    for o in r["open_loop"]:
        print(
            f"open loop at {o['fraction']:.0%} of the burst ({o['rate']} jobs/s for "
            f"{o['duration_s']} s, {o['created']}/{o['sent']} created, refused {o['refused']}): "
            f"p50 {o['p50_ms']} ms, p99 {o['p99_ms']} ms; p99 / alone p99 = {o['ratio_p99']}x "
            f"(sends late: p99 {o['send_late_p99_ms']} ms, max {o['send_late_max_ms']} ms); "
            f"statuses {o['statuses']}"
        )
    print("BENCH_RESULT " + json.dumps(r, sort_keys=True), flush=True)
    ok = set(r["statuses"]) == {"succeeded"} and all(
        set(o["statuses"]) <= {"succeeded"} for o in r["open_loop"]
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
