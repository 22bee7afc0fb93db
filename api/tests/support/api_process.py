"""The API as a real subprocess (`python -m cloudlysis_control serve`), for crash tests."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


@contextmanager
def api_process(
    env: dict[str, str], instance_id: str, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cloudlysis_control", "serve"],
            env={**os.environ, **env, "CONTROL_INSTANCE_ID": instance_id},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(10)


def tail(log: Path, chars: int = 3000) -> str:
    return log.read_text()[-chars:]


async def wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient() as c:
        while True:
            assert proc.poll() is None, tail(log)
            try:
                if (await c.get(f"{url}/ready")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, tail(log)
            await asyncio.sleep(0.1)
