"""Helpers shared by the placement, tenants and fleet benchmarks (not a benchmark itself).

The API under test runs in its own process (multiprocessing, spawn) with the real wiring except
rights: a stand-in grants every right, so the benchmark measures placement and HTTP, not IAM.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import sys
import time
from multiprocessing.process import BaseProcess
from pathlib import Path
from urllib.parse import urlencode

import httpx
from joserfc import jwt
from joserfc.jwk import OctKey

from cloudlysis_control.auth.principal import RIGHTS
from cloudlysis_control.auth.rights import SessionRights

SECRET = b"b" * 48


class AllRights:
    """A RightsSource granting every right (benchmarks measure the API, not the Gateway)."""

    async def lookup(self, authorization: str, sub: str, sid: str) -> SessionRights:
        return SessionRights("active", frozenset(RIGHTS))


def write_secret(directory: Path) -> Path:
    path = directory / "hs256.secret"
    path.write_bytes(SECRET)
    return path


def token() -> str:
    now = int(time.time())
    claims = {
        "iss": "cloudlysis-gateway",
        "aud": "cloudlysis-control",
        "sub": "bench",
        "sid": "s-bench",
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
    }
    return jwt.encode({"alg": "HS256"}, claims, OctKey.import_key(SECRET))


def _serve(env: dict[str, str], port: int) -> None:
    import uvicorn

    from cloudlysis_control.bootstrap.app import create_app
    from cloudlysis_control.core.settings import Settings

    app = create_app(Settings.from_env(env), rights_source=AllRights())
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def start_api(env: dict[str, str], port: int) -> BaseProcess:
    full = {
        "CONTROL_LOG_LEVEL": "warning",
        "CONTROL_TRACE_SAMPLE_RATIO": "0",
        **env,
    }
    proc = multiprocessing.get_context("spawn").Process(target=_serve, args=(full, port))
    proc.start()
    return proc


def stop_api(proc: BaseProcess) -> None:
    if proc.is_alive() and proc.pid is not None:
        os.kill(proc.pid, 2)
        proc.join(10)
    if proc.is_alive():
        proc.kill()
        proc.join(5)


async def wait_ready(url: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient() as c:
        while time.monotonic() < deadline:
            try:
                if (await c.get(f"{url}/ready")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not become ready")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


LOADGEN = Path(__file__).resolve().parent / "_loadgen.py"


async def socket_load(
    url: str, paths: list[str], concurrency: int, headers: dict[str, str] | None = None
) -> tuple[list[float], float]:
    """GET every path with `concurrency` keep-alive connections from a separate process (the
    plain-socket load generator in _loadgen.py): (latencies in seconds, elapsed seconds).
    Raises when any answer is not a 200."""
    parsed = httpx.URL(url)
    job = {
        "host": parsed.host,
        "port": parsed.port,
        "headers": headers or {},
        "paths": paths,
        "concurrency": concurrency,
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(LOADGEN),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate(json.dumps(job).encode())
    if proc.returncode != 0:
        raise RuntimeError(f"load generator exited with {proc.returncode}")
    result = json.loads(out)
    bad = {k: v for k, v in result["statuses"].items() if k != "200"}
    if bad:
        raise RuntimeError(f"non-200 answers: {bad}")
    return list(result["latencies"]), float(result["elapsed_s"])


def with_query(path: str, params: dict[str, object]) -> str:
    return f"{path}?{urlencode(params)}" if params else path
