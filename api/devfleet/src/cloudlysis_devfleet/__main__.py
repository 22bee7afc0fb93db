"""Run simulated platform services.

    python -m cloudlysis_devfleet gateway --port 8701 --data-dir .devfleet/gateway
    python -m cloudlysis_devfleet aggregate --port 8711 --shard aggregate-1
    python -m cloudlysis_devfleet many --aggregate 2 --projection 2 --runner 2 \
        --base-port 8711 --fleet-file fleet.json     (many instances, one process)
    python -m cloudlysis_devfleet traffic --gateway http://127.0.0.1:8701 --tenants a,b,c

Prints ``<service> listening on http://HOST:PORT`` once the socket accepts connections, so a
launcher can wait for that line. ``--port 0`` picks a free port.
"""

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import signal
from pathlib import Path
from typing import cast

from cloudlysis_devfleet.gateway import GatewayConfig, create_gateway_app
from cloudlysis_devfleet.host_exporter import exporter_app, nats_metrics_from, node_metrics
from cloudlysis_devfleet.platform import PLATFORM_KINDS, PlatformConfig, PlatformKind
from cloudlysis_devfleet.platform_host import PlatformHost, fleet_configs
from cloudlysis_devfleet.serving import serve, serve_until_stopped
from cloudlysis_devfleet.traffic import TrafficGenerator, TrafficShape

_BASELINE = "share of tenant requests a good build fails (default 0)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cloudlysis_devfleet")
    services = parser.add_subparsers(dest="service", required=True)
    gateway = services.add_parser("gateway", help="simulated Gateway (tokens, JWKS, IAM API)")
    gateway.add_argument("--host", default="127.0.0.1")
    gateway.add_argument("--port", type=int, default=8701)
    gateway.add_argument("--data-dir", type=Path, required=True)
    gateway.add_argument("--issuer", default=GatewayConfig.issuer)
    gateway.add_argument("--audience", default=GatewayConfig.audience)
    gateway.add_argument("--token-ttl", type=int, default=GatewayConfig.token_ttl_s)
    gateway.add_argument("--no-dev-login", action="store_true", help="disable dev login")
    gateway.add_argument(
        "--access-ttl",
        type=int,
        default=GatewayConfig.access_ttl_s,
        help="access token lifetime of password and SSO sign-ins (refreshed)",
    )
    gateway.add_argument("--session-ttl", type=int, default=GatewayConfig.session_ttl_s)
    gateway.add_argument(
        "--sso-redirect-uri",
        action="append",
        default=[],
        help="a redirect URI registered for the SSO client (repeatable)",
    )
    gateway.add_argument("--service-version", default=GatewayConfig.version)
    gateway.add_argument("--git-sha", default=GatewayConfig.git_sha)
    gateway.add_argument(
        "--nats-url", default=None, help="NATS with the placement bucket (enables routing)"
    )
    gateway.add_argument(
        "--placement-file",
        type=Path,
        default=None,
        help="or route from the dev placement file (polled; applied on reload)",
    )
    gateway.add_argument("--baseline-error-ratio", type=float, default=0.0, help=_BASELINE)
    gateway.add_argument(
        "--log-level", default="warning", choices=["debug", "info", "warning", "error"]
    )
    for kind in PLATFORM_KINDS:
        one = services.add_parser(kind, help=f"simulated {kind.capitalize()} instance")
        one.add_argument("--host", default="127.0.0.1")
        one.add_argument("--port", type=int, default=0)
        one.add_argument("--shard", required=True)
        one.add_argument("--instance", default=None, help="instance name (default: the shard)")
        _platform_common(one)
    many = services.add_parser("many", help="many simulated instances in one process")
    many.add_argument("--host", default="127.0.0.1")
    for kind in PLATFORM_KINDS:
        many.add_argument(f"--{kind}", type=int, default=0, help=f"number of {kind} instances")
    many.add_argument("--base-port", type=int, default=0, help="first port (0: any free ports)")
    many.add_argument("--fleet-file", type=Path, default=None, help="write the fleet file here")
    many.add_argument(
        "--nats-url", default=None, help="NATS with the config buckets (revisions on reload)"
    )
    many.add_argument(
        "--release",
        action="append",
        default=[],
        metavar="KIND=VERSION/GIT_SHA",
        help="the build one kind runs (default: --service-version/--git-sha); repeatable",
    )
    _platform_common(many)
    exporters = services.add_parser(
        "exporters", help="node-exporter and nats-exporter stand-ins (real /proc and NATS data)"
    )
    exporters.add_argument("--node-port", type=int, required=True)
    exporters.add_argument("--nats-port", type=int, required=True)
    exporters.add_argument("--nats-monitor", required=True, help="nats-server's monitoring URL")
    exporters.add_argument(
        "--log-level", default="warning", choices=["debug", "info", "warning", "error"]
    )
    traffic = services.add_parser("traffic", help="background tenant traffic via the Gateway")
    traffic.add_argument("--gateway", required=True, help="the Gateway's URL (routing enabled)")
    traffic.add_argument("--tenants", required=True, help="comma-separated tenants")
    traffic.add_argument("--rps", type=float, default=TrafficShape.rps, help="mean requests/s")
    traffic.add_argument(
        "--day-seconds", type=float, default=TrafficShape.day_s, help="length of a 'day'"
    )
    traffic.add_argument(
        "--log-level", default="warning", choices=["debug", "info", "warning", "error"]
    )
    return parser


def _platform_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--service-version", default=PlatformConfig.version)
    p.add_argument("--git-sha", default=PlatformConfig.git_sha)
    p.add_argument("--tenants", default="", help="comma-separated tenants with activity")
    p.add_argument("--baseline-error-ratio", type=float, default=0.0, help=_BASELINE)
    p.add_argument("--log-level", default="warning", choices=["debug", "info", "warning", "error"])


def _releases(values: list[str]) -> dict[str, tuple[str, str]]:
    releases: dict[str, tuple[str, str]] = {}
    for value in values:
        kind, _, build = value.partition("=")
        version, _, git_sha = build.partition("/")
        if kind not in PLATFORM_KINDS or not version:
            raise SystemExit(f"--release {value!r}: expected KIND=VERSION[/GIT_SHA]")
        releases[kind] = (version, git_sha or PlatformConfig.git_sha)
    return releases


async def _run_platform(args: argparse.Namespace) -> None:
    tenants = [t for t in args.tenants.split(",") if t]
    if args.service == "many":
        counts = {k: getattr(args, k) for k in PLATFORM_KINDS}
        configs = fleet_configs(
            counts,
            tenants=tenants,
            version=args.service_version,
            git_sha=args.git_sha,
            releases=_releases(args.release),
            baseline_error_ratio=args.baseline_error_ratio,
        )
        if not configs:
            raise SystemExit("nothing to start: give --aggregate/--projection/--runner counts")
        ports = [args.base_port + i for i in range(len(configs))] if args.base_port else None
    else:
        kind = cast(PlatformKind, args.service)
        configs = [
            PlatformConfig(
                kind=kind,
                shard=args.shard,
                instance=args.instance or args.shard,
                version=args.service_version,
                git_sha=args.git_sha,
                tenants=tenants,
                baseline_error_ratio=args.baseline_error_ratio,
            )
        ]
        ports = [args.port]
    host = PlatformHost(configs, args.host, ports, nats_url=getattr(args, "nats_url", None))
    instances = await host.start()
    # What the started instances hold lives as long as the process: out of the collector's
    # walks (with `many`, hundreds of servers in one process — a full collection paused them
    # all at once, which showed as the tail of every benchmark that calls them).
    gc.collect()
    gc.freeze()
    if getattr(args, "fleet_file", None) is not None:
        args.fleet_file.parent.mkdir(parents=True, exist_ok=True)
        args.fleet_file.write_text(json.dumps([i.fleet_entry() for i in instances], indent=2))
    for i in instances:
        print(f"{i.config.instance} listening on {i.url}", flush=True)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: asyncio.ensure_future(host.stop()))
    await host.wait()


async def _run_gateway(args: argparse.Namespace) -> None:
    config = GatewayConfig(
        data_dir=args.data_dir,
        issuer=args.issuer,
        audience=args.audience,
        token_ttl_s=args.token_ttl,
        access_ttl_s=args.access_ttl,
        session_ttl_s=args.session_ttl,
        sso_redirect_uris=tuple(args.sso_redirect_uri),
        dev_login_enabled=not args.no_dev_login,
        version=args.service_version,
        git_sha=args.git_sha,
        nats_url=args.nats_url,
        baseline_error_ratio=args.baseline_error_ratio,
        placement_file=args.placement_file,
    )
    await serve_until_stopped(
        create_gateway_app(config),
        args.host,
        args.port,
        lambda url: print(f"gateway listening on {url}", flush=True),
    )


async def _run_traffic(args: argparse.Namespace) -> None:
    tenants = [t for t in args.tenants.split(",") if t]
    shape = TrafficShape(rps=args.rps, day_s=args.day_seconds)
    generator = TrafficGenerator(args.gateway, tenants, shape)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(
        f"traffic: {args.rps:g} req/s mean via {args.gateway}, noisy {generator.noisy}", flush=True
    )
    await generator.run(stop)


async def _run_exporters(args: argparse.Namespace) -> None:
    node = exporter_app("node-exporter", node_metrics)
    nats = exporter_app("nats-exporter", lambda: nats_metrics_from(args.nats_monitor))
    async with serve(node, port=args.node_port), serve(nats, port=args.nats_port):
        print(f"exporters listening on {args.node_port} and {args.nats_port}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    if args.service in ("traffic", "exporters"):
        run = _run_traffic if args.service == "traffic" else _run_exporters
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run(args))
        return
    if args.service != "gateway":
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_run_platform(args))
        return
    if args.token_ttl < 1:
        raise SystemExit("--token-ttl must be >= 1")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run_gateway(args))


if __name__ == "__main__":
    main()
