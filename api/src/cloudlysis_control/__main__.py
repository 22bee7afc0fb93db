"""cloudlysis-control: serve | openapi. (The demo is `cloudlysis-demo`, a dev-only tool.)"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cloudlysis_control.core.errors import SettingsError


def _serve(_args: argparse.Namespace) -> int:
    import uvicorn

    from cloudlysis_control.bootstrap.app import create_app
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
