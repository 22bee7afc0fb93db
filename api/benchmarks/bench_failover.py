"""Failover on a three-node NATS JetStream cluster, through the API (issue 19).

Real wiring: three `nats-server` processes as one cluster on loopback (tests/support/
nats_cluster.py), the devfleet (`python -m cloudlysis_devfleet many --runner N`, its own
process) and the API in its own process with the full server list. Clients run in their own
process too (tests/support/ha_load.py). Jobs are `config.reload` of one devfleet Runner each.

Measured, in one run:
1. failover time: SIGKILL of the node leading KV_control_jobs → the end of the first job creation
   (POST /admin/v1/config/reload answered 202) that was sent after the kill; 4 clients create
   jobs back to back the whole time. The node stays down 12 s, then is restarted and the cluster
   waited healthy before the next run. p50/p99 over `--runs` (20).
2. job completion delay under failover: a job whose only step takes 2 s (the Runner's slow
   switch) with the jobs leader SIGKILLed 0.5 s into it, against the same job undisturbed
   (finished_at - created_at of each; `--delay-runs` of each).
3. throughput: `--jobs` (500) jobs created at once and run to the end, on the cluster (R3) and on a
   single nats-server (R1), each with its own API process, twice (cluster, single, cluster,
   single); jobs/s = jobs / (last finished - first created).

    uv run python benchmarks/bench_failover.py [--runs 20] [--jobs 500] [--delay-runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from _bench_support import pct, start_api, stop_api, token, wait_ready, write_secret

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.support (the harness)

from tests.support.nats_cluster import NatsCluster

from cloudlysis_control.adapters.nats.server import EmbeddedNatsServer, free_port
from cloudlysis_control.core.clock import parse_rfc3339

NAME = "failover"
JOBS_STREAM = "KV_control_jobs"
TERMINAL = {"succeeded", "failed", "cancelled", "timed_out"}
LOAD = Path(__file__).resolve().parents[1] / "tests" / "support" / "ha_load.py"


async def start_devfleet(
    base: Path, runners: int
) -> tuple[asyncio.subprocess.Process, list[dict[str, Any]]]:
    fleet_file = base / "fleet.json"
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cloudlysis_devfleet",
        "many",
        "--runner",
        str(runners),
        "--fleet-file",
        str(fleet_file),
        stdout=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not fleet_file.exists() or not fleet_file.read_text().strip().endswith("]"):
        if proc.returncode is not None or time.monotonic() > deadline:
            raise RuntimeError("the devfleet did not start")
        await asyncio.sleep(0.1)
    return proc, json.loads(fleet_file.read_text())


OP_TIMEOUT_S = "5"  # CONTROL_NATS_OP_TIMEOUT_S's default; --op-timeout changes it


def api_env(
    base: Path, nats_url: str, replicas: str, name: str, fleet_file: Path
) -> dict[str, str]:
    return {
        "CONTROL_NATS_OP_TIMEOUT_S": OP_TIMEOUT_S,
        "CONTROL_NATS_URL": nats_url,
        "CONTROL_NATS_REPLICAS": replicas,
        "CONTROL_TOKEN_HS256_SECRET_FILE": str(write_secret(base)),
        "CONTROL_DATA_DIR": str(base / f"data-{name}"),
        "CONTROL_FLEET_FILE": str(fleet_file),
        "CONTROL_INSTANCE_ID": name,
        "CONTROL_FLEET_SNAPSHOT_MAX_AGE_S": "3600",
        "CONTROL_JOB_LEASE_S": "5",
        "CONTROL_LOG_LEVEL": "error",
        "CONTROL_TENANT_STATUS_TIMEOUT_S": "5",  # the slow Runner of the delay runs answers in 2 s
    }


async def create(http: httpx.AsyncClient, service: str) -> str:
    key = uuid.uuid4().hex
    for _ in range(50):
        try:
            r = await http.post(
                "/admin/v1/config/reload",
                json={"reason": "benchmark", "services": [service]},
                headers={"Idempotency-Key": key},
            )
        except httpx.TransportError:
            await asyncio.sleep(0.1)
            continue
        if r.status_code == 202:
            job_id: str = r.json()["id"]
            return job_id
        if r.status_code < 500:
            raise RuntimeError(f"create answered {r.status_code}: {r.text[:300]}")
        await asyncio.sleep(0.1)  # 503 while failing over: resend the same key
    raise RuntimeError("job creation kept failing")


async def wait_jobs(
    http: httpx.AsyncClient, ids: set[str], timeout_s: float = 300
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout_s
    done: dict[str, dict[str, Any]] = {}
    while True:
        try:
            r = await http.get("/admin/v1/jobs", params={"kind": "config.reload", "limit": 500})
            if r.status_code == 200:
                for j in r.json()["items"]:
                    if j["id"] in ids and j["status"] in TERMINAL:
                        done[j["id"]] = j
        except httpx.TransportError:
            pass
        if len(done) == len(ids):
            return list(done.values())
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(done)}/{len(ids)} jobs finished in {timeout_s} s")
        await asyncio.sleep(0.25)


def span_s(jobs: list[dict[str, Any]]) -> float:
    return (
        max(parse_rfc3339(j["finished_at"]) for j in jobs)
        - min(parse_rfc3339(j["created_at"]) for j in jobs)
    ).total_seconds()


def took_s(job: dict[str, Any]) -> float:
    return (parse_rfc3339(job["finished_at"]) - parse_rfc3339(job["created_at"])).total_seconds()


async def cluster_ready(cluster: NatsCluster) -> None:
    await cluster.wait_healthy(60)
    # The jobs stream has a leader and both followers current again.
    await cluster.leader_of(JOBS_STREAM, 30)


async def failover_times(
    cluster: NatsCluster, url: str, services: list[str], runs: int
) -> list[float]:
    job = {
        "targets": [url],
        "headers": {"authorization": f"Bearer {token()}"},
        "clients": 4,
        "duration_s": 3600,
        "think_s": 0.0,
        "timeout_s": 30,
        "services": services,
        "mix": {"create": 1},
        "trace": True,
    }
    times: list[float] = []
    for i in range(runs):
        await cluster_ready(cluster)
        job["duration_s"] = 16
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(LOAD), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
        )
        assert proc.stdin is not None
        proc.stdin.write(json.dumps(job).encode())
        proc.stdin.close()
        await asyncio.sleep(1.5)
        node = await cluster.leader_of(JOBS_STREAM)
        killed_at = time.time()
        cluster.kill(node)
        await asyncio.sleep(12)  # the node stays down until well after the first write
        cluster.start(node)
        out, _ = await proc.communicate()
        result = json.loads(out)
        after = [t for t in result["trace"] if t[1] >= killed_at and t[3] == 202]
        if not after:
            raise RuntimeError(f"run {i}: no job was created after the kill: {result['counts']}")
        first = min(t[2] for t in after) - killed_at
        failed = len(result["failures"])
        print(
            f"  run {i + 1}: killed n{node + 1}; first job write {first * 1000:.0f} ms later "
            f"({failed} failed requests)",
            flush=True,
        )
        times.append(first)
    await cluster_ready(cluster)
    return times


async def completion_delay(
    cluster: NatsCluster, http: httpx.AsyncClient, fleet: list[dict[str, Any]], runs: int
) -> tuple[list[float], list[float]]:
    calm: list[float] = []
    disturbed: list[float] = []
    async with httpx.AsyncClient() as c:
        for i in range(runs):
            for disturb in (False, True):
                await cluster_ready(cluster)
                svc = fleet[-(2 * i + int(disturb) + 1)]
                await c.post(f"{svc['url']}/_devfleet/switches", json={"slow_ms": 2000})
                job_id = await create(http, svc["name"])
                if disturb:
                    await asyncio.sleep(0.5)
                    node = await cluster.leader_of(JOBS_STREAM)
                    cluster.kill(node)
                [done] = await wait_jobs(http, {job_id}, 120)
                if disturb:
                    cluster.start(node)
                if done["status"] != "succeeded":
                    raise RuntimeError(f"job {job_id} {done['status']}: {done.get('error')}")
                (disturbed if disturb else calm).append(took_s(done))
                await c.post(f"{svc['url']}/_devfleet/switches", json={"slow_ms": 0})
    await cluster_ready(cluster)
    return calm, disturbed


async def throughput(http: httpx.AsyncClient, services: list[str]) -> tuple[float, dict[str, int]]:
    ids = await asyncio.gather(*(create(http, s) for s in services))
    done = await wait_jobs(http, set(ids))
    statuses: dict[str, int] = {}
    for j in done:
        statuses[j["status"]] = statuses.get(j["status"], 0) + 1
    return len(done) / span_s(done), statuses


async def bench(runs: int, jobs: int, delay_runs: int, only_failover: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        devfleet, fleet = await start_devfleet(base, jobs + 4 * delay_runs + 40)
        fleet_file = base / "fleet.json"
        names = [s["name"] for s in fleet]
        cluster = NatsCluster(base / "cluster")
        cluster.start_all()
        single = EmbeddedNatsServer(base / "single")
        await single.start()
        apis = []
        try:
            await cluster.wait_healthy(60)
            ports = {"cluster": free_port(), "single": free_port()}
            apis.append(
                start_api(
                    api_env(base, cluster.url, "auto", "cluster", fleet_file), ports["cluster"]
                )
            )
            apis.append(
                start_api(api_env(base, single.url, "auto", "single", fleet_file), ports["single"])
            )
            urls = {k: f"http://127.0.0.1:{p}" for k, p in ports.items()}
            for u in urls.values():
                await wait_ready(u, 60)
            headers = {"authorization": f"Bearer {token()}"}
            limits = httpx.Limits(max_connections=100)
            result: dict[str, Any] = {"name": NAME}
            async with (
                httpx.AsyncClient(
                    base_url=urls["cluster"], headers=headers, timeout=60, limits=limits
                ) as on_cluster,
                httpx.AsyncClient(
                    base_url=urls["single"], headers=headers, timeout=60, limits=limits
                ) as on_single,
            ):
                result["op_timeout_s"] = float(OP_TIMEOUT_S)
                # 3. throughput first, on a calm cluster: cluster, single, cluster, single.
                pool = names[:jobs]
                rates: dict[str, list[float]] = {"cluster": [], "single": []}
                for _round in range(0 if only_failover else 2):
                    for label, http in (("cluster", on_cluster), ("single", on_single)):
                        rate, statuses = await throughput(http, pool)
                        print(
                            f"  {jobs} jobs at once on the {label}: {rate:.1f} jobs/s {statuses}",
                            flush=True,
                        )
                        rates[label].append(rate)
                result["throughput_jobs_per_s"] = {
                    k: [round(v, 1) for v in vs] for k, vs in rates.items()
                }
                result["throughput_ratio_cluster_vs_single"] = [
                    round(c / s, 2) for c, s in zip(rates["cluster"], rates["single"], strict=True)
                ]
                # 2. completion delay.
                calm, disturbed = await completion_delay(
                    cluster, on_cluster, fleet[jobs:], 0 if only_failover else delay_runs
                )
                result["job_alone_s"] = [round(x, 2) for x in calm]
                result["job_through_failover_s"] = [round(x, 2) for x in disturbed]
                if calm and disturbed:
                    delay = pct(disturbed, 50) - pct(calm, 50)
                    result["completion_delay_p50_s"] = round(delay, 2)
                # 1. failover time.
                spare = names[jobs + 4 * delay_runs :]
                times = await failover_times(cluster, urls["cluster"], spare, runs)
                result["failover_ms"] = [round(t * 1000) for t in times]
                result["failover_p50_ms"] = round(pct(times, 50) * 1000)
                result["failover_p99_ms"] = round(pct(times, 99) * 1000)
                result["runs"] = runs
        finally:
            for a in apis:
                stop_api(a)
            cluster.stop_all()
            await single.stop()
            devfleet.terminate()
            await asyncio.wait_for(devfleet.wait(), 10)
    return result


def main() -> int:
    global OP_TIMEOUT_S
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--delay-runs", type=int, default=5)
    parser.add_argument("--op-timeout", default=OP_TIMEOUT_S, help="CONTROL_NATS_OP_TIMEOUT_S")
    parser.add_argument("--only-failover", action="store_true", help="skip parts 2 and 3")
    args = parser.parse_args()
    OP_TIMEOUT_S = str(args.op_timeout)
    r = asyncio.run(bench(args.runs, args.jobs, args.delay_runs, args.only_failover))
    print(
        f"failover (jobs leader SIGKILL -> first job written, NATS op timeout "
        f"{r['op_timeout_s']} s): p50 {r['failover_p50_ms']} ms, p99 {r['failover_p99_ms']} ms "
        f"over {r['runs']} runs"
    )
    if "completion_delay_p50_s" in r:
        print(
            f"a 2 s job: alone {r['job_alone_s']} s, through a leader kill "
            f"{r['job_through_failover_s']} s (p50 delay {r['completion_delay_p50_s']} s)"
        )
    if r["throughput_ratio_cluster_vs_single"]:
        print(
            f"{args.jobs} jobs at once: cluster {r['throughput_jobs_per_s']['cluster']} jobs/s, "
            f"single server {r['throughput_jobs_per_s']['single']} jobs/s (cluster / single "
            f"{r['throughput_ratio_cluster_vs_single']})"
        )
        r["ratio"] = r["throughput_ratio_cluster_vs_single"][-1]
    print("BENCH_RESULT " + json.dumps(r, sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
