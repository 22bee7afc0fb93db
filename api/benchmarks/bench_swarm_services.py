"""GET /admin/v1/swarm/services vs a raw aiodocker services list, 50 services in a real swarm.

Needs a Docker engine that is a swarm manager (the same one CONTROL_TEST_DOCKER=1 tests use);
without one it prints why and exits 0, so `just bench` stays usable anywhere. It creates 50
services `cstest-bench-NN` (replicas 0: nothing runs), starts the API in its own process with
CONTROL_SWARM_MODE=engine, and measures in the same run, sequentially then with 8 concurrent
clients:
- raw: `aiodocker.Docker().services.list()` (one Engine API call, no tasks, no nodes);
- raw3: services + tasks + nodes gathered (the three calls the endpoint makes);
- api: the authenticated endpoint (those three calls, normalisation, msgspec, HTTP).
The services are removed afterwards, whatever happens.

    uv run python benchmarks/bench_swarm_services.py [--requests 300] [--services 50]
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
from pathlib import Path

import aiodocker
import httpx
from _bench_support import pct, start_api, stop_api, token, wait_ready, write_secret

from cloudlysis_control.adapters.nats.server import EmbeddedNatsServer, free_port

NAME = "swarm_services_50"
PREFIX = "cstest-bench-"


async def swarm_manager(docker: aiodocker.Docker) -> str | None:
    """None when usable, else why not."""
    try:
        info = await docker._query_json("info")
    except Exception as e:  # any failure means "no engine here"
        return f"no Docker engine ({type(e).__name__})"
    swarm = info.get("Swarm") or {}
    if swarm.get("LocalNodeState") != "active" or not swarm.get("ControlAvailable"):
        return "the Docker engine is not a swarm manager"
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


async def bench(n: int, services: int) -> dict[str, object]:
    docker = aiodocker.Docker()
    why = await swarm_manager(docker)
    if why is not None:
        await docker.close()
        return {"name": NAME, "skipped": why}
    run = uuid.uuid4().hex[:6]
    created: list[str] = []
    try:
        for i in range(services):
            svc = await docker.services.create(
                task_template={"ContainerSpec": {"Image": "cstest/app:v1"}},
                name=f"{PREFIX}{run}-{i:02d}",
                labels={"cloudlysis.kind": "runner", "com.docker.stack.namespace": "cstest"},
                mode={"Replicated": {"Replicas": 0}},
            )
            created.append(svc["ID"])
        total = len(await docker.services.list())
        with tempfile.TemporaryDirectory() as tmp:
            base = Path(tmp)
            nats = EmbeddedNatsServer(base / "nats")
            await nats.start()
            port = free_port()
            api = start_api(
                {
                    "CONTROL_NATS_URL": nats.url,
                    "CONTROL_TOKEN_HS256_SECRET_FILE": str(write_secret(base)),
                    "CONTROL_DATA_DIR": str(base / "data"),
                    "CONTROL_PORT": str(port),
                    "CONTROL_SWARM_MODE": "engine",
                    "CONTROL_SWARM_DISCOVERY": "false",
                },
                port,
            )
            url = f"http://127.0.0.1:{port}"
            results: dict[str, object] = {}
            try:
                await wait_ready(url)
                headers = {"authorization": f"Bearer {token()}"}
                async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:

                    async def api_call() -> object:
                        r = await http.get("/admin/v1/swarm/services")
                        if r.status_code != 200:
                            raise RuntimeError(f"{r.status_code} {r.text[:200]}")
                        return r

                    async def raw() -> object:
                        return await docker.services.list()

                    async def raw3() -> object:
                        return await asyncio.gather(
                            docker.services.list(), docker.tasks.list(), docker.nodes.list()
                        )

                    body = (await http.get("/admin/v1/swarm/services")).json()
                    assert len(body["items"]) == total, (len(body["items"]), total)
                    for concurrency in (1, 8):
                        await timed(api_call, 30, concurrency)  # warm-up
                        await timed(raw, 30, concurrency)
                        for label, call in (("raw", raw), ("raw3", raw3), ("api", api_call)):
                            lat, took = await timed(call, n, concurrency)
                            results[f"{label}_c{concurrency}"] = summary(lat, took)
            finally:
                stop_api(api)
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
    return {
        "name": NAME,
        "services": total,
        "requests": n,
        **results,
        "ratio": round(raw_p99 / api_p99, 3),
        "target": 0.1,
        "meets_target": raw_p99 / api_p99 >= 0.1,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--services", type=int, default=50)
    args = parser.parse_args()
    r = asyncio.run(bench(args.requests, args.services))
    if "skipped" in r:
        print(f"swarm services benchmark skipped: {r['skipped']}")
        return 0
    for key in ("raw_c1", "raw3_c1", "api_c1", "raw_c8", "raw3_c8", "api_c8"):
        print(f"{key:<8} {r[key]}")
    print(f"{r['services']} services; ratio raw p99 / api p99 (sequential) = {r['ratio']}")
    print("BENCH_RESULT " + json.dumps(r, sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
