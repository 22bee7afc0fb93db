"""Three real nats-server processes as one JetStream cluster on loopback (tests only).

Each node (server names n1..n3, index 0..2) has its own client, cluster-route and monitoring
port (free ports taken once, kept across restarts) and its own JetStream store dir under the
test's tmp dir. `kill(i)` is a SIGKILL, `start(i)` restarts the same node (same name, store and
ports, so it rejoins and catches up), `pause(i)`/`resume(i)` are SIGSTOP/SIGCONT (a node that
stops answering without closing its sockets: the closest thing to a partition on one host).

    cluster.urls          ["nats://127.0.0.1:p1", ...] (one per node, index order)
    cluster.url           the same, comma-joined (what CONTROL_NATS_URL takes)
    await cluster.wait_healthy()          every running node up and current, meta leader elected
    await cluster.leader_of("STREAM")     index of the node leading that stream
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from cloudlysis_control.adapters.nats.server import find_nats_server
from cloudlysis_control.core.procs import die_with_parent
from tests.support.net import free_port

CLUSTER_NAME = "control-test"


class NatsNode:
    def __init__(self, index: int, root: Path) -> None:
        self.index = index
        self.name = f"n{index + 1}"
        self.dir = root / self.name
        self.store_dir = self.dir / "jetstream"
        self.port = free_port()
        self.route_port = free_port()
        self.monitor_port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.paused = False

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def config(self, peers: list[NatsNode]) -> str:
        routes = ", ".join(
            f'"nats-route://127.0.0.1:{p.route_port}"' for p in peers if p is not self
        )
        return (
            f'server_name: "{self.name}"\n'
            f"listen: 127.0.0.1:{self.port}\n"
            f"http: 127.0.0.1:{self.monitor_port}\n"
            f'jetstream {{ store_dir: "{self.store_dir}" }}\n'
            f"cluster {{\n"
            f'  name: "{CLUSTER_NAME}"\n'
            f"  listen: 127.0.0.1:{self.route_port}\n"
            f"  routes: [{routes}]\n"
            f"}}\n"
        )

    def spawn(self, peers: list[NatsNode]) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        conf = self.dir / "nats.conf"
        conf.write_text(self.config(peers))
        with open(self.dir / "nats-server.log", "ab") as log:
            self.process = subprocess.Popen(
                [find_nats_server(), "-c", str(conf)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=die_with_parent(signal.SIGKILL),
            )
        self.paused = False

    def signal(self, sig: int) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, sig)

    def kill(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        self.paused = False

    def monitor(self, path: str, timeout_s: float = 1.0) -> Any:
        """GET the monitoring endpoint; the decoded JSON, or None when it does not answer 200."""
        url = f"http://127.0.0.1:{self.monitor_port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=timeout_s) as r:
                return json.loads(r.read())
        except (OSError, urllib.error.URLError, ValueError):
            return None


class NatsCluster:
    """Three JetStream nodes n1..n3 (indexes 0..2) in one cluster on 127.0.0.1."""

    def __init__(self, root: Path, size: int = 3) -> None:
        self.root = root
        self.nodes = [NatsNode(i, root) for i in range(size)]

    @property
    def urls(self) -> list[str]:
        return [n.url for n in self.nodes]

    @property
    def url(self) -> str:
        return ",".join(self.urls)

    def start_all(self) -> None:
        for n in self.nodes:
            n.spawn(self.nodes)

    def start(self, i: int) -> None:
        """(Re)start node i with the same name, store dir and ports."""
        node = self.nodes[i]
        if node.running:
            raise RuntimeError(f"{node.name} is already running")
        node.spawn(self.nodes)

    def kill(self, i: int) -> None:
        """SIGKILL node i (no lame duck, no flush)."""
        node = self.nodes[i]
        if node.paused:
            node.signal(signal.SIGCONT)  # a stopped process still dies on SIGKILL; tidy anyway
        node.kill()

    def pause(self, i: int) -> None:
        """SIGSTOP node i: its sockets stay open, it answers nothing."""
        self.nodes[i].signal(signal.SIGSTOP)
        self.nodes[i].paused = True

    def resume(self, i: int) -> None:
        self.nodes[i].signal(signal.SIGCONT)
        self.nodes[i].paused = False

    def stop_all(self) -> None:
        for n in self.nodes:
            with contextlib.suppress(Exception):
                if n.paused:
                    n.signal(signal.SIGCONT)
                n.kill()

    def running(self) -> list[int]:
        return [n.index for n in self.nodes if n.running and not n.paused]

    def _health(self) -> tuple[bool, str]:
        up = [n for n in self.nodes if n.running and not n.paused]
        if not up:
            return False, "no node running"
        leaders: set[str] = set()
        for n in up:
            # The full /healthz: JetStream up, meta leader known, and this node's streams and
            # consumers current (a restarted node catching up is not healthy yet).
            if n.monitor("/healthz") is None:
                return False, f"{n.name} not healthy"
            jsz = n.monitor("/jsz")
            meta = (jsz or {}).get("meta_cluster") or {}
            leader = meta.get("leader")
            if not leader:
                return False, f"{n.name} sees no meta leader"
            leaders.add(str(leader))
            peers = meta.get("replicas") or []
            current = [p for p in peers if p.get("current") and not p.get("offline")]
            # Every running node counts itself out of `replicas`; the leader lists followers.
            if n.name == leader and len(current) < len(up) - 1:
                return False, f"meta leader {n.name} has {len(current)} current peers"
        if len(leaders) != 1:
            return False, f"nodes disagree on the meta leader: {sorted(leaders)}"
        return True, "ok"

    async def wait_healthy(self, timeout_s: float = 30.0) -> None:
        """Every running node answers /healthz (its streams current), all agree on one meta
        leader that sees them current."""
        deadline = time.monotonic() + timeout_s
        why = ""
        while time.monotonic() < deadline:
            ok, why = await asyncio.to_thread(self._health)
            if ok:
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"NATS cluster not healthy within {timeout_s} s: {why}")

    def _stream_leader(self, stream: str) -> int | None:
        for n in self.nodes:
            if not n.running or n.paused:
                continue
            jsz = n.monitor("/jsz?streams=true")
            for acc in (jsz or {}).get("account_details") or []:
                for sd in acc.get("stream_detail") or []:
                    if sd.get("name") != stream:
                        continue
                    leader = (sd.get("cluster") or {}).get("leader")
                    for m in self.nodes:
                        if m.name == leader and m.running and not m.paused:
                            return m.index
        return None

    async def leader_of(self, stream: str, timeout_s: float = 15.0) -> int:
        """Index (0..2) of the running node leading `stream` (a KV bucket's is KV_<bucket>);
        waits for an election."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            leader = await asyncio.to_thread(self._stream_leader, stream)
            if leader is not None:
                return leader
            await asyncio.sleep(0.1)
        raise AssertionError(f"stream {stream} has no leader within {timeout_s} s")

    def connected_index(self, connected_url: Any) -> int:
        """Index of the node a nats-py client is connected to (`nc.connected_url`)."""
        port = getattr(connected_url, "port", None)
        for n in self.nodes:
            if n.port == port:
                return n.index
        raise AssertionError(f"not one of the cluster's nodes: {connected_url!r}")


@pytest.fixture
async def nats_cluster(tmp_path: Path) -> AsyncIterator[NatsCluster]:
    """A fresh three-node JetStream cluster for this test; every node is killed at the end."""
    cluster = NatsCluster(tmp_path / "nats-cluster")
    cluster.start_all()
    try:
        await cluster.wait_healthy(60.0)
        yield cluster
    finally:
        cluster.stop_all()
