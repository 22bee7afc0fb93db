"""The API's embedded nats-server (CONTROL_NATS_URL unset) dies with the API, a SIGKILL included:
it must not keep its port and store after the API is gone (Linux: a parent-death signal)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from cloudlysis_control.adapters.nats.server import free_port

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux"),
]


def start_time(pid: int) -> str | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] in ("Z", "X") else fields[19]


def nats_children(pid: int) -> list[int]:
    """The nats-server processes below `pid`: its children, or its workers' (granian serves the
    app from a worker process of the server process)."""
    parents: dict[int, int] = {}
    names: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            argv0 = (entry / "cmdline").read_bytes().split(b"\0")[0].decode()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat[1])
        names[int(entry.name)] = os.path.basename(argv0)
    below = {pid}
    changed = True
    while changed:
        changed = False
        for child, parent in parents.items():
            if parent in below and child not in below:
                below.add(child)
                changed = True
    return [p for p in below if p != pid and names.get(p) == "nats-server"]


def test_the_embedded_nats_server_dies_with_a_sigkilled_api(tmp_path: Path) -> None:
    secret = tmp_path / "hs256.secret"
    secret.write_bytes(b"s" * 48)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTROL_")}
    env |= {
        "CONTROL_PORT": str(port),
        "CONTROL_DATA_DIR": str(tmp_path / "data"),
        "CONTROL_TOKEN_HS256_SECRET_FILE": str(secret),
    }
    log = tmp_path / "api.log"
    api = subprocess.Popen(
        [sys.executable, "-m", "cloudlysis_control", "serve"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    nats: dict[int, str | None] = {}
    try:
        deadline = time.monotonic() + 90
        while True:
            assert api.poll() is None, log.read_text()[-3000:]
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200:
                    break
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        nats = {pid: start_time(pid) for pid in nats_children(api.pid)}
        assert len(nats) == 1, nats
        api.kill()
        api.wait(30)
        deadline = time.monotonic() + 60
        while any(start_time(pid) == started for pid, started in nats.items()):
            assert time.monotonic() < deadline, f"nats-server {list(nats)} outlived the API"
            time.sleep(0.2)
    finally:
        if api.poll() is None:
            api.kill()
            api.wait(10)
        for pid, started in nats.items():  # ours only: the same pid and start time
            if started is not None and start_time(pid) == started:
                os.kill(pid, signal.SIGKILL)
