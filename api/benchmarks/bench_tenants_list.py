"""GET /admin/v1/tenants at 1,000 / 10,000 / 50,000 tenants: p50/p99 under concurrent load.

The API runs in its own process with the dev file source holding N tenants over the three maps.
The load generator is another process (benchmarks/_loadgen.py: plain sockets, keep-alive
connections), so the client's own queueing is not measured (an in-process httpx client put
160-840 ms of its own wait into the tail). The mix: first pages, pages at random cursors, prefix
searches and substring searches (a search's matches are computed once per index and search,
then paged). `GET /health` is measured the same way in the same run as the baseline. Target:
p99 < 50 ms at 50,000 tenants with search.

    uv run python benchmarks/bench_tenants_list.py [--requests 2000] [--concurrency 8]
        [--sizes 1000,10000,50000]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import random
import sys
import tempfile
from pathlib import Path

from _bench_support import (
    pct,
    socket_load,
    start_api,
    stop_api,
    token,
    wait_ready,
    with_query,
    write_secret,
)

from cloudlysis_control.adapters.nats.server import EmbeddedNatsServer, free_port

NAME = "tenants_list"
SIZES = (1_000, 10_000, 50_000)
TARGET_P99_MS = 50.0


def dev_file(path: Path, size: int) -> list[str]:
    tenants = [f"tenant-{i:05d}" for i in range(size)]
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


def mix(tenants: list[str], n: int) -> list[str]:
    rng = random.Random(4)
    out = []
    for i in range(n):
        kind = i % 4
        if kind == 0:
            params: dict[str, object] = {"limit": 100}
        elif kind == 1:
            params = {"limit": 100, "cursor": cursor(rng.choice(tenants))}
        elif kind == 2:
            params = {"q": f"tenant-0{rng.randrange(100):02d}"}
        else:
            params = {"q": f"{rng.randrange(1000):03d}", "match": "substring"}
        out.append(with_query("/admin/v1/tenants", params))
    return out


async def bench_size(size: int, n: int, concurrency: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        tenants = dev_file(base / "dev.json", size)
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
            requests = mix(tenants, n)
            await socket_load(url, requests[:300], concurrency, headers)  # warm-up
            health, health_s = await socket_load(url, ["/health"] * n, concurrency, headers)
            lat, total_s = await socket_load(url, requests, concurrency, headers)
        finally:
            stop_api(api)
            await server.stop()
    p99, health_p99 = pct(lat, 99), pct(health, 99)
    return {
        "tenants": size,
        "p50_ms": round(pct(lat, 50) * 1000, 2),
        "p99_ms": round(p99 * 1000, 2),
        "rps": round(n / total_s, 1),
        "health_p50_ms": round(pct(health, 50) * 1000, 2),
        "health_p99_ms": round(health_p99 * 1000, 2),
        "health_rps": round(n / health_s, 1),
        "ratio": round(health_p99 / p99, 3),
    }


async def bench(sizes: list[int], n: int, concurrency: int) -> dict[str, object]:
    curve = [await bench_size(size, n, concurrency) for size in sizes]
    largest = curve[-1]
    return {
        "name": NAME,
        "requests": n,
        "concurrency": concurrency,
        "curve": curve,
        "p99_ms_at_largest": largest["p99_ms"],
        "ratio": largest["ratio"],
        "target": f"p99 < {TARGET_P99_MS:g} ms at {largest['tenants']} tenants",
        "meets_target": float(largest["p99_ms"]) < TARGET_P99_MS,  # type: ignore[arg-type]
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    args = parser.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    r = asyncio.run(bench(sizes, args.requests, args.concurrency))
    for point in r["curve"]:  # type: ignore[attr-defined]
        print(
            f"tenants list, {point['tenants']:>6} tenants, concurrency {r['concurrency']}: "
            f"p50 {point['p50_ms']} ms, p99 {point['p99_ms']} ms, {point['rps']} req/s "
            f"(GET /health in the same run: p50 {point['health_p50_ms']} ms, "
            f"p99 {point['health_p99_ms']} ms, {point['health_rps']} req/s; "
            f"p99 ratio {point['ratio']})"
        )
    print("BENCH_RESULT " + json.dumps(r, sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
