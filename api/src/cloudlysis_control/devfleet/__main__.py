"""Run one simulated platform service.

    python -m cloudlysis_control.devfleet gateway --port 8701 --data-dir .devfleet/gateway

Prints ``<service> listening on http://HOST:PORT`` once the socket accepts connections, so a
launcher can wait for that line. ``--port 0`` picks a free port.
"""

import argparse
import asyncio
import contextlib
import logging
from pathlib import Path

from cloudlysis_control.devfleet.common import serve_until_stopped
from cloudlysis_control.devfleet.gateway import GatewayConfig, create_gateway_app


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cloudlysis_control.devfleet")
    services = parser.add_subparsers(dest="service", required=True)
    gateway = services.add_parser("gateway", help="simulated Gateway (tokens, JWKS, IAM API)")
    gateway.add_argument("--host", default="127.0.0.1")
    gateway.add_argument("--port", type=int, default=8701)
    gateway.add_argument("--data-dir", type=Path, required=True)
    gateway.add_argument("--issuer", default=GatewayConfig.issuer)
    gateway.add_argument("--audience", default=GatewayConfig.audience)
    gateway.add_argument("--token-ttl", type=int, default=GatewayConfig.token_ttl_s)
    gateway.add_argument("--no-dev-login", action="store_true", help="disable dev login")
    gateway.add_argument("--service-version", default=GatewayConfig.version)
    gateway.add_argument("--git-sha", default=GatewayConfig.git_sha)
    gateway.add_argument(
        "--log-level", default="warning", choices=["debug", "info", "warning", "error"]
    )
    return parser


async def _run_gateway(args: argparse.Namespace) -> None:
    config = GatewayConfig(
        data_dir=args.data_dir,
        issuer=args.issuer,
        audience=args.audience,
        token_ttl_s=args.token_ttl,
        dev_login_enabled=not args.no_dev_login,
        version=args.service_version,
        git_sha=args.git_sha,
    )
    await serve_until_stopped(
        create_gateway_app(config),
        args.host,
        args.port,
        lambda url: print(f"gateway listening on {url}", flush=True),
    )


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    if args.token_ttl < 1:
        raise SystemExit("--token-ttl must be >= 1")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run_gateway(args))


if __name__ == "__main__":
    main()
