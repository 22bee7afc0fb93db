"""cloudlysis-control: serve | openapi. (The demo is `cloudlysis-demo`, a dev-only tool.)"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from cloudlysis_control.core.errors import SettingsError


def _serve(_args: argparse.Namespace) -> int:
    from cloudlysis_control.core.settings import Settings

    settings = Settings.from_env()
    server = settings.server
    if server.asgi_server == "granian" or server.workers > 1:
        from cloudlysis_control.bootstrap.app import create_app

        # The workers build the app themselves; build it once here first so that a setting
        # only checked then (the key source, the fleet file's content) fails the command
        # (exit 2, one line) before any worker starts, as with one uvicorn worker.
        create_app(settings)
    if server.asgi_server == "granian":
        _serve_granian(settings)
        return 0
    import uvicorn

    options: dict[str, Any] = {
        "host": server.host,
        "port": server.port,
        "log_config": None,
        "access_log": False,  # the request pipeline writes the one access line
        "proxy_headers": False,
        "server_header": False,
        "lifespan": "on",
        "loop": "uvloop",
        "http": "httptools",
    }
    if server.workers == 1:
        from cloudlysis_control.bootstrap.app import create_app

        uvicorn.run(create_app(settings, serving=True), **options)
    else:
        # Each worker process imports the factory and builds its own app (own NATS
        # connection, own engine); the parent only supervises and shares the socket.
        uvicorn.run(WORKER_FACTORY, factory=True, workers=server.workers, **options)
    return 0


WORKER_FACTORY = "cloudlysis_control.bootstrap.app:worker_app"


def _serve_granian(settings: Any) -> None:
    from granian.constants import Interfaces, Loops
    from granian.server import Server

    server = settings.server
    Server(
        WORKER_FACTORY,
        address=server.host,
        port=server.port,
        interface=Interfaces.ASGI,
        workers=server.workers,
        factory=True,
        loop=Loops.uvloop,
        log_access=False,  # the request pipeline writes the one access line
        # A worker that dies (killed, out of memory) is replaced: the replica keeps serving
        # with the others meanwhile, and the jobs the dead one held are taken over when their
        # leases lapse — instead of granian's default of shutting the whole replica down.
        respawn_failed_workers=True,
        log_level=settings.observability.log_level,
    ).serve()


def _openapi(args: argparse.Namespace) -> int:
    from cloudlysis_control.bootstrap.openapi_export import render_schema

    text = render_schema()
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text)
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="cloudlysis-control")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run the API (settings from CONTROL_* variables)")
    openapi = sub.add_parser("openapi", help="write the OpenAPI 3.1 schema")
    openapi.add_argument("--output", "-o", default="-", help="file path, or - for stdout")
    args = parser.parse_args(argv)
    handlers = {"serve": _serve, "openapi": _openapi}
    try:
        code = handlers[args.command](args)
    except SettingsError as e:
        print(f"cloudlysis-control: configuration error: {e}", file=sys.stderr)
        code = 2
    sys.exit(code)


if __name__ == "__main__":
    main()
