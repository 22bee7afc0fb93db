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

`--servers granian --api-workers 1,2` runs the API as production does instead (`python -m
cloudlysis_control serve`, CONTROL_SERVER, CONTROL_WORKERS; the same CONTROL_JOB_WORKERS and
other settings), with a token and rights from the devfleet Gateway (JWKS, rights lookup, as
bench_request_path wires them); its CPU is summed over the server process and all its workers,
and KV operations are not counted (n/a: the production process is not instrumented). `counting`
in `--servers` is the default mode above (one uvicorn process, KV operations counted, every
right granted in-process). Several configurations run one after the other in the same run, each
on a fresh nats-server and devfleet, and their jobs/s are printed against the first one's and
N workers against 1.

`--open-loop 0.5,0.8` adds, in the same run after the burst, a steady arrival rate at each of
these fractions of the burst's measured jobs/s for `--open-loop-s` (15) seconds, cycling through
the same instances: p50/p99 of `finished_at - created_at` against the job alone; `--open-loop-rates
300` the same at fixed rates (jobs/s). (A burst of 500 at once cannot meet "p99 under load <= 10x
alone": the last job waits for the 499 before it.)

The production process logs at `info`, as production does (an access line per request, a line
per finished job); the counting process at `warning`.

    uv run python benchmarks/bench_reload_jobs.py [--jobs 500] [--workers 8] [--profile FILE]
        [--open-loop 0.5,0.8] [--open-loop-rates 300] [--open-loop-s 15]
        [--servers counting,uvicorn,granian [--api-workers 1,2]]
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
from bench_request_path import tree_cpu_s
from bench_whoami import spawn, stop, wait_http

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


async def read_counts(path: Path | None) -> Counter[str]:
    """The KV operations counted so far (none without the counting API: an empty Counter)."""
    if path is None:
        return Counter()
    await asyncio.sleep(0.2)  # one dump period and then some
    return Counter(json.loads(await asyncio.to_thread(path.read_text)))


def start_gateway(base: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    """The devfleet Gateway (tokens, JWKS, rights) as bench_request_path starts it: (process,
    its URL, a dev-login bearer token of `admin`)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = base / "gateway.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTROL_")}
    argv = [sys.executable, "-m", "cloudlysis_devfleet", "gateway", "--port", str(port)]
    proc = spawn([*argv, "--data-dir", str(base / "gateway")], env, log)
    try:
        wait_http(f"{url}/ready", 30, proc, log)
        login = httpx.post(f"{url}/auth/v1/dev-login", json={"principal": "admin"}, timeout=10)
        login.raise_for_status()
    except Exception:
        stop(proc)
        raise
    return proc, url, str(login.json()["access_token"])


def start_production(
    env: dict[str, str], server: str, api_workers: int, gateway_url: str, log: Path
) -> subprocess.Popen[bytes]:
    """`python -m cloudlysis_control serve` with CONTROL_SERVER / CONTROL_WORKERS, tokens
    checked against the Gateway's JWKS and rights looked up there (no HS256 secret), logging at
    info like production."""
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("CONTROL_")}
    settings = {k: v for k, v in env.items() if k != "CONTROL_TOKEN_HS256_SECRET_FILE"}
    return spawn(
        [sys.executable, "-m", "cloudlysis_control", "serve"],
        {
            **base_env,
            **settings,
            "CONTROL_SERVER": server,
            "CONTROL_WORKERS": str(api_workers),
            "CONTROL_HOST": "127.0.0.1",
            "CONTROL_JWKS_URL": f"{gateway_url}/.well-known/jwks.json",
            "CONTROL_GATEWAY_URL": gateway_url,
            "CONTROL_INSTANCE_ID": f"bench-{server}-{api_workers}",
            "CONTROL_LOG_LEVEL": "info",  # production's level
        },
        log,
    )


async def wait_all_ready(url: str, api_workers: int) -> None:
    """/ready, then as many more 200s in a row as it takes for every worker to have answered
    one with high likelihood (the kernel spreads connections over the workers)."""
    await wait_ready(url, 60)
    async with httpx.AsyncClient() as c:
        streak, deadline = 0, time.monotonic() + 60
        while streak < 20 * api_workers:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url}: the workers did not all become ready")
            with contextlib.suppress(httpx.TransportError):
                ok = (await c.get(f"{url}/ready", headers={"connection": "close"})).status_code
                streak = streak + 1 if ok == 200 else 0
            await asyncio.sleep(0.05)


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


async def load(url: str, services: list[str], bearer: str) -> tuple[list[str], float]:
    """The 500 creates, sent from the load generator's own process."""
    result = await _loadgen(url, {"services": services}, bearer)
    return list(result["ids"]), float(result["elapsed_s"])


async def _loadgen(url: str, job: dict[str, Any], bearer: str) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(JOB_LOADGEN),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    parsed = httpx.URL(url)
    job = {"host": parsed.host, "port": parsed.port, "token": bearer, "concurrency": 100, **job}
    out, _ = await proc.communicate(json.dumps(job).encode())
    if proc.returncode != 0:
        raise RuntimeError(f"job load generator exited with {proc.returncode}")
    result: dict[str, Any] = json.loads(out)
    return result


async def open_loop(
    url: str,
    services: list[str],
    observer: Observer,
    rate: float,
    duration_s: float,
    bearer: str,
) -> dict[str, Any]:
    """A steady arrival rate (open loop: a create every 1/rate s whatever the API's pace) for
    duration_s; the latency of each job from created_at to finished_at."""
    r = await _loadgen(url, {"services": services, "rate": rate, "duration_s": duration_s}, bearer)
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
    jobs: int,
    workers: int,
    profile: str,
    fractions: list[float],
    duration_s: float,
    server_kind: str = "counting",
    api_workers: int = 1,
    rates: tuple[float, ...] = (),
) -> dict[str, Any]:
    """One configuration: `counting` (the API in a spawned process under uvicorn, KV operations
    counted) or the production process under `server_kind` with `api_workers` workers."""
    counting = server_kind == "counting"
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
        counts_file: Path | None = base / "kv-counts.json" if counting else None
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
        api: Any = None
        gateway = None
        observer = Observer()
        bearer = token()
        try:
            deadline = time.monotonic() + 60
            while not fleet_file.exists() or not fleet_file.read_text().strip().endswith("]"):
                if devfleet.returncode is not None or time.monotonic() > deadline:
                    raise RuntimeError("the devfleet did not start")
                await asyncio.sleep(0.1)
            services = [s["name"] for s in json.loads(fleet_file.read_text())]
            # The API's port, picked only now: picked before the devfleet had bound its 520
            # Runner ports, one of them could take it and answer /ready in the API's place.
            port = free_port()
            env["CONTROL_PORT"] = str(port)
            url = f"http://127.0.0.1:{port}"
            if counting:
                api = multiprocessing.get_context("spawn").Process(
                    target=_serve_counting, args=(env, port, str(counts_file), profile)
                )
                api.start()
                await wait_ready(url, 60)
            else:
                gateway, gateway_url, bearer = start_gateway(base)
                api = start_production(env, server_kind, api_workers, gateway_url, base / "api.log")
                await wait_all_ready(url, api_workers)
            assert api.pid is not None
            await observer.start(server.url)
            headers = {"authorization": f"Bearer {bearer}"}
            async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as http:
                # Baseline: one job at a time.
                await observer.wait({await create(http, services[-1])})  # warm-up
                # The API's own background work (watches, timers) while idle: subtracted from
                # the CPU of each phase, so the figure is what the jobs cost.
                idle0, idle_t0 = tree_cpu_s(api.pid), time.monotonic()
                await asyncio.sleep(3)
                idle_rate = (tree_cpu_s(api.pid) - idle0) / (time.monotonic() - idle_t0)
                start_counts = await read_counts(counts_file)
                alone = []
                for service in services[jobs : jobs + BASELINE_JOBS - 1]:
                    alone.extend(await observer.wait({await create(http, service)}))
                alone_counts = await read_counts(counts_file) - start_counts
            # Load: every request at once, from the load generator's own process.
            before = await read_counts(counts_file)
            cpu0, t0 = tree_cpu_s(api.pid), time.monotonic()
            assert server.process is not None
            others0 = {"devfleet": cpu_s(devfleet.pid), "nats": cpu_s(server.process.pid)}
            if profile and counting:
                os.kill(api.pid, signal.SIGUSR1)
            ids, created_s = await load(url, services[:jobs], bearer)
            done = await observer.wait(set(ids))
            load_cpu = tree_cpu_s(api.pid) - cpu0 - idle_rate * (time.monotonic() - t0)
            others = {
                "devfleet": cpu_s(devfleet.pid) - others0["devfleet"],
                "nats": cpu_s(server.process.pid) - others0["nats"],
            }
            if profile and counting:
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
            # (fraction of the burst's rate or None for a fixed rate, jobs/s)
            phases: list[tuple[float | None, float]] = [
                (fraction, fraction * burst_rate) for fraction in fractions
            ] + [(None, rate) for rate in rates]
            steady = []
            for fraction, rate in phases:
                await asyncio.sleep(2)  # the burst's after-effects (lock deletes, watches) settle
                r = await open_loop(url, services[:jobs], observer, rate, duration_s, bearer)
                steady.append({"fraction": fraction, **r})
        finally:
            await observer.stop()
            if counting and api is not None:
                stop_api(api)
            elif api is not None:
                stop(api)
            if gateway is not None:
                stop(gateway)
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
        "server": server_kind,
        "api_workers": api_workers,
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
        # n/a (None) for the production process: it is not instrumented.
        "kv_ops_per_job_alone": per_job(alone_counts, len(alone)) if counting else None,
        "kv_ops_per_job_load": per_job(load_counts, jobs) if counting else None,
    }
    result["ratio"] = round(result["p99_ms"] / max(result["alone_p99_ms"], 0.1), 2)
    for r in steady:
        r["ratio_p99"] = round(r["p99_ms"] / max(result["alone_p99_ms"], 0.1), 2)
    result["open_loop"] = steady
    return result


def label(r: dict[str, Any]) -> str:
    if r["server"] == "counting":
        return "counting uvicorn/1p"
    return f"{r['server']}/{r['api_workers']}w"


def report(r: dict[str, Any]) -> None:
    print(
        f"[{label(r)}] {r['jobs']} config.reload jobs at once ({r['workers']} job workers): "
        f"{r['jobs_per_s']} jobs/s, latency p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms (a job "
        f"alone: p50 {r['alone_p50_ms']} ms, p99 {r['alone_p99_ms']} ms; p99 under load / alone "
        f"p99 = {r['ratio']}x); statuses {r['statuses']}"
    )
    print(
        f"[{label(r)}] API CPU per job under load (all processes): "
        f"{r['api_cpu_ms_per_job_load']} ms (idle API: {r['api_idle_cpu_pct']} % of a core, "
        f"subtracted); devfleet {r['devfleet_cpu_ms_per_job_load']} ms, nats-server "
        f"{r['nats_cpu_ms_per_job_load']} ms"
    )
    print(f"[{label(r)}] KV operations per job, alone: {r['kv_ops_per_job_alone'] or 'n/a'}")
    print(f"[{label(r)}] KV operations per job, under load: {r['kv_ops_per_job_load'] or 'n/a'}")
    for o in r["open_loop"]:
        at = "a fixed rate" if o["fraction"] is None else f"{o['fraction']:.0%} of the burst"
        print(
            f"[{label(r)}] open loop at {at} ({o['rate']} jobs/s for "
            f"{o['duration_s']} s, {o['created']}/{o['sent']} created, refused {o['refused']}): "
            f"p50 {o['p50_ms']} ms, p99 {o['p99_ms']} ms; p99 / alone p99 = {o['ratio_p99']}x "
            f"(sends late: p99 {o['send_late_p99_ms']} ms, max {o['send_late_max_ms']} ms); "
            f"statuses {o['statuses']}"
        )


def ratios(results: list[dict[str, Any]]) -> dict[str, float]:
    """Burst jobs/s of every configuration against the first, and N workers against 1."""
    out: dict[str, float] = {}
    first = results[0]
    for r in results[1:]:
        out[f"{label(r)} / {label(first)}"] = round(r["jobs_per_s"] / first["jobs_per_s"], 2)
    by_server = {(r["server"], r["api_workers"]): r for r in results}
    for (kind, n), r in by_server.items():
        one = by_server.get((kind, 1))
        if n > 1 and one is not None:
            out[f"{kind} {n}w / 1w"] = round(r["jobs_per_s"] / one["jobs_per_s"], 2)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--workers", type=int, default=8, help="CONTROL_JOB_WORKERS")
    parser.add_argument("--profile", default="", help="write the API's cProfile stats here")
    parser.add_argument(
        "--open-loop",
        default="",
        help="after the burst, steady arrivals at these fractions of its jobs/s (e.g. 0.5,0.8)",
    )
    parser.add_argument(
        "--open-loop-rates", default="", help="then steady arrivals at these rates (jobs/s)"
    )
    parser.add_argument("--open-loop-s", type=float, default=15.0, help="each open-loop phase")
    parser.add_argument(
        "--servers",
        default="counting",
        help="counting (uvicorn, KV ops counted), uvicorn, granian: the production process",
    )
    parser.add_argument(
        "--api-workers", default="1", help="CONTROL_WORKERS for the production process, e.g. 1,2"
    )
    args = parser.parse_args()
    fractions = [float(f) for f in args.open_loop.split(",") if f.strip()]
    rates = tuple(float(f) for f in args.open_loop_rates.split(",") if f.strip())
    configs: list[tuple[str, int]] = []
    for kind in (k.strip() for k in args.servers.split(",") if k.strip()):
        if kind not in {"counting", "uvicorn", "granian"}:
            parser.error(f"unknown server {kind!r}")
        counts = [1] if kind == "counting" else [int(n) for n in args.api_workers.split(",")]
        configs += [(kind, n) for n in counts]
    results = []
    for kind, n in configs:
        r = asyncio.run(
            bench(
                args.jobs, args.workers, args.profile, fractions, args.open_loop_s, kind, n, rates
            )
        )
        report(r)
        results.append(r)
    if len(results) == 1:
        print("BENCH_RESULT " + json.dumps(results[0], sort_keys=True), flush=True)
    else:
        rs = ratios(results)
        for name, value in rs.items():
            print(f"ratio burst jobs/s {name}: {value}")
        out = {"name": NAME, "configs": results, "ratios": rs}
        print("BENCH_RESULT " + json.dumps(out, sort_keys=True), flush=True)
    ok = all(
        set(r["statuses"]) == {"succeeded"}
        and all(set(o["statuses"]) <= {"succeeded"} for o in r["open_loop"])
        for r in results
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
