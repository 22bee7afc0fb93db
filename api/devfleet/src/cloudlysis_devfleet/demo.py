"""`just demo`: NATS, the devfleet (Gateway, 2 Aggregate, 2 Projection and 2 Runner
instances) and the API on 127.0.0.1.

Placement for 50 tenants comes from `config/placement/dev.json`: the API seeds its NATS KV bucket
from it on first start (CONTROL_PLACEMENT_SEED_FILE; docs/decisions/0004-placement-seed-file.md).

Everything lives under one directory (default `.demo/`); a second run reuses it, so no cleanup is
needed. Ctrl-C stops the API, the Gateway and NATS.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from cloudlysis_control.adapters.nats.server import EmbeddedNatsServer

# Fixed by default so bookmarks and docs stay true; DEMO_GATEWAY_PORT / DEMO_PLATFORM_BASE_PORT
# move them so two demos (e.g. parallel e2e runs) can share a machine.
GATEWAY_PORT = int(os.environ.get("DEMO_GATEWAY_PORT", "8701"))
# aggregate-1, aggregate-2, projection-1, projection-2, runner-1, runner-2
PLATFORM_BASE_PORT = int(os.environ.get("DEMO_PLATFORM_BASE_PORT", "8711"))
PLATFORM_INSTANCES = 6


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        # Like the servers themselves: a port with only TIME_WAIT connections is free.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _wait_http(url: str, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:  # noqa: S310 - loopback only
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not become ready")


def _post_json(url: str, body: dict[str, str]) -> dict[str, str]:
    req = urllib.request.Request(  # noqa: S310 - loopback only
        url, data=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=5) as r:  # noqa: S310
        return json.loads(r.read())  # type: ignore[no-any-return]


def _seed_tenants(seed_file: Path) -> list[str]:
    """Tenants named in the seed file's maps: the simulated instances give them activity."""
    if not seed_file.is_file():
        return []
    doc = json.loads(seed_file.read_text())
    tenants: set[str] = set()
    for key in ("aggregate_placement", "projection_placement", "runner_placement"):
        tenants.update((doc.get(key) or {}).get("tenants", {}))
    return sorted(tenants)


def _demo_swarm(fixture: Path, base: Path, api_port: int) -> dict[str, str]:
    """The demo Swarm (CONTROL_SWARM_MODE=file): the committed fixture with each service's
    admin address pointed at the devfleet instance playing it, so deploy and rollback jobs
    check real /health and /ready. Discovery stays off: the fleet file already lists them."""
    doc = json.loads(fixture.read_text())
    ports = {
        "platform_gateway": GATEWAY_PORT,
        "platform_aggregate-a-m": PLATFORM_BASE_PORT,
        "platform_aggregate-n-z": PLATFORM_BASE_PORT + 1,
        "platform_projection-a-m": PLATFORM_BASE_PORT + 2,
        "platform_projection-n-z": PLATFORM_BASE_PORT + 3,
        "platform_runner": PLATFORM_BASE_PORT + 4,
        "control_api": api_port,
    }
    for service in doc["services"]:
        port = ports.get(service["Spec"]["Name"])
        if port is not None:
            labels = service["Spec"].setdefault("Labels", {})
            labels["cloudlysis.admin_url"] = f"http://127.0.0.1:{port}"
    path = base / "swarm.json"
    path.write_text(json.dumps(doc))
    return {
        "CONTROL_SWARM_MODE": "file",
        "CONTROL_SWARM_FILE": str(path),
        "CONTROL_SWARM_DISCOVERY": "false",
    }


def run_demo(base: Path, port: int = 8080) -> int:
    base = base.resolve()
    platform_ports = range(PLATFORM_BASE_PORT, PLATFORM_BASE_PORT + PLATFORM_INSTANCES)
    for p in (port, GATEWAY_PORT, *platform_ports):
        if not _port_free(p):
            print(f"demo: port {p} is in use (another demo running?)", file=sys.stderr)
            return 1
    (base / "tokens").mkdir(parents=True, exist_ok=True)
    # NATS first: the Gateway watches the placement bucket in it (routing reload and resolve).
    nats_server = EmbeddedNatsServer(base / "data" / "nats")
    asyncio.run(nats_server.start())
    try:
        return _run(base, port, nats_server.url)
    finally:
        asyncio.run(nats_server.stop())


_SEED_BASE_PORT = 8711  # the shard endpoints config/placement/dev.json names


def _moved_seed(seed_file: Path, base: Path) -> Path:
    """The seed file, with its shard endpoints moved when DEMO_PLATFORM_BASE_PORT moved them."""
    if PLATFORM_BASE_PORT == _SEED_BASE_PORT or not seed_file.is_file():
        return seed_file
    text = seed_file.read_text()
    for i in range(PLATFORM_INSTANCES):
        text = text.replace(
            f'//127.0.0.1:{_SEED_BASE_PORT + i}"', f'//127.0.0.1:{PLATFORM_BASE_PORT + i}"'
        )
    moved = base / "placement-seed.json"
    moved.write_text(text)
    return moved


def _run(base: Path, port: int, nats_url: str) -> int:
    platform_ports = range(PLATFORM_BASE_PORT, PLATFORM_BASE_PORT + PLATFORM_INSTANCES)
    gateway_url = f"http://127.0.0.1:{GATEWAY_PORT}"
    fleet = [{"name": "gateway", "kind": "gateway", "url": gateway_url}]
    (base / "fleet.json").write_text(json.dumps(fleet, indent=2))
    gateway = subprocess.Popen(  # noqa: S603 - fixed argv
        [
            sys.executable,
            "-m",
            "cloudlysis_devfleet",
            "gateway",
            "--port",
            str(GATEWAY_PORT),
            "--data-dir",
            str(base / "gateway"),
            "--nats-url",
            nats_url,
        ],
        stdin=subprocess.DEVNULL,
    )
    repo_root = Path(__file__).resolve().parents[4]  # api/devfleet/src/cloudlysis_devfleet
    seed_file = _moved_seed(repo_root / "config" / "placement" / "dev.json", base)
    platform_file = base / "platform.json"
    platform_file.unlink(missing_ok=True)
    platform = subprocess.Popen(  # noqa: S603 - fixed argv
        [
            sys.executable,
            "-m",
            "cloudlysis_devfleet",
            "many",
            "--aggregate",
            "2",
            "--projection",
            "2",
            "--runner",
            "2",
            "--base-port",
            str(PLATFORM_BASE_PORT),
            "--fleet-file",
            str(platform_file),
            "--tenants",
            ",".join(_seed_tenants(seed_file)),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    ui_dir = repo_root / "ui" / "dist"
    env = {
        **os.environ,
        "CONTROL_PORT": str(port),
        "CONTROL_HOST": "127.0.0.1",
        "CONTROL_DATA_DIR": str(base / "data"),
        "CONTROL_NATS_URL": nats_url,
        "CONTROL_JWKS_URL": f"{gateway_url}/.well-known/jwks.json",
        "CONTROL_GATEWAY_URL": gateway_url,
        "CONTROL_DEV_LOGIN": "true",
        "CONTROL_FLEET_FILE": str(base / "fleet.json"),
        "CONTROL_PLACEMENT_SOURCE": "nats",
        "CONTROL_LOG_FORMAT": os.environ.get("CONTROL_LOG_FORMAT", "json"),
    }
    swarm_fixture = repo_root / "config" / "swarm" / "demo.json"
    if swarm_fixture.is_file():
        env.update(_demo_swarm(swarm_fixture, base, port))
    if (ui_dir / "index.html").is_file():
        env["CONTROL_UI_DIR"] = str(ui_dir)
    if seed_file.is_file():
        env["CONTROL_PLACEMENT_SEED_FILE"] = str(seed_file)
    api: subprocess.Popen[bytes] | None = None
    try:
        _wait_http(f"{gateway_url}/ready", timeout_s=60)
        for p in platform_ports:
            _wait_http(f"http://127.0.0.1:{p}/ready", timeout_s=60)
        fleet += json.loads(platform_file.read_text())
        (base / "fleet.json").write_text(json.dumps(fleet, indent=2))
        api = subprocess.Popen(
            [sys.executable, "-m", "cloudlysis_control", "serve"],
            env=env,
            stdin=subprocess.DEVNULL,
        )
        _wait_http(f"http://127.0.0.1:{port}/ready", timeout_s=60)
        # The API seeded placement after the Gateway loaded it: route by the seeded maps.
        _post_json(f"{gateway_url}/admin/v1/config/reload", {})
        for who in ("admin", "viewer"):
            token = _post_json(f"{gateway_url}/auth/v1/dev-login", {"principal": who})
            (base / "tokens" / f"{who}.jwt").write_text(token["access_token"] + "\n")
        admin_token = base / "tokens" / "admin.jwt"
        print(
            f"\nCloudlysis Control demo is up:\n"
            f"  UI + API   http://127.0.0.1:{port}/\n"
            f"  API docs   http://127.0.0.1:{port}/schema\n"
            f"  Gateway    {gateway_url}\n"
            f"  platform   2 Aggregate, 2 Projection, 2 Runner on 127.0.0.1:"
            f"{PLATFORM_BASE_PORT}-{PLATFORM_BASE_PORT + PLATFORM_INSTANCES - 1}\n"
            f"  tokens     {base / 'tokens' / 'admin.jwt'}, {base / 'tokens' / 'viewer.jwt'}\n"
            f'  try        curl -H "authorization: Bearer $(cat {admin_token})" '
            f"http://127.0.0.1:{port}/admin/v1/whoami\n"
            f"Ctrl-C stops everything.\n",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            while api.poll() is None and gateway.poll() is None and platform.poll() is None:
                time.sleep(0.5)
        return 0
    finally:
        for proc in (api, gateway, platform):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in (api, gateway, platform):
            if proc is not None:
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(
        prog="cloudlysis-demo", description="NATS, the devfleet and the API on 127.0.0.1"
    )
    parser.add_argument("--dir", default=".demo", help="state and tokens directory")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    sys.exit(run_demo(Path(args.dir), port=args.port))
