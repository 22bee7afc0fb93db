"""Running a simulated service's ASGI app with uvicorn on a socket bound up front (so the real
port is known at once), inside the caller's event loop or until the process is told to stop."""

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import uvicorn
from litestar.types import ASGIApp


def bind_listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets that say so, and without
    # it every keep-alive response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


async def _start(
    app: ASGIApp, host: str, port: int
) -> tuple[uvicorn.Server, asyncio.Task[None], str]:
    # Binding here, not in uvicorn, makes the real port known at once (port 0 = any free port).
    sock = bind_listening_socket(host, port)
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        # Hung requests (the "hung" switch) are cancelled after this grace period.
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                await task
                raise RuntimeError(f"server on {host}:{bound_port} stopped during startup")
            await asyncio.sleep(0.01)
    except BaseException:
        sock.close()
        raise
    url_host = f"[{host}]" if ":" in host else host
    return server, task, f"http://{url_host}:{bound_port}"


@asynccontextmanager
async def serve(app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
    """Run ``app`` with uvicorn inside the current event loop; yield its base URL.

    ``port=0`` picks a free port. Used by tests and by launchers that run services in-process.
    """
    server, task, url = await _start(app, host, port)
    try:
        yield url
    finally:
        server.should_exit = True
        await task


async def serve_until_stopped(
    app: ASGIApp, host: str, port: int, on_ready: Callable[[str], None]
) -> None:
    """Run ``app`` until uvicorn is told to stop (SIGINT/SIGTERM); call ``on_ready(url)`` once
    the socket accepts connections."""
    _, task, url = await _start(app, host, port)
    on_ready(url)
    await task
