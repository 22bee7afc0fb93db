"""Fleet snapshot of 1,000 simulated instances on loopback at concurrency 64 (issue 4).

The instances run in a separate process, one socket each. `--simulator canned` (default): a
responder serving the bytes a real devfleet Aggregate answered, captured at start
(benchmarks/_canned_fleet.py, ≈ 0.1 ms CPU per request); `--simulator devfleet`: 1,000 real
devfleet instances (Litestar + uvicorn, ≈ 1.7 ms CPU per request — the simulator then dominates on
two cores). In this process the API's own FleetSnapshotService + ProbeClient take the snapshots
(no API server in between); the client's CPU seconds per snapshot are reported too.

Reports the snapshot time (warm: connections may be reused) and its ratio to the ideal
`ceil(1000/64) x single-probe latency`, the single-probe latency being the median of sequential
probes of one idle instance in the same run. Targets: <= 2x ideal and <= 1.5 s absolute.
`ratio` in BENCH_RESULT is ideal/actual (efficiency; target >= 0.5) so run_all's ">=" holds.

    uv run python benchmarks/bench_fleet_snapshot.py [--instances 1000] [--concurrency 64]
        [--simulator canned|devfleet]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from cloudlysis_control.adapters.probe import ProbeClient
from cloudlysis_control.fleet.registry import FleetService, load_fleet_file
from cloudlysis_control.fleet.snapshot import FleetSnapshotService

NAME = "fleet_snapshot"
HERE = Path(__file__).resolve().parent


def _devfleet(n: int, fleet_file: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cloudlysis_devfleet",
            "many",
            "--aggregate",
            str(n),
            "--fleet-file",
            str(fleet_file),
        ],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    for _ in range(n):
        if not proc.stdout.readline():
            raise RuntimeError("devfleet exited early")
    return proc


def _canned(n: int, tmp: Path) -> tuple[subprocess.Popen[str], list[FleetService]]:
    """Capture one real devfleet instance's /metrics, then serve it from n canned listeners."""
    one = _devfleet(1, tmp / "one.json")
    try:
        url = load_fleet_file(tmp / "one.json")[0].url
        for _ in range(3):  # as in a warm fleet: per-route HTTP histograms exist (≈ 100 lines)
            for path in ("/health", "/ready", "/metrics"):
                with urllib.request.urlopen(f"{url}{path}", timeout=10) as r:  # noqa: S310
                    r.read()
        with urllib.request.urlopen(f"{url}/metrics", timeout=10) as r:  # noqa: S310 - loopback
            (tmp / "metrics.txt").write_bytes(r.read())
    finally:
        one.terminate()
        one.wait(20)
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "_canned_fleet.py"), str(n), str(tmp / "metrics.txt")],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    urls = json.loads(proc.stdout.readline() or "[]")
    if len(urls) != n:
        raise RuntimeError("canned fleet did not start")
    fleet = [
        FleetService(name=f"aggregate-{i + 1}", kind="aggregate", url=u) for i, u in enumerate(urls)
    ]
    return proc, fleet


async def bench(instances: int, concurrency: int, rounds: int, simulator: str) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        if simulator == "canned":
            proc, fleet = _canned(instances, tmp)
        else:
            proc = _devfleet(instances, tmp / "fleet.json")
            fleet = load_fleet_file(tmp / "fleet.json")
        try:
            timeout_s = 10.0  # generous: measure throughput, not timeouts, on a busy machine
            probe = ProbeClient(None, timeout_s)  # as the runtime builds it
            service = FleetSnapshotService(
                fleet, probe, concurrency=concurrency, timeout_s=timeout_s, max_age_s=60
            )
            try:
                one = fleet[0].url
                for _ in range(20):
                    await probe.probe(one)
                singles = []
                for _ in range(100):
                    started = time.perf_counter()
                    await probe.probe(one)
                    singles.append(time.perf_counter() - started)
                single = statistics.median(singles)
                started = time.perf_counter()
                cold = await service.refresh()
                cold_s = time.perf_counter() - started
                times, cpu = [], []
                for _ in range(rounds):
                    started, cpu_started = time.perf_counter(), time.process_time()
                    snap = await service.refresh()
                    times.append(time.perf_counter() - started)
                    cpu.append(time.process_time() - cpu_started)
                    if snap.summary.healthy != instances:
                        errs = [i.error for i in snap.instances if i.error][:3]
                        print(f"  {instances - snap.summary.healthy} unhealthy: {errs}")
                assert cold.summary.instances == instances
            finally:
                await probe.aclose()
        finally:
            proc.terminate()
            proc.wait(20)
    warm = statistics.median(times)
    ideal = math.ceil(instances / concurrency) * single
    return {
        "name": NAME,
        "instances": instances,
        "concurrency": concurrency,
        "single_probe_ms": round(single * 1000, 2),
        "ideal_ms": round(ideal * 1000, 1),
        "snapshot_cold_ms": round(cold_s * 1000, 1),
        "snapshot_warm_median_ms": round(warm * 1000, 1),
        "snapshot_warm_min_ms": round(min(times) * 1000, 1),
        "slowdown_vs_ideal": round(warm / ideal, 2),
        "client_cpu_s_per_snapshot": round(statistics.median(cpu), 3),
        "simulator": simulator,
        "ratio": round(ideal / warm, 3),
        "target": 0.5,
        "meets_target": warm / ideal <= 2.0 and warm <= 1.5,
        "absolute_target_ms": 1500,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--simulator", choices=["canned", "devfleet"], default="canned")
    args = parser.parse_args()
    result = asyncio.run(bench(args.instances, args.concurrency, args.rounds, args.simulator))
    print(
        f"snapshot of {result['instances']} instances at concurrency {result['concurrency']}: "
        f"warm median {result['snapshot_warm_median_ms']} ms (cold {result['snapshot_cold_ms']} "
        f"ms); single probe {result['single_probe_ms']} ms; ideal {result['ideal_ms']} ms; "
        f"{result['slowdown_vs_ideal']}x ideal (target <= 2x, <= 1500 ms); client CPU "
        f"{result['client_cpu_s_per_snapshot']} s per snapshot ({result['simulator']} simulator)"
    )
    print("BENCH_RESULT " + json.dumps(result, sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
