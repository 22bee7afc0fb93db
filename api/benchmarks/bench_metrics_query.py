"""A 1-hour chart through the API vs the same query sent straight to VictoriaMetrics.

A real VictoriaMetrics (Debian's `victoria-metrics`) is loaded with one hour of the recorded
series the Overview's request-rate chart reads (`service:http_requests:rate5m` for 4 services x 3
instances x 2 versions, one sample per 15 s). The API runs in its own process with
CONTROL_METRICS_URL pointing at it, twice: as configured by default (identical chart questions
within a step share one answer from the store) and with CONTROL_METRICS_CACHE_S=0 (every request
goes to the store). The load generator is another process (plain sockets). In the same run it
sends `GET /admin/v1/metrics/request_rate_by_service?range=3600&step=15` to both APIs and the
exact PromQL the API renders for it to VictoriaMetrics' `/api/v1/query_range`.
ratio = direct p99 / API p99 (default configuration); target >= 0.7. The uncached ratio is
reported beside it: the API's own cost (auth, validation, one more hop, re-encoding).

    uv run python benchmarks/bench_metrics_query.py [--requests 600] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
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
from cloudlysis_control.metrics.catalogue import CATALOGUE, render

NAME = "metrics_query_1h"
TARGET = 0.7
STEP = 15


def start_vm(base: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("victoria-metrics")
    if binary is None:
        raise SystemExit("victoria-metrics not on PATH: scripts/install-obs-tools.sh installs it")
    port = free_port()
    proc = subprocess.Popen(
        [
            binary,
            f"-storageDataPath={base / 'vm'}",
            f"-httpListenAddr=127.0.0.1:{port}",
            "-retentionPeriod=100y",
            "-search.latencyOffset=0s",
            "-loggerLevel=ERROR",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return proc, f"http://127.0.0.1:{port}"


def load_hour(vm: str, now: int) -> int:
    lines = []
    for service in ("gateway", "aggregate", "projection", "runner"):
        for version in ("1.4.2", "1.5.0"):
            for instance in range(3):
                labels = f'service="{service}",version="{version}",instance="{service}-{instance}"'
                for i, ts in enumerate(range(now - 3600 - 600, now + 1, STEP)):
                    value = 10 + instance + (i % 40) / 4
                    lines.append(f"service:http_requests:rate5m{{{labels}}} {value} {ts * 1000}")
    with httpx.Client(timeout=60) as c:
        c.post(f"{vm}/api/v1/import/prometheus", content="\n".join(lines)).raise_for_status()
        c.get(f"{vm}/internal/force_flush").raise_for_status()
    return len(lines)


async def wait_healthy(url: str) -> None:
    async with httpx.AsyncClient(timeout=1) as c:
        for _ in range(300):
            try:
                if (await c.get(f"{url}/health")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("victoria-metrics did not become healthy")


async def bench(n: int, concurrency: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        vm, vm_url = start_vm(base)
        server = EmbeddedNatsServer(base / "nats")
        api = uncached = None
        try:
            await wait_healthy(vm_url)
            now = int(time.time()) // STEP * STEP
            samples = load_hour(vm_url, now)
            await server.start()
            port, port_uncached = free_port(), free_port()
            env = {
                "CONTROL_NATS_URL": server.url,
                "CONTROL_TOKEN_HS256_SECRET_FILE": str(write_secret(base)),
                "CONTROL_METRICS_URL": vm_url,
            }
            api = start_api(
                {**env, "CONTROL_DATA_DIR": str(base / "a"), "CONTROL_PORT": str(port)}, port
            )
            uncached = start_api(
                {
                    **env,
                    "CONTROL_DATA_DIR": str(base / "b"),
                    "CONTROL_PORT": str(port_uncached),
                    "CONTROL_METRICS_CACHE_S": "0",
                },
                port_uncached,
            )
            url, url_uncached = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port_uncached}"
            await wait_ready(url)
            await wait_ready(url_uncached)
            headers = {"authorization": f"Bearer {token()}"}
            through_api = with_query(
                "/admin/v1/metrics/request_rate_by_service",
                {"range": 3600, "step": STEP, "kind": "gateway"},
            )
            async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
                answer = (await http.get(through_api)).json()
            points = sum(len(s["points"]) for s in answer["series"])
            if points == 0:
                raise RuntimeError(f"the API's answer has no points: {answer}")
            # The very query and window the API sends (its clock decides the end: a fixed end
            # within the loaded hour keeps both sides on the same data).
            expr = render(CATALOGUE["request_rate_by_service"], STEP, {"kind": "gateway"})
            direct = with_query(
                "/api/v1/query_range",
                {"query": expr, "start": now - 3600, "end": now, "step": STEP},
            )
            await socket_load(url, [through_api] * 50, concurrency, headers)  # warm-up
            await socket_load(url_uncached, [through_api] * 50, concurrency, headers)
            await socket_load(vm_url, [direct] * 50, concurrency)
            api_lat, api_s = await socket_load(url, [through_api] * n, concurrency, headers)
            raw_lat, raw_s = await socket_load(
                url_uncached, [through_api] * n, concurrency, headers
            )
            vm_lat, vm_s = await socket_load(vm_url, [direct] * n, concurrency)
        finally:
            for proc in (api, uncached):
                if proc is not None:
                    stop_api(proc)
            await server.stop()
            vm.terminate()
            vm.wait(10)
    api_p99, vm_p99 = pct(api_lat, 99), pct(vm_lat, 99)
    return {
        "name": NAME,
        "samples_loaded": samples,
        "points_per_answer": points,
        "requests": n,
        "concurrency": concurrency,
        "api_p50_ms": round(pct(api_lat, 50) * 1000, 2),
        "api_p99_ms": round(api_p99 * 1000, 2),
        "api_rps": round(n / api_s, 1),
        "uncached_p50_ms": round(pct(raw_lat, 50) * 1000, 2),
        "uncached_p99_ms": round(pct(raw_lat, 99) * 1000, 2),
        "uncached_rps": round(n / raw_s, 1),
        "uncached_ratio": round(vm_p99 / pct(raw_lat, 99), 3),
        "direct_p50_ms": round(pct(vm_lat, 50) * 1000, 2),
        "direct_p99_ms": round(vm_p99 * 1000, 2),
        "direct_rps": round(n / vm_s, 1),
        "ratio": round(vm_p99 / api_p99, 3),
        "target": TARGET,
        "meets_target": vm_p99 / api_p99 >= TARGET,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    r = asyncio.run(bench(args.requests, args.concurrency))
    print(
        f"1-hour chart ({r['points_per_answer']} points), concurrency {r['concurrency']}: "
        f"through the API p50 {r['api_p50_ms']} ms, p99 {r['api_p99_ms']} ms, "
        f"{r['api_rps']} req/s (cache off: p50 {r['uncached_p50_ms']} ms, "
        f"p99 {r['uncached_p99_ms']} ms, {r['uncached_rps']} req/s, ratio "
        f"{r['uncached_ratio']}); straight to VictoriaMetrics p50 {r['direct_p50_ms']} ms, "
        f"p99 {r['direct_p99_ms']} ms, {r['direct_rps']} req/s; p99 ratio {r['ratio']} "
        f"(target >= {TARGET})"
    )
    print("BENCH_RESULT " + json.dumps(r, sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
