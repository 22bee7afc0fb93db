"""Ports and servers on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import socket
import threading
from collections.abc import Iterator
from typing import Any

from cloudlysis_devfleet import serve


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now (bind "0.0.0.0" for Docker host-mode publishing)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Run an ASGI app under uvicorn on its own thread and event loop; yield its base URL.

    Litestar's test client drives the app under test through a blocking portal, so an upstream
    served on the test's own event loop could not answer while a request is in flight.
    """
    ready: queue.Queue[str | BaseException] = queue.Queue()
    stop = threading.Event()

    async def main() -> None:
        try:
            async with serve(app, "127.0.0.1", 0) as url:
                ready.put(url)
                while not stop.is_set():
                    await asyncio.sleep(0.05)
        except BaseException as e:
            ready.put(e)
            raise

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    got = ready.get(timeout=30)
    if isinstance(got, BaseException):
        raise got
    try:
        yield got
    finally:
        stop.set()
        thread.join(15)
