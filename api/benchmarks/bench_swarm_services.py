"""GET /admin/v1/swarm/services (from the event-fed Swarm cache) vs a raw aiodocker services list,
50 services in a real swarm; and how long a docker CLI change takes to show through the API.

Needs a Docker engine that is a swarm manager (the same one CONTROL_TEST_DOCKER=1 tests use);
without one it prints why and exits 0, so `just bench` stays usable anywhere. It creates 50
services `cstest-bench-…` from the local test image `cstest/app:v1` (replicas 0, every tenth 1),
starts two API processes with CONTROL_SWARM_MODE=engine — one with the cache (the default), one
with CONTROL_SWARM_CACHE=false (every request makes the three engine calls, as before issue 18)
— and measures in the same run, sequentially (c1) and with 8 concurrent clients (c8):
- raw: `aiodocker.Docker().services.list()` (one Engine API call, no tasks, no nodes), the
  baseline, called from this process;
- api: the authenticated endpoint with the cache; api_nocache: the same without it. Both loaded
  from a separate process (benchmarks/_loadgen.py, plain sockets, keep-alive connections).
Target (issue 18): api p99 ≤ raw p99 (ratio raw p99 / api p99 ≥ 1), sequentially.

Then, against the cached API: `docker service update -d` (alternately `--replicas` and
`--env-add`) and poll `GET /admin/v1/swarm/services/{name}` until the change shows: the delay
from the CLI's return (and from its start), 10 times (target: within 1 s).
The services are removed afterwards, whatever happens.

    uv run python benchmarks/bench_swarm_services.py [--requests 500] [--services 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from multiprocessing.process import BaseProcess
from pathlib import Path

import aiodocker
import httpx
from _bench_support import pct, socket_load, start_api, stop_api, token, wait_ready, write_secret

from cloudlysis_control.adapters.nats.server import EmbeddedNatsServer, free_port

NAME = "swarm_services_50"
PREFIX = "cstest-bench-"
IMAGE = "cstest/app:v1"  # tests/support/swarm.ensure_test_images builds it locally
PATH = "/admin/v1/swarm/services"
CHANGES = 10


async def swarm_manager(docker: aiodocker.Docker) -> str | None:
    """None when usable, else why not."""
    try:
        info = await docker._query_json("info")
    except Exception as e:  # any failure means "no engine here"
        return f"no Docker engine ({type(e).__name__})"
    swarm = info.get("Swarm") or {}
    if swarm.get("LocalNodeState") != "active" or not swarm.get("ControlAvailable"):
        return "the Docker engine is not a swarm manager"
    try:
        await docker.images.inspect(IMAGE)
    except aiodocker.DockerError:
        return f"no local image {IMAGE} (run the tests/swarm suite once, or scripts/build-images)"
    return None


async def timed(
    call: Callable[[], Awaitable[object]], n: int, concurrency: int
) -> tuple[list[float], float]:
    remaining = [n]
    latencies: list[float] = []

    async def worker() -> None:
        while remaining[0] > 0:
            remaining[0] -= 1
            started = time.perf_counter()
            await call()
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - started


def summary(lat: list[float], total_s: float) -> dict[str, float]:
    return {
        "p50_ms": round(pct(lat, 50) * 1000, 2),
        "p99_ms": round(pct(lat, 99) * 1000, 2),
        "rps": round(len(lat) / total_s, 1),
    }


def api_env(nats_url: str, base: Path, port: int, cache: bool) -> dict[str, str]:
    return {
        "CONTROL_NATS_URL": nats_url,
        "CONTROL_TOKEN_HS256_SECRET_FILE": str(write_secret(base)),
        "CONTROL_DATA_DIR": str(base / f"data-{port}"),
        "CONTROL_PORT": str(port),
        "CONTROL_SWARM_MODE": "engine",
        "CONTROL_SWARM_DISCOVERY": "false",
        "CONTROL_SWARM_CACHE": "true" if cache else "false",
    }


async def all_listed(url: str, headers: dict[str, str], total: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
        while time.monotonic() < deadline:
            r = await http.get(PATH)
            if r.status_code == 200 and len(r.json()["items"]) == total:
                return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url}{PATH} did not list the {total} services")


async def change_delays(url: str, headers: dict[str, str], name: str) -> dict[str, object]:
    """docker CLI change → visible through the cached API, CHANGES times."""
    after_return: list[float] = []
    after_start: list[float] = []
    seen_version = -1
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
        for i in range(CHANGES):
            replicas: int | None = None
            if i % 2 == 0:
                replicas = 2 if i % 4 == 0 else 1
                args = ["--replicas", str(replicas)]
            else:
                args = ["--env-add", f"BENCH_PROBE={i}"]
            started = time.perf_counter()
            cli = await asyncio.create_subprocess_exec(
                "docker", "service", "update", "-d", "-q", *args, name,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            _, err = await cli.communicate()
            if cli.returncode != 0:
                raise RuntimeError(f"docker service update failed: {err.decode()[:300]}")
            returned = time.perf_counter()
            while True:
                body = (await http.get(f"{PATH}/{name}")).json()
                if replicas is not None and body["replicas_desired"] == replicas:
                    break
                if replicas is None and body["spec_version"] > seen_version:
                    break
                if time.perf_counter() - returned > 30:
                    raise RuntimeError(f"change {i} not visible after 30 s")
                await asyncio.sleep(0.002)
            seen_version = body["spec_version"]
            now = time.perf_counter()
            after_return.append(now - returned)
            after_start.append(now - started)
    return {
        "changes": CHANGES,
        "p50_ms": round(pct(after_return, 50) * 1000, 1),
        "max_ms": round(max(after_return) * 1000, 1),
        "from_cli_start_p50_ms": round(pct(after_start, 50) * 1000, 1),
        "from_cli_start_max_ms": round(max(after_start) * 1000, 1),
    }


async def bench(n: int, services: int) -> dict[str, object]:
    docker = aiodocker.Docker()
    why = await swarm_manager(docker)
    if why is not None:
        await docker.close()
        return {"name": NAME, "skipped": why}
    run = uuid.uuid4().hex[:6]
    created: list[str] = []
    names: list[str] = []
    results: dict[str, object] = {}
    try:
        for i in range(services):
            names.append(f"{PREFIX}{run}-{i:02d}")
            svc = await docker.services.create(
                task_template={"ContainerSpec": {"Image": IMAGE}},
                name=names[-1],
                labels={"cloudlysis.kind": "runner", "com.docker.stack.namespace": "cstest"},
                mode={"Replicated": {"Replicas": 1 if i % 10 == 0 else 0}},
            )
            created.append(svc["ID"])
        total = len(await docker.services.list())
        with tempfile.TemporaryDirectory() as tmp:
            base = Path(tmp)
            nats = EmbeddedNatsServer(base / "nats")
            await nats.start()
            apis: dict[str, tuple[str, BaseProcess]] = {}
            try:
                for label, cache in (("api", True), ("api_nocache", False)):
                    port = free_port()
                    apis[label] = (
                        f"http://127.0.0.1:{port}",
                        start_api(api_env(nats.url, base, port, cache), port),
                    )
                headers = {"authorization": f"Bearer {token()}"}
                for url, _ in apis.values():
                    await wait_ready(url)
                    await all_listed(url, headers, total)

                async def raw() -> object:
                    return await docker.services.list()

                for concurrency in (1, 8):
                    await timed(raw, 30, concurrency)  # warm-up
                    lat, took = await timed(raw, n, concurrency)
                    results[f"raw_c{concurrency}"] = summary(lat, took)
                    for label, (url, _) in apis.items():
                        await socket_load(url, [PATH] * 30, concurrency, headers)  # warm-up
                        lat, took = await socket_load(url, [PATH] * n, concurrency, headers)
                        results[f"{label}_c{concurrency}"] = summary(lat, took)
                results["change_visible"] = await change_delays(apis["api"][0], headers, names[1])
            finally:
                for _, proc in apis.values():
                    stop_api(proc)
                await nats.stop()
    finally:
        for ident in created:
            try:
                await docker.services.delete(ident)
            except aiodocker.DockerError:
                print(f"could not remove service {ident}", file=sys.stderr)
        await docker.close()
    api_p99 = results["api_c1"]["p99_ms"]  # type: ignore[index]
    raw_p99 = results["raw_c1"]["p99_ms"]  # type: ignore[index]
    nocache_p99 = results["api_nocache_c1"]["p99_ms"]  # type: ignore[index]
    return {
        "name": NAME,
        "services": total,
        "requests": n,
        **results,
        "ratio": round(raw_p99 / api_p99, 3),
        "ratio_nocache": round(raw_p99 / nocache_p99, 3),
        "target": 1.0,
        "meets_target": raw_p99 / api_p99 >= 1.0,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--services", type=int, default=50)
    args = parser.parse_args()
    r = asyncio.run(bench(args.requests, args.services))
    if "skipped" in r:
        print(f"swarm services benchmark skipped: {r['skipped']}")
        return 0
    for c in (1, 8):
        for label in ("raw", "api", "api_nocache"):
            key = f"{label}_c{c}"
            print(f"{key:<16} {r[key]}")
    print(f"change → visible in the API: {r['change_visible']}")
    print(
        f"{r['services']} services; raw p99 / api p99 (sequential) = {r['ratio']} "
        f"(without the cache: {r['ratio_nocache']})"
    )
    print("BENCH_RESULT " + json.dumps(r, sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
