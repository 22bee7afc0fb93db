"""cloudlysis-control: serve | openapi | demo."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cloudlysis_control.core.errors import SettingsError


def _serve(_args: argparse.Namespace) -> int:
    import uvicorn

    from cloudlysis_control.app import create_app
    from cloudlysis_control.core.settings import Settings

    settings = Settings.from_env()
    app = create_app(settings)
    uvicorn.run(
        app,
        host=settings.server.host,
        port=settings.server.port,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        lifespan="on",
    )
    return 0


def _openapi(args: argparse.Namespace) -> int:
    from cloudlysis_control.openapi_export import render_schema

    text = render_schema()
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text)
    return 0


def _demo(args: argparse.Namespace) -> int:
    import os

    from cloudlysis_control.demo import demo_port, run_demo

    return run_demo(Path(args.dir), port=demo_port(args.port, os.environ), restart=args.restart)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="cloudlysis-control")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run the API (settings from CONTROL_* variables)")
    openapi = sub.add_parser("openapi", help="write the OpenAPI 3.1 schema")
    openapi.add_argument("--output", "-o", default="-", help="file path, or - for stdout")
    demo = sub.add_parser("demo", help="run NATS, the devfleet and the API on 127.0.0.1")
    demo.add_argument("--dir", default=".demo", help="state and tokens directory")
    demo.add_argument(
        "--port", type=int, default=None, help="the API's port (default: CONTROL_PORT, else 8080)"
    )
    demo.add_argument(
        "--restart", action="store_true", help="start the API again when it dies (else: stop)"
    )
    args = parser.parse_args(argv)
    handlers = {"serve": _serve, "openapi": _openapi, "demo": _demo}
    try:
        code = handlers[args.command](args)
    except SettingsError as e:
        print(f"cloudlysis-control: configuration error: {e}", file=sys.stderr)
        code = 2
    sys.exit(code)


if __name__ == "__main__":
    main()
