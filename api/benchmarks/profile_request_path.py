"""cProfile of the API under load, one endpoint per server process (docs/performance.md,
"Issue 19 — request path"). Not a benchmark: the profiler slows everything down; what it shows is
where the time of one request goes, as a share of the server process's time.

For each of `GET /health` and the authenticated `GET /admin/v1/whoami`: starts a real nats-server,
the devfleet Gateway and `python -m cProfile -m cloudlysis_control serve` (CONTROL_SERVER=uvicorn,
1 worker, log level info), loads it for DURATION s from a client in its own process, stops it
(SIGINT: the profile is written on the way out) and prints the top entries by own time and by
cumulative time.

    uv run python benchmarks/profile_request_path.py [--duration 10] [--top 25] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import pstats
import shutil
import sys
import tempfile
from pathlib import Path

import httpx
from bench_whoami import run_python_load, spawn, spawn_gateway, stop, wait_http

from cloudlysis_control.adapters.nats.server import EmbeddedNatsServer, free_port


def profile(duration_s: int, top: int, connections: int, keep: Path | None = None) -> str:
    out = io.StringIO()
    with tempfile.TemporaryDirectory(prefix="profile-request-path-") as tmp:
        base = Path(tmp)
        nats = EmbeddedNatsServer(base / "nats")
        asyncio.run(nats.start())
        gateway = None
        try:
            env = {k: v for k, v in os.environ.items() if not k.startswith("CONTROL_")}
            gateway_port = free_port()
            gateway_url = f"http://127.0.0.1:{gateway_port}"
            gateway = spawn_gateway(gateway_port, base, env, base / "gateway.log")
            wait_http(f"{gateway_url}/ready", 30, gateway, base / "gateway.log")
            login = httpx.post(
                f"{gateway_url}/auth/v1/dev-login", json={"principal": "admin"}, timeout=10
            )
            auth = {"authorization": f"Bearer {login.json()['access_token']}"}
            for name, path, headers in (
                ("health", "/health", {}),
                ("whoami", "/admin/v1/whoami", auth),
            ):
                port = free_port()
                prof = base / f"{name}.prof"
                log = base / f"api-{name}.log"
                api = spawn(
                    [
                        sys.executable,
                        "-m",
                        "cProfile",
                        "-o",
                        str(prof),
                        "-m",
                        "cloudlysis_control",
                        "serve",
                    ],
                    {
                        **env,
                        "CONTROL_HOST": "127.0.0.1",
                        "CONTROL_PORT": str(port),
                        "CONTROL_NATS_URL": nats.url,
                        "CONTROL_DATA_DIR": str(base / f"data-{name}"),
                        "CONTROL_JWKS_URL": f"{gateway_url}/.well-known/jwks.json",
                        "CONTROL_GATEWAY_URL": gateway_url,
                        "CONTROL_LOG_LEVEL": "info",
                        # cProfile sees the process it runs: uvicorn serves in that process,
                        # granian in a worker process of its own.
                        "CONTROL_SERVER": "uvicorn",
                    },
                    log,
                )
                try:
                    url = f"http://127.0.0.1:{port}"
                    wait_http(f"{url}/ready", 60, api, log)
                    result = run_python_load(url + path, headers, duration_s, connections, base)
                finally:
                    stop(api)
                if keep is not None:
                    keep.mkdir(parents=True, exist_ok=True)
                    shutil.copy(prof, keep / prof.name)
                stats = pstats.Stats(str(prof), stream=out)
                total = sum(v[2] for v in stats.stats.values())  # type: ignore[attr-defined]
                out.write(
                    f"\n=== GET {path}: {result.requests} requests under cProfile "
                    f"({result.rps:.0f} req/s), {total:.2f} s profiled own time ===\n"
                )
                stats.sort_stats("tottime").print_stats(top)
                stats.sort_stats("cumulative").print_stats(top)
        finally:
            stop(gateway)
            asyncio.run(nats.stop())
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--keep", type=Path, help="copy the .prof files into this directory")
    args = parser.parse_args()
    print(profile(args.duration, args.top, args.connections, args.keep))
    return 0


if __name__ == "__main__":
    sys.exit(main())
