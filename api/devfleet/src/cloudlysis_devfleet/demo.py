# One file on purpose: its one job is starting, supervising and stopping the demo's processes; the
# helpers (ports, seed file, Swarm fixture, leftovers) serve only that and share its fixed ports.
"""`just demo`: NATS, the devfleet (Gateway, 2 Aggregate, 2 Projection and 2 Runner
instances) and the API on 127.0.0.1.

Placement for 50 tenants comes from `config/placement/dev.json`: the API seeds its NATS KV bucket
from it on first start (CONTROL_PLACEMENT_SEED_FILE; docs/decisions/0004-placement-seed-file.md).

Everything lives under one directory (default `.demo/`); a second run reuses it, so no cleanup is
needed. Ctrl-C, SIGTERM and SIGHUP stop the API, the devfleet and NATS (exit 0). The children die
with the demo even when it is SIGKILLed (a parent-death signal, Linux), and `DIR/pids/` names them,
so a start clears whatever an earlier demo in the same directory left running. When one of them
dies the demo says which and exits 1; `--restart` starts a dead API again instead.
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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from cloudlysis_control.adapters.nats.server import EmbeddedNatsServer, free_port
from cloudlysis_control.core.errors import StateUnavailable
from cloudlysis_control.core.procs import (
    PidRecord,
    die_with_own_parent,
    die_with_parent,
    live_pid_files,
    parent_name,
    remove_pid_file,
    write_pid_file,
)
from cloudlysis_control.core.settings import server_port
from cloudlysis_devfleet import metrics_store
from cloudlysis_devfleet.demo_principals import post_json, provision_principals
from cloudlysis_devfleet.traffic import noisy_tenant
from cloudlysis_devfleet.world import RELEASES, RunningInstance, seed_drift, swarm_document

# Fixed by default so bookmarks and docs stay true; DEMO_GATEWAY_PORT / DEMO_PLATFORM_BASE_PORT
# move them so two demos (e.g. parallel e2e runs) can share a machine.
GATEWAY_PORT = int(os.environ.get("DEMO_GATEWAY_PORT", "8701"))
# aggregate-1, aggregate-2, projection-1, projection-2, runner-1, runner-2
PLATFORM_BASE_PORT = int(os.environ.get("DEMO_PLATFORM_BASE_PORT", "8711"))
PLATFORM_INSTANCES = 6
# Mean tenant requests per second of the traffic generator (0: none); DEMO_TRAFFIC_RPS.
TRAFFIC_RPS = float(os.environ.get("DEMO_TRAFFIC_RPS", "8"))
# A good platform build fails this share of tenant requests (a timeout here, a conflict there),
# so the error-ratio charts have a baseline to rise from; the Gateway passes them on as 502.
BASELINE_ERROR_RATIO = 0.01
# VictoriaMetrics (the metrics history behind the console's charts); DEMO_METRICS_PORT moves it.
METRICS_PORT = int(os.environ.get("DEMO_METRICS_PORT", "8428"))
# --restart gives up when the API exits this many times in a row before it is ready.
_RESTART_ATTEMPTS = 5


def demo_port(cli_port: int | None, environ: Mapping[str, str]) -> int:
    """The API's port: --port, else CONTROL_PORT (docs/configuration.md), else 8080."""
    return cli_port if cli_port is not None else server_port(environ)


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        # Like the servers themselves: a port with only TIME_WAIT connections is free.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as r:  # noqa: S310 - loopback only
            return bool(r.status == 200)
    except OSError:
        return False


def _seed_tenants(seed_file: Path) -> list[str]:
    """Tenants named in the seed file's maps: the simulated instances give them activity."""
    if not seed_file.is_file():
        return []
    doc = json.loads(seed_file.read_text())
    tenants: set[str] = set()
    for key in ("aggregate_placement", "projection_placement", "runner_placement"):
        tenants.update((doc.get(key) or {}).get("tenants", {}))
    return sorted(tenants)


def _reported_build(url: str) -> tuple[str, str]:
    """The (version, git_sha) an instance reports in its `*_build_info` (what the fleet probe
    reads)."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=5) as r:  # noqa: S310 - loopback only
        text = r.read().decode()
    for family in text_string_to_metric_families(text):
        if family.name.endswith("_build_info") and family.samples:
            labels = family.samples[0].labels
            return labels.get("version", ""), labels.get("git_sha", "")
    raise DemoFailed(f"{url}/metrics reports no *_build_info")


def demo_swarm(fleet: list[dict[str, str]], base: Path, template: Path) -> dict[str, str]:
    """The demo Swarm (CONTROL_SWARM_MODE=file), generated from the devfleet running: one service
    per instance, with the version it reports and its address (docs/decisions/0012). Discovery
    stays off: the fleet file already lists the instances."""
    nodes = json.loads(template.read_text()).get("nodes") if template.is_file() else None
    instances = []
    for entry in fleet:
        version, git_sha = _reported_build(entry["url"])
        instances.append(
            RunningInstance(
                name=entry["name"],
                kind=entry["kind"],
                url=entry["url"],
                version=version,
                git_sha=git_sha,
                shard=entry.get("shard"),
            )
        )
    doc = swarm_document(instances, node_template=nodes[0] if nodes else None)
    stacks = base / "stacks"
    stacks.mkdir(exist_ok=True)
    (stacks / "platform.yml").write_text(seed_drift(doc, instances))
    path = base / "swarm.json"
    path.write_text(json.dumps(doc, indent=1))
    return {
        "CONTROL_SWARM_MODE": "file",
        "CONTROL_SWARM_FILE": str(path),
        "CONTROL_SWARM_DISCOVERY": "false",
        "CONTROL_DRIFT_STACKS_DIR": str(stacks),
        "CONTROL_DRIFT_INTERVAL_S": "3",
    }


class DemoFailed(Exception):
    """A process of the demo died, or never came up: the message names it."""


# Ctrl-C, `kill` and a closed terminal all stop the demo the same way: children first, in order.
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _how(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"was killed by {signal.Signals(-code).name}"
    return f"exited with code {code}"


def _wait_gone(records: list[PidRecord], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while any(r.alive() for r in records):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _clear_leftovers(base: Path) -> None:
    """Stop what an earlier demo in `base` left running (its pid files name it): a demo that is
    still up stops its own children, as on Ctrl-C; any other leftover gets SIGTERM, then SIGKILL."""
    pids = base / "pids"
    left = live_pid_files(pids)
    if not left:
        return
    names = ", ".join(f"{r.name} (pid {r.pid})" for r in left)
    print(f"demo: stopping what an earlier demo in {base} left running: {names}", file=sys.stderr)
    # An earlier demo still running stops its own children in order (10 s each at most); what
    # is left after that, or what a SIGKILLed demo left, gets SIGTERM, then SIGKILL.
    for batch, wait_s in (([r for r in left if r.name == "demo"], 40.0), (left, 15.0)):
        for r in batch:
            r.signal(signal.SIGTERM)
            r.signal(signal.SIGCONT)  # a stopped process acts on SIGTERM once it runs again
        gone = _wait_gone(batch, wait_s)
    if not gone:
        for r in left:
            r.signal(signal.SIGKILL)
        if not _wait_gone(left, 10):
            alive = ", ".join(f"{r.name} (pid {r.pid})" for r in left if r.alive())
            raise DemoFailed(f"could not stop the earlier demo's {alive}")
    for path in pids.glob("*.pid"):
        path.unlink(missing_ok=True)


def run_demo(base: Path, port: int = 8080, *, restart: bool = False) -> int:
    """Run the demo until Ctrl-C, SIGTERM or SIGHUP (0), or until one of its processes dies (1;
    with `restart`, a dead API is started again instead)."""
    base = base.resolve()
    if port == 0:
        port = free_port()
    demo = _Demo(base, port, restart)
    previous = {sig: signal.getsignal(sig) for sig in _STOP_SIGNALS}
    for sig in _STOP_SIGNALS:
        signal.signal(sig, signal.default_int_handler)  # raises KeyboardInterrupt
    try:
        _clear_leftovers(base)
        platform_ports = range(PLATFORM_BASE_PORT, PLATFORM_BASE_PORT + PLATFORM_INSTANCES)
        for p in (port, GATEWAY_PORT, *platform_ports):
            if not _port_free(p):
                print(f"demo: port {p} is in use (another demo running?)", file=sys.stderr)
                return 1
        (base / "tokens").mkdir(parents=True, exist_ok=True)
        # Under `uv run` (./run demo, just demo) uv is the process people see and kill: a SIGKILL
        # of uv reaches the demo as SIGTERM, an orderly stop.
        if parent_name() == "uv":
            die_with_own_parent(signal.SIGTERM)
        write_pid_file(demo.pids, "demo", os.getpid())
        demo.run()
        return 0
    except KeyboardInterrupt:
        return 0
    except DemoFailed as e:
        print(f"demo: {e}", file=sys.stderr, flush=True)
        return 1
    finally:
        for sig in _STOP_SIGNALS:  # the cleanup is bounded (10 s a process): let it finish
            signal.signal(sig, signal.SIG_IGN)
        demo.stop()
        remove_pid_file(demo.pids, "demo", os.getpid())
        for sig, handler in previous.items():
            signal.signal(sig, handler)


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


class _Demo:
    """The processes of one demo run. Each is started with a parent-death signal (Linux) and
    named in `base/pids/`, so neither a SIGKILL of the demo nor a crash leaves them behind."""

    def __init__(self, base: Path, port: int, restart: bool) -> None:
        self.base = base
        self.port = port
        self.restart = restart
        self.pids = base / "pids"
        self.nats: EmbeddedNatsServer | None = None
        self.gateway: subprocess.Popen[bytes] | None = None
        self.platform: subprocess.Popen[bytes] | None = None
        self.api: subprocess.Popen[bytes] | None = None
        self.vm: subprocess.Popen[bytes] | None = None
        self.traffic: subprocess.Popen[bytes] | None = None
        self.exporters: subprocess.Popen[bytes] | None = None
        self.vmalert: subprocess.Popen[bytes] | None = None
        self.metrics_url: str | None = None
        self.api_env: dict[str, str] = {}

    def _spawn(self, name: str, argv: list[str], **kw: Any) -> subprocess.Popen[bytes]:
        proc: subprocess.Popen[bytes] = subprocess.Popen(  # noqa: S603 - fixed argv
            argv, stdin=subprocess.DEVNULL, preexec_fn=die_with_parent(), **kw
        )
        write_pid_file(self.pids, name, proc.pid)
        return proc

    def _running(self) -> list[tuple[str, subprocess.Popen[bytes]]]:
        procs: list[tuple[str, subprocess.Popen[bytes] | None]] = [
            ("nats-server", self.nats.process if self.nats else None),
            ("the Gateway", self.gateway),
            ("the platform instances", self.platform),
            ("VictoriaMetrics", self.vm),
            ("vmalert", self.vmalert),
            ("the traffic generator", self.traffic),
            ("the exporters", self.exporters),
            ("the API", self.api),
        ]
        return [(label, p) for label, p in procs if p is not None]

    def _check_alive(self, *, but_api: bool = False) -> None:
        for label, proc in self._running():
            code = proc.poll()
            if code is not None and not (but_api and proc is self.api):
                hint = " (--restart keeps the API running)" if proc is self.api else ""
                raise DemoFailed(f"{label} (pid {proc.pid}) {_how(code)}; stopping the demo{hint}")

    def _wait_http(self, url: str, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self._check_alive()
            if _ready(url):
                return
            time.sleep(0.1)
        raise DemoFailed(f"{url} did not become ready in {timeout_s:.0f} s; stopping the demo")

    def _wait_fleet_file(self, path: Path, timeout_s: float = 60.0) -> list[dict[str, str]]:
        """The platform's fleet file: /ready can answer a moment before it is written."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self._check_alive()
            with contextlib.suppress(OSError, ValueError):
                entries: list[dict[str, str]] = json.loads(path.read_text())
                return entries
            time.sleep(0.1)
        raise DemoFailed(f"{path} was not written in {timeout_s:.0f} s; stopping the demo")

    def _start_api(self) -> None:
        self.api = self._spawn(
            "api", [sys.executable, "-m", "cloudlysis_control", "serve"], env=self.api_env
        )

    def run(self) -> None:
        base, port = self.base, self.port
        platform_ports = range(PLATFORM_BASE_PORT, PLATFORM_BASE_PORT + PLATFORM_INSTANCES)
        # NATS first: the Gateway watches the placement bucket in it (routing reload and resolve).
        # Its monitoring port feeds the demo's nats-exporter stand-in.
        self.nats = EmbeddedNatsServer(base / "data" / "nats", monitor_port=free_port())
        try:
            asyncio.run(self.nats.start())
        except StateUnavailable as e:
            raise DemoFailed(f"nats-server did not start: {e}") from e
        assert self.nats.process is not None
        write_pid_file(self.pids, "nats-server", self.nats.process.pid)
        nats_url = self.nats.url
        gateway_url = f"http://127.0.0.1:{GATEWAY_PORT}"
        fleet = [{"name": "gateway", "kind": "gateway", "url": gateway_url}]
        (base / "fleet.json").write_text(json.dumps(fleet, indent=2))
        self.gateway = self._spawn(
            "gateway",
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
                "--service-version",
                RELEASES["gateway"].version,
                "--git-sha",
                RELEASES["gateway"].git_sha,
                *(
                    arg
                    for host in ("127.0.0.1", "localhost")
                    for arg in ("--sso-redirect-uri", f"http://{host}:{port}/login/callback")
                ),
                # Short access tokens let the console's refresh be watched (and tested).
                *(
                    ["--access-ttl", os.environ["DEMO_GATEWAY_ACCESS_TTL_S"]]
                    if os.environ.get("DEMO_GATEWAY_ACCESS_TTL_S")
                    else []
                ),
            ],
        )
        repo_root = Path(__file__).resolve().parents[4]  # api/devfleet/src/cloudlysis_devfleet
        seed_file = _moved_seed(repo_root / "config" / "placement" / "dev.json", base)
        platform_file = base / "platform.json"
        platform_file.unlink(missing_ok=True)
        self.platform = self._spawn(
            "platform",
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
                "--nats-url",
                nats_url,
                "--tenants",
                ",".join(_seed_tenants(seed_file)),
                *(
                    f"--release={kind}={r.version}/{r.git_sha}"
                    for kind, r in RELEASES.items()
                    if kind != "gateway"
                ),
                f"--baseline-error-ratio={BASELINE_ERROR_RATIO}",
            ],
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
            "CONTROL_SSO_CLIENT_ID": "cloudlysis-control",
            # Plain HTTP on loopback: the refresh cookie cannot be Secure here.
            "CONTROL_SESSION_COOKIE_SECURE": "false",
            "CONTROL_FLEET_FILE": str(base / "fleet.json"),
            "CONTROL_PLACEMENT_SOURCE": "nats",
            "CONTROL_CONFIG_ASSETS_DIR": str(repo_root),
            "CONTROL_LOG_FORMAT": os.environ.get("CONTROL_LOG_FORMAT", "json"),
        }
        if (ui_dir / "index.html").is_file():
            env["CONTROL_UI_DIR"] = str(ui_dir)
        if seed_file.is_file():
            env["CONTROL_PLACEMENT_SEED_FILE"] = str(seed_file)
        flags_file = repo_root / "config" / "flags" / "demo.json"
        if flags_file.is_file():  # short playbook windows: a deploy verifies in seconds
            env["CONTROL_FLAGS_SEED_FILE"] = str(flags_file)
        self.api_env = env
        self._wait_http(f"{gateway_url}/ready")
        for p in platform_ports:
            self._wait_http(f"http://127.0.0.1:{p}/ready")
        fleet += self._wait_fleet_file(platform_file)
        (base / "fleet.json").write_text(json.dumps(fleet, indent=2))
        env.update(demo_swarm(fleet, base, repo_root / "config" / "swarm" / "example.json"))
        env.update(self._start_metrics(repo_root, [e["url"] for e in fleet], env))
        self._start_api()
        api_url = f"http://127.0.0.1:{port}"
        self._wait_http(f"{api_url}/ready")
        # The API seeded placement after the Gateway loaded it: route by the seeded maps.
        post_json(f"{gateway_url}/admin/v1/config/reload", {})
        tenants = _seed_tenants(seed_file)
        if tenants and TRAFFIC_RPS > 0:
            self.traffic = self._spawn(
                "traffic",
                [
                    sys.executable,
                    "-m",
                    "cloudlysis_devfleet",
                    "traffic",
                    "--gateway",
                    gateway_url,
                    "--tenants",
                    ",".join(tenants),
                    "--rps",
                    str(TRAFFIC_RPS),
                ],
                stdout=subprocess.DEVNULL,
            )
        provision_principals(gateway_url, base)
        admin_token = base / "tokens" / "admin.jwt"
        print(
            f"\nCloudlysis Control demo is up:\n"
            f"  UI + API   {api_url}/\n"
            f"  API docs   {api_url}/schema\n"
            f"  Gateway    {gateway_url}\n"
            f"  platform   2 Aggregate, 2 Projection, 2 Runner on 127.0.0.1:"
            f"{PLATFORM_BASE_PORT}-{PLATFORM_BASE_PORT + PLATFORM_INSTANCES - 1}\n"
            + (
                f"  metrics    VictoriaMetrics {self.metrics_url} (scrapes every 5 s, "
                f"{base / 'metrics'})\n"
                if self.metrics_url
                else "  metrics    none (no victoria-metrics): charts answer 503\n"
            )
            + (
                f"  traffic    {TRAFFIC_RPS:g} req/s mean via the Gateway, a day every hour, "
                f"noisy tenant {noisy_tenant(tenants)}; a `-bad` tag (e.g. "
                f"{RELEASES['aggregate'].bad}) fails and slows its instance\n"
                if self.traffic
                else ""
            )
            + f"  tokens     {base / 'tokens'}/{{admin,viewer,acme-operator}}.jwt\n"
            f"  passwords  {base / 'passwords'}/{{admin,viewer,acme-operator}}.txt "
            f"(password sign-in and SSO)\n"
            f'  try        curl -H "authorization: Bearer $(cat {admin_token})" '
            f"{api_url}/admin/v1/whoami\n"
            f"Ctrl-C stops everything."
            + (" A dead API is started again (--restart)." if self.restart else "")
            + "\n",
            flush=True,
        )
        self._supervise(api_url)

    def _start_metrics(
        self, repo_root: Path, instance_urls: list[str], api_env: Mapping[str, str]
    ) -> dict[str, str]:
        """VictoriaMetrics scraping the API and the instances every 5 s, and vmalert recording
        the rules, both under DIR/metrics; CONTROL_METRICS_URL for the API. Without the binaries
        the demo runs on and says so: the console's charts then answer 503."""
        missing = metrics_store.missing_binaries()
        if missing:
            print(
                f"demo: {' and '.join(missing)} not found: running WITHOUT a metrics history "
                "(the console's charts answer 503 metrics_unavailable). Install them with "
                "scripts/install-obs-tools.sh (Debian's victoria-metrics) and start again.",
                file=sys.stderr,
                flush=True,
            )
            return {}
        if not _port_free(METRICS_PORT):
            raise DemoFailed(f"port {METRICS_PORT} (VictoriaMetrics) is in use")
        build = (
            api_env.get("CONTROL_VERSION") or "0.1.0",
            api_env.get("CONTROL_GIT_SHA") or "unknown",
        )
        assert self.nats is not None
        assert self.nats.monitor_port is not None
        node_port, nats_port = free_port(), free_port()
        self.exporters = self._spawn(
            "exporters",
            [
                sys.executable,
                "-m",
                "cloudlysis_devfleet",
                "exporters",
                f"--node-port={node_port}",
                f"--nats-port={nats_port}",
                f"--nats-monitor=http://127.0.0.1:{self.nats.monitor_port}",
            ],
            stdout=subprocess.DEVNULL,
        )
        config = metrics_store.write_scrape_config(
            repo_root,
            self.base / "metrics" / "scrape.yml",
            instance_urls,
            ("127.0.0.1", self.port),
            build,
            exporter_urls={
                "node-exporter": f"http://127.0.0.1:{node_port}",
                "nats": f"http://127.0.0.1:{nats_port}",
            },
        )
        log = (self.base / "metrics" / "vm.log").open("ab")
        self.vm = self._spawn(
            "victoria-metrics",
            metrics_store.victoria_metrics_argv(
                self.base / "metrics" / "data", METRICS_PORT, config
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.metrics_url = f"http://127.0.0.1:{METRICS_PORT}"
        self._wait_http(f"{self.metrics_url}/health")
        self.vmalert = self._spawn(
            "vmalert",
            metrics_store.vmalert_argv(repo_root, self.metrics_url, free_port()),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        return {"CONTROL_METRICS_URL": self.metrics_url}

    def _supervise(self, api_url: str) -> None:
        """Until a signal: a dead process stops the demo, except the API under --restart."""
        api_ready = True
        early_exits = 0  # in a row, each before the restarted API was ready
        while True:
            self._check_alive(but_api=self.restart)
            assert self.api is not None
            code = self.api.poll()
            if code is not None:
                early_exits = 0 if api_ready else early_exits + 1
                what = f"the API (pid {self.api.pid}) {_how(code)}"
                if early_exits >= _RESTART_ATTEMPTS:
                    raise DemoFailed(
                        f"{what}, {early_exits} times in a row before it was ready; "
                        f"stopping the demo"
                    )
                print(f"demo: {what}; starting it again (--restart)", file=sys.stderr, flush=True)
                time.sleep(1)
                self._start_api()
                api_ready = False
            elif not api_ready and _ready(f"{api_url}/ready"):
                api_ready = True
                print(f"demo: the API is back on {api_url}/", file=sys.stderr, flush=True)
            time.sleep(0.5)

    def stop(self) -> None:
        """SIGINT to the API, the Gateway and the platform (10 s each, then SIGKILL), then NATS."""
        procs = [(name, p) for name, p in self._named() if p is not None]
        for _, proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for _, proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if self.nats is not None:
            asyncio.run(self.nats.stop())
            if self.nats.process is not None:
                procs.append(("nats-server", self.nats.process))
        for name, proc in procs:
            remove_pid_file(self.pids, name, proc.pid)

    def _named(self) -> list[tuple[str, subprocess.Popen[bytes] | None]]:
        return [
            ("traffic", self.traffic),
            ("exporters", self.exporters),
            ("api", self.api),
            ("gateway", self.gateway),
            ("platform", self.platform),
            ("vmalert", self.vmalert),
            ("victoria-metrics", self.vm),
        ]


def main(argv: list[str] | None = None) -> None:
    """`cloudlysis-demo`: NATS, the devfleet and the API (+ UI) on 127.0.0.1."""
    import argparse

    from cloudlysis_control.core.errors import SettingsError

    parser = argparse.ArgumentParser(prog="cloudlysis-demo", description=main.__doc__)
    parser.add_argument("--dir", default=".demo", help="state and tokens directory")
    parser.add_argument(
        "--port", type=int, default=None, help="the API's port (default: CONTROL_PORT, else 8080)"
    )
    parser.add_argument(
        "--restart", action="store_true", help="start the API again when it dies (else: stop)"
    )
    args = parser.parse_args(argv)
    try:
        code = run_demo(Path(args.dir), port=demo_port(args.port, os.environ), restart=args.restart)
    except SettingsError as e:
        print(f"cloudlysis-demo: configuration error: {e}", file=sys.stderr)
        code = 2
    sys.exit(code)
