"""Drift for 200 services with 2,000 tasks from recorded Engine API responses, against the raw
Engine API calls that one observation needs, in the same run.

A stand-in Docker engine runs in its own process and answers `GET /services?status=true`,
`/tasks`, `/nodes` with recorded responses (generated here once, in the Engine API's JSON: 200
services of one stack with env and constraints, 10 tasks per service with failed ones in their
history, 5 nodes), plus a desired stack file of 209 services: 199 of them run (1 in 20 with
another image, 1 in 20 with an edited env, 1 in 20 short of a replica, 1 in 20 crash-looping),
10 do not (missing), and one running service is in no file (extra), so every branch of the
classification runs.

* raw: the three Engine API calls through the product's aiodocker adapter (what every drift
  observation cost before the Swarm cache; the baseline);
* drift: `DriftService.compute()` from an observation already in memory (the Swarm cache), with
  first/last seen kept in an in-memory KV: parse the stack file, classify, persist, gauge;
* drift_uncached: the three calls and the computation together.
Ratio = drift p99 / raw p99 (below 1: drift costs less than asking the engine once).

    uv run python benchmarks/bench_drift.py [--iterations 200] [--services 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _bench_support import pct
from aiohttp import web

from cloudlysis_control.adapters.docker.engine import DockerEngine
from cloudlysis_control.adapters.nats.server import free_port
from cloudlysis_control.core.metrics import Metrics
from cloudlysis_control.drift.service import DriftService
from cloudlysis_control.drift.state import DriftState
from cloudlysis_control.ports import KeyExists, KVEntry
from cloudlysis_control.swarm.service import SwarmObservation, SwarmView

NAME = "drift_200x2000"
STACK = "bench"
NOW = time.time()


def _ts(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime(epoch))


def recorded(services: int, tasks_per: int) -> tuple[dict[str, Any], str]:
    """Engine responses and the desired stack file."""
    svc: list[dict[str, Any]] = []
    tasks: list[dict[str, Any]] = []
    nodes = [
        {
            "ID": f"node{n}",
            "Spec": {"Role": "worker" if n else "manager", "Availability": "active", "Labels": {}},
            "Description": {
                "Hostname": f"node-{n}",
                "Engine": {"EngineVersion": "27.0.1"},
                "Resources": {"NanoCPUs": 8_000_000_000, "MemoryBytes": 32 << 30},
            },
            "Status": {"State": "ready", "Addr": f"10.0.0.{n + 1}"},
        }
        for n in range(5)
    ]
    lines = ["services:"]
    for i in range(services - 1 + 10):  # the last 10 are desired but missing
        name = f"svc{i:03d}"
        image = f"registry.example/{name}:1.{i % 7}.0"
        env = ["LOG_LEVEL=info", f"SHARD={i % 16}", f"REGION=eu-{i % 3}"]
        observed_env = list(env)
        observed_image = image
        replicas = 1 + i % 3
        if i % 20 == 1:
            observed_image = f"registry.example/{name}:9.9.9"  # version
        if i % 20 == 2:
            observed_env[0] = "LOG_LEVEL=debug"  # config (env)
        if i < services - 1:
            sid = f"sid{i:03d}"
            svc.append(
                {
                    "ID": sid,
                    "Version": {"Index": 100 + i},
                    "Spec": {
                        "Name": f"{STACK}_{name}",
                        "Labels": {"com.docker.stack.namespace": STACK},
                        "TaskTemplate": {
                            "ContainerSpec": {"Image": observed_image, "Env": observed_env},
                            "Placement": {"Constraints": ["node.role == worker"]},
                        },
                        "Mode": {"Replicated": {"Replicas": replicas}},
                    },
                    "ServiceStatus": {"RunningTasks": replicas, "DesiredTasks": replicas},
                }
            )
            for t in range(tasks_per):
                running = t < replicas and not (i % 20 == 4 and t == 0)  # unhealthy
                tasks.append(
                    {
                        "ID": f"t{i:03d}{t:02d}",
                        "ServiceID": sid,
                        "Slot": t % replicas + 1,
                        "NodeID": f"node{1 + (i + t) % 4}",
                        "DesiredState": "running" if running else "shutdown",
                        "Status": {
                            "State": "running" if running else "failed",
                            "Err": None if running else "task: non-zero exit (1)",
                            "Timestamp": _ts(NOW - (30 if i % 20 == 5 else 7200) - t),
                        },
                    }
                )
        lines += [
            f"  {name}:",
            f"    image: {image}",
            "    environment: [" + ", ".join(f'"{e}"' for e in env) + "]",
            "    deploy:",
            f"      replicas: {replicas}",
            '      placement: {constraints: ["node.role == worker"]}',
        ]
    svc.append(
        {
            "ID": "orphan",
            "Version": {"Index": 1},
            "Spec": {
                "Name": f"{STACK}_orphan",
                "Labels": {"com.docker.stack.namespace": STACK},
                "TaskTemplate": {"ContainerSpec": {"Image": "busybox:1"}},
                "Mode": {"Replicated": {"Replicas": 1}},
            },
        }
    )
    tasks += [
        {
            "ID": f"orphan{t}",
            "ServiceID": "orphan",
            "Slot": 1,
            "NodeID": "node1",
            "DesiredState": "running" if t == 0 else "shutdown",
            "Status": {"State": "running" if t == 0 else "complete", "Timestamp": _ts(NOW - 9000)},
        }
        for t in range(tasks_per)
    ]
    return {"services": svc, "tasks": tasks, "nodes": nodes}, "\n".join(lines) + "\n"


def _engine(port: int, recorded_path: str) -> None:
    """The stand-in engine (its own process): the recorded answers, as bytes ready to send."""
    doc = json.loads(Path(recorded_path).read_text())
    bodies = {k: json.dumps(v).encode() for k, v in doc.items()}
    bodies["version"] = json.dumps({"ApiVersion": "1.43", "Version": "24.0.0"}).encode()

    async def answer(request: web.Request) -> web.Response:
        key = request.path.strip("/").split("/")[-1]
        if key not in bodies:
            return web.json_response({"message": f"not recorded: {request.path}"}, status=404)
        return web.Response(body=bodies[key], content_type="application/json")

    app = web.Application()
    app.router.add_get("/{path:.*}", answer)  # any API version prefix
    web.run_app(app, host="127.0.0.1", port=port, print=None, handle_signals=True)


class _MemoryKV:
    def __init__(self) -> None:
        self.data: dict[str, tuple[bytes, int]] = {}
        self.rev = 0

    async def get(self, key: str) -> KVEntry | None:
        v = self.data.get(key)
        return KVEntry(key, v[0], v[1]) if v else None

    async def create(self, key: str, value: bytes) -> int:
        if key in self.data:
            raise KeyExists(key)
        return await self.put(key, value)

    async def update(self, key: str, value: bytes, revision: int) -> int:
        return await self.put(key, value)

    async def put(self, key: str, value: bytes) -> int:
        self.rev += 1
        self.data[key] = (value, self.rev)
        return self.rev

    async def delete(self, key: str, revision: int | None = None) -> None:
        self.data.pop(key, None)

    async def keys(self) -> list[str]:
        return list(self.data)


class _Cached(SwarmView):
    """An observation already in memory, as the Swarm cache holds it."""

    def __init__(self, observation: SwarmObservation) -> None:
        super().__init__(None)
        self.observation = observation

    async def observe(self) -> SwarmObservation:
        return self.observation


async def run(iterations: int, services: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        doc, stack = recorded(services, 10)
        path = Path(tmp) / "recorded.json"
        path.write_text(json.dumps(doc))
        stacks = Path(tmp) / "stacks"
        stacks.mkdir()
        (stacks / f"{STACK}.yml").write_text(stack)
        port = free_port()
        proc = multiprocessing.get_context("spawn").Process(
            target=_engine, args=(port, str(path)), daemon=True
        )
        proc.start()
        engine = DockerEngine(f"http://127.0.0.1:{port}", None)
        try:
            for _ in range(100):
                try:
                    await engine.services()
                    break
                except Exception:
                    await asyncio.sleep(0.1)
            raw: list[float] = []
            drift_ms: list[float] = []
            uncached: list[float] = []
            observation = SwarmObservation(
                "engine", doc["services"], doc["tasks"], doc["nodes"], time.time()
            )
            cached = DriftService(
                _Cached(observation),
                DriftState(_MemoryKV()),
                Metrics(),
                stacks_dir=stacks,  # type: ignore[arg-type]
            )
            direct = DriftService(
                SwarmView(engine), DriftState(_MemoryKV()), Metrics(), stacks_dir=stacks
            )
            first = await cached.compute()
            for _ in range(10):  # warm up
                await engine.services(), await engine.tasks(), await engine.nodes()
                await cached.compute()
            for _ in range(iterations):
                t0 = time.perf_counter()
                await asyncio.gather(engine.services(), engine.tasks(), engine.nodes())
                raw.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                await cached.compute()
                drift_ms.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                await direct.compute()
                uncached.append((time.perf_counter() - t0) * 1000)
        finally:
            await engine.close()
            proc.terminate()
            proc.join(5)
    counts: dict[str, int] = {}
    for i in first.items:
        counts[i.category] = counts.get(i.category, 0) + 1
    return {
        "name": NAME,
        "services": len(doc["services"]),
        "tasks": len(doc["tasks"]),
        "items": len(first.items),
        "items_by_category": counts,
        "iterations": iterations,
        "raw_p50_ms": round(pct(raw, 50), 2),
        "raw_p99_ms": round(pct(raw, 99), 2),
        "drift_p50_ms": round(pct(drift_ms, 50), 2),
        "drift_p99_ms": round(pct(drift_ms, 99), 2),
        "drift_uncached_p50_ms": round(pct(uncached, 50), 2),
        "drift_uncached_p99_ms": round(pct(uncached, 99), 2),
        "ratio": round(pct(drift_ms, 99) / pct(raw, 99), 2),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--iterations", type=int, default=200)
    ap.add_argument("--services", type=int, default=200)
    args = ap.parse_args()
    r = asyncio.run(run(args.iterations, args.services))
    print(
        f"{NAME}: {r['services']} services, {r['tasks']} tasks, {r['items']} items "
        f"{r['items_by_category']}; raw engine calls p50 {r['raw_p50_ms']} ms p99 "
        f"{r['raw_p99_ms']} ms; drift (cached observation) p50 {r['drift_p50_ms']} ms p99 "
        f"{r['drift_p99_ms']} ms; drift with the engine calls p50 {r['drift_uncached_p50_ms']} "
        f"ms p99 {r['drift_uncached_p99_ms']} ms; ratio drift p99 / raw p99 {r['ratio']}"
    )
    print("BENCH_RESULT " + json.dumps(r, sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
