"""The ASGI servers and worker counts the API runs under keep its guarantees (issue 19).

For each server (CONTROL_SERVER: granian, the default, and uvicorn) with one and with two worker
processes (CONTROL_WORKERS), the real `python -m cloudlysis_control serve` against a real
nats-server and the devfleet Gateway (tokens, rights):
- /health and the authenticated whoami answer; the access log has exactly one line for a
  request (with its request id, route template and status) and none for a quiet probe;
- the live event stream (SSE) streams: the `resync` event first, then a `job` event while the
  jobs created through the server run;
- jobs created through it (spread over the workers by their connections) each complete exactly
  once: one run, terminal;
- graceful shutdown: a request in flight when SIGTERM arrives (its body half sent) still gets
  its answer, the process exits 0 and the lifespan shutdown ran (the `stopped` line, once per
  worker).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cloudlysis_devfleet import GatewayConfig, create_gateway_app, serve

from cloudlysis_control.adapters.nats.server import EmbeddedNatsServer
from tests.support.api_process import tail, wait_ready
from tests.support.net import free_port

pytestmark = pytest.mark.integration
TERMINAL = ("succeeded", "failed", "cancelled", "timed_out")


@pytest.fixture
async def nats_url(tmp_path: Path) -> AsyncIterator[str]:
    """A nats-server of this test's own: the jobs created here (one is left pending by the
    shutdown) must not reach the suite's shared server, where other tests' replicas would run
    them."""
    server = EmbeddedNatsServer(tmp_path / "nats")
    await server.start()
    try:
        yield server.url
    finally:
        await server.stop()


@pytest.fixture
async def gateway_url(tmp_path: Path, nats_url: str) -> AsyncIterator[str]:
    app = create_gateway_app(GatewayConfig(data_dir=tmp_path / "gateway", nats_url=nats_url))
    async with serve(app) as url:
        yield url


def _lines(log: Path) -> list[dict[str, Any]]:
    out = []
    for line in log.read_text().splitlines():
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if isinstance(doc, dict):
            out.append(doc)
    return out


async def _sse_until(lines: AsyncIterator[str], event: str, timeout_s: float) -> list[str]:
    """Read the stream until an `event: <event>` line; return the event names seen."""
    seen: list[str] = []

    async def read() -> None:
        async for line in lines:
            if line.startswith("event: "):
                seen.append(line[len("event: ") :])
                if seen[-1] == event:
                    return

    await asyncio.wait_for(read(), timeout_s)
    return seen


async def _in_flight_post(port: int, path: str, token: str, body: bytes) -> asyncio.Task[bytes]:
    """Send a POST's headers and half its body, and return a task that sends the rest when
    told (by cancelling nothing: it waits for `go`) and reads the whole answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        f"POST {path} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\n"
        f"authorization: Bearer {token}\r\ncontent-type: application/json\r\n"
        f"idempotency-key: {uuid.uuid4().hex}\r\ncontent-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    ).encode()
    half = len(body) // 2
    writer.write(head + body[:half])
    await writer.drain()

    async def finish() -> bytes:
        await asyncio.sleep(1.0)  # the server has had SIGTERM by now
        writer.write(body[half:])
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 20)
        writer.close()
        return answer

    return asyncio.ensure_future(finish())


def _start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "cloudlysis_control", "serve"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("server", ["granian", "uvicorn"])
async def test_the_server_keeps_the_guarantees(
    server: str, workers: int, nats_url: str, gateway_url: str, tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "api.log"
    fleet_file = tmp_path / "fleet.json"
    fleet_file.write_text(json.dumps([{"name": "gateway", "kind": "gateway", "url": gateway_url}]))
    env = {
        **os.environ,
        "CONTROL_SERVER": server,
        "CONTROL_WORKERS": str(workers),
        "CONTROL_NATS_URL": nats_url,
        "CONTROL_HOST": "127.0.0.1",
        "CONTROL_PORT": str(port),
        "CONTROL_DATA_DIR": str(tmp_path / "data"),
        "CONTROL_JWKS_URL": f"{gateway_url}/.well-known/jwks.json",
        "CONTROL_GATEWAY_URL": gateway_url,
        "CONTROL_INSTANCE_ID": f"asgi-{server}-{workers}",
        "CONTROL_LOG_LEVEL": "info",
        "CONTROL_SWARM_MODE": "off",
        "CONTROL_FLEET_FILE": str(fleet_file),
    }
    url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient() as c:
        r = await c.post(f"{gateway_url}/auth/v1/dev-login", json={"principal": "admin"})
        token = r.json()["access_token"]
    auth = {"authorization": f"Bearer {token}"}
    proc = _start(env, log)
    try:
        await wait_ready(url, proc, log)

        # -- answers and the access log ----------------------------------------------------
        request_id = f"asgi-{uuid.uuid4().hex[:12]}"
        for _ in range(20):  # new connections: spread over the workers
            async with httpx.AsyncClient(base_url=url) as c:
                assert (await c.get("/health")).status_code == 200
        async with httpx.AsyncClient(base_url=url) as c:
            r = await c.get("/admin/v1/whoami", headers={**auth, "x-request-id": request_id})
        assert r.status_code == 200 and r.json()["principal_id"] == "admin", r.text
        assert r.headers["x-request-id"] == request_id

        # -- the event stream and jobs created through the workers ------------------------
        async with (
            httpx.AsyncClient(base_url=url, timeout=30) as sse,
            sse.stream("GET", "/admin/v1/events", headers=auth) as stream,
        ):
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            events = stream.aiter_lines()
            assert await _sse_until(events, "resync", 15) == ["resync"]
            job_ids = []
            for i in range(6):
                async with httpx.AsyncClient(base_url=url, timeout=30) as c:
                    r = await c.post(
                        "/admin/v1/jobs/kinds/platform.verify",
                        json={"reason": f"asgi {server} {workers} {i}"},
                        headers={**auth, "Idempotency-Key": uuid.uuid4().hex},
                    )
                assert r.status_code == 202, r.text
                job_ids.append(r.json()["id"])
            assert (await _sse_until(events, "job", 30))[-1] == "job"

        async with httpx.AsyncClient(base_url=url, headers=auth, timeout=30) as c:
            deadline = time.monotonic() + 60
            for job_id in job_ids:
                while (job := (await c.get(f"/admin/v1/jobs/{job_id}")).json())[
                    "status"
                ] not in TERMINAL:
                    assert time.monotonic() < deadline, (job, tail(log))
                    await asyncio.sleep(0.1)
                assert job["runs"] == 1, job  # claimed and run once, by one worker

        # -- graceful shutdown ------------------------------------------------------------
        body = json.dumps({"reason": "in flight at SIGTERM" + " " * 200}).encode()
        in_flight = await _in_flight_post(port, "/admin/v1/jobs/kinds/platform.verify", token, body)
        await asyncio.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        answer = await in_flight
        assert answer.startswith(b"HTTP/1.1 202"), (answer[:300], tail(log))
        code = await asyncio.to_thread(proc.wait, 60)
        # uvicorn re-raises the signal once it has shut down gracefully (the `stopped` lines
        # below show the lifespan shutdown ran); granian exits 0.
        assert code in ((0,) if server == "granian" else (0, -signal.SIGTERM)), tail(log)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)

    lines = _lines(log)
    requests = [x for x in lines if x.get("event") == "request"]
    mine = [x for x in requests if x.get("request_id") == request_id]
    assert len(mine) == 1, mine
    line = mine[0]
    assert (line["method"], line["route"], line["status"]) == ("GET", "/admin/v1/whoami", 200)
    for field in ("timestamp", "level", "correlation_id", "trace_id", "span_id", "duration_ms"):
        assert field in line, line
    assert line["principal_id"] == "admin"
    assert not [x for x in requests if x.get("route") == "/health"]  # a quiet probe
    stopped = [x for x in lines if x.get("event") == "stopped"]
    assert len(stopped) == workers, tail(log)
    if workers > 1:  # each worker its own owner of leases, locks and idempotency records
        assert len({x["instance_id"] for x in stopped}) == workers


def _two_workers(server: str, nats_url: str, port: int, tmp_path: Path) -> dict[str, str]:
    """The environment of an API with 2 workers of `server` on `port` (HS256 tokens)."""
    secret = tmp_path / "hs256.secret"
    secret.write_bytes(b"k" * 48)
    return {
        **os.environ,
        "CONTROL_SERVER": server,
        "CONTROL_WORKERS": "2",
        "CONTROL_NATS_URL": nats_url,
        "CONTROL_HOST": "127.0.0.1",
        "CONTROL_PORT": str(port),
        "CONTROL_DATA_DIR": str(tmp_path / "data"),
        "CONTROL_TOKEN_HS256_SECRET_FILE": str(secret),
    }


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                out.append(int(entry.name))
    return out


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.parametrize("server", ["granian", "uvicorn"])
async def test_workers_die_with_a_killed_server_process(
    server: str, nats_url: str, tmp_path: Path
) -> None:
    """A SIGKILL of the server process is the crash of the replica: no worker is left behind
    serving the port and running jobs (the crash tests rely on it)."""
    port = free_port()
    log = tmp_path / "api.log"
    proc = _start(_two_workers(server, nats_url, port, tmp_path), log)
    children: list[int] = []
    try:
        await wait_ready(f"http://127.0.0.1:{port}", proc, log)
        children = _children(proc.pid)
        assert len(children) >= 2, tail(log)
        proc.kill()
        proc.wait(10)
        deadline = time.monotonic() + 15
        while [c for c in children if _running(c)]:
            assert time.monotonic() < deadline, [c for c in children if _running(c)]
            await asyncio.sleep(0.1)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        for child in children:
            if _running(child):
                os.kill(child, signal.SIGKILL)


async def test_a_killed_granian_worker_is_replaced_and_the_replica_keeps_serving(
    nats_url: str, tmp_path: Path
) -> None:
    """A worker's death is not the replica's: granian starts another (respawn_failed_workers),
    and the server process, the port and /ready stay up throughout."""
    port = free_port()
    log = tmp_path / "api.log"
    proc = _start(_two_workers("granian", nats_url, port, tmp_path), log)
    url = f"http://127.0.0.1:{port}"
    children: list[int] = []
    try:
        await wait_ready(url, proc, log)
        children = _children(proc.pid)
        assert len(children) >= 2, tail(log)
        os.kill(children[0], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while True:
            now = [c for c in _children(proc.pid) if _running(c)]
            if children[0] not in now and len(now) >= 2:
                break
            assert proc.poll() is None, tail(log)
            assert time.monotonic() < deadline, (now, tail(log))
            await asyncio.sleep(0.1)
        await wait_ready(url, proc, log)
        assert proc.poll() is None, tail(log)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        for child in children + _children(proc.pid):
            if _running(child):
                os.kill(child, signal.SIGKILL)
