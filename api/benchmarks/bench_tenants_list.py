"""GET /admin/v1/tenants with 10,000 tenants: p50/p99 under concurrent load (issue 4).

The API runs in its own process with the dev file source holding 10,000 tenants over the three
maps. A load generator in this process (httpx, `--concurrency` workers) mixes first pages, pages
at random cursors, prefix searches and substring searches; `GET /health` is measured the same way
in the same run as the baseline. The answer is built from the tenant index precomputed on each
placement swap, so the list should cost about as much as any small authenticated read.

    uv run python benchmarks/bench_tenants_list.py [--requests 2000] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _bench_support import pct, start_api, stop_api, token, wait_ready, write_secret

from cloudlysis_control.adapters.nats.server import EmbeddedNatsServer, free_port

NAME = "tenants_list_10k"
TENANTS = 10_000


def dev_file(path: Path) -> list[str]:
    tenants = [f"tenant-{i:05d}" for i in range(TENANTS)]
    doc: dict[str, object] = {"schema_version": 1}
    for k, kind in enumerate(("aggregate", "projection", "runner")):
        doc[f"{kind}_placement"] = {
            "schema_version": 1,
            "kind": kind,
            "default_shard": f"{kind}-0",
            "shards": {f"{kind}-{i}": {"endpoints": [f"http://127.0.0.1:1/{i}"]} for i in range(8)},
            "tenants": {t: f"{kind}-{(i + k) % 8}" for i, t in enumerate(tenants) if i % 3 != k},
        }
    path.write_text(json.dumps(doc))
    return tenants


def cursor(tenant: str) -> str:
    return base64.urlsafe_b64encode(tenant.encode()).decode().rstrip("=")


async def load(
    http: httpx.AsyncClient, requests: list[tuple[str, dict[str, object]]], concurrency: int
) -> tuple[list[float], float]:
    queue = list(reversed(requests))
    latencies: list[float] = []

    async def worker() -> None:
        while queue:
            path, params = queue.pop()
            started = time.perf_counter()
            r = await http.get(path, params=params)  # type: ignore[arg-type]
            latencies.append(time.perf_counter() - started)
            if r.status_code != 200:
                raise RuntimeError(f"{path} {params}: {r.status_code} {r.text[:200]}")

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - started


async def bench(n: int, concurrency: int) -> dict[str, object]:
    rng = random.Random(4)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        tenants = dev_file(base / "dev.json")
        server = EmbeddedNatsServer(base / "nats")  # jobs and audit still live in NATS
        await server.start()
        port = free_port()
        api = start_api(
            {
                "CONTROL_NATS_URL": server.url,
                "CONTROL_TOKEN_HS256_SECRET_FILE": str(write_secret(base)),
                "CONTROL_DATA_DIR": str(base / "data"),
                "CONTROL_PORT": str(port),
                "CONTROL_PLACEMENT_SOURCE": "file",
                "CONTROL_PLACEMENT_FILE": str(base / "dev.json"),
            },
            port,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            await wait_ready(url)
            headers = {"authorization": f"Bearer {token()}"}
            limits = httpx.Limits(
                max_connections=concurrency, max_keepalive_connections=concurrency
            )
            async with httpx.AsyncClient(
                base_url=url, headers=headers, timeout=10, limits=limits
            ) as http:
                first = (await http.get("/admin/v1/tenants", params={"limit": 1})).json()
                assert first["total"] == TENANTS, first["total"]
                mix: list[tuple[str, dict[str, object]]] = []
                for i in range(n):
                    kind = i % 4
                    if kind == 0:
                        mix.append(("/admin/v1/tenants", {"limit": 100}))
                    elif kind == 1:
                        mix.append(
                            (
                                "/admin/v1/tenants",
                                {"limit": 100, "cursor": cursor(rng.choice(tenants))},
                            )
                        )
                    elif kind == 2:
                        mix.append(
                            ("/admin/v1/tenants", {"q": f"tenant-0{rng.randrange(100):02d}"})
                        )
                    else:
                        mix.append(
                            (
                                "/admin/v1/tenants",
                                {"q": f"{rng.randrange(1000):03d}", "match": "substring"},
                            )
                        )
                await load(http, mix[:200], concurrency)  # warm-up
                health, health_s = await load(http, [("/health", {})] * n, concurrency)
                lat, total_s = await load(http, mix, concurrency)
        finally:
            stop_api(api)
            await server.stop()
    p99, health_p99 = pct(lat, 99), pct(health, 99)
    return {
        "name": NAME,
        "tenants": TENANTS,
        "requests": n,
        "concurrency": concurrency,
        "p50_ms": round(pct(lat, 50) * 1000, 2),
        "p99_ms": round(p99 * 1000, 2),
        "rps": round(n / total_s, 1),
        "health_p50_ms": round(pct(health, 50) * 1000, 2),
        "health_p99_ms": round(health_p99 * 1000, 2),
        "health_rps": round(n / health_s, 1),
        "ratio": round(health_p99 / p99, 3),
        "target": 0.2,
        "meets_target": health_p99 / p99 >= 0.2,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    r = asyncio.run(bench(args.requests, args.concurrency))
    print(
        f"tenants list, {r['tenants']} tenants, concurrency {r['concurrency']}: "
        f"p50 {r['p50_ms']} ms, "
        f"p99 {r['p99_ms']} ms, {r['rps']} req/s (GET /health in the same run: p50 "
        f"{r['health_p50_ms']} ms, p99 {r['health_p99_ms']} ms, {r['health_rps']} req/s)"
    )
    print("BENCH_RESULT " + json.dumps(r, sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
