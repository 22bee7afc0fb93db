"""The demo's processes: nothing outlives a killed demo, a start clears an earlier demo's
leftovers, a dead API stops the demo with a message (or comes back with --restart), and the demo
honours CONTROL_PORT.

Real processes, started as `./run demo` starts them (`uv run cloudlysis-demo`), each demo
on its own ports in DEMO_PORT_RANGE (Gateway and platform ports moved by DEMO_GATEWAY_PORT and
DEMO_PLATFORM_BASE_PORT) and its own directory. Every process a test started is killed at its
end, found by its process group (the demo's children stay in it, orphaned or not).
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.integration

API_DIR = Path(__file__).resolve().parents[2]
# Away from the demo's defaults (8080, 8701, 8711-8716) and the ephemeral range.
DEMO_PORT_RANGE = range(8400, 8500)
DEADLINE_S = 90.0  # generous: two cores shared with other runs


# -- /proc ------------------------------------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    """Fields 3.. of /proc/pid/stat (state first), None when gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def start_time(pid: int) -> str | None:
    fields = _stat(pid)
    return None if fields is None or fields[0] in ("Z", "X") else fields[19]


def argv(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]
    except OSError:
        return []


def all_pids() -> list[int]:
    return [int(e.name) for e in Path("/proc").iterdir() if e.name.isdigit()]


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for p in all_pids():
        fields = _stat(p)
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(p)
    out: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def group_members(pgid: int) -> set[int]:
    """Demo processes (by argv) in process group `pgid`: a group keeps its number while it has
    members, and the role check keeps out anything else that might later reuse it."""
    out = set()
    for p in all_pids():
        fields = _stat(p)
        if (
            fields is not None
            and int(fields[2]) == pgid
            and fields[0] not in ("Z", "X")
            and role(p) is not None
        ):
            out.add(p)
    return out


def role(pid: int) -> str | None:
    """What a process of the demo is, from its argv."""
    a = argv(pid)
    if not a:
        return None
    if os.path.basename(a[0]) == "nats-server":
        return "nats-server"
    if os.path.basename(a[0]) in ("victoria-metrics", "vmalert"):
        return os.path.basename(a[0])
    if a[1:3] == ["-m", "cloudlysis_devfleet"] and len(a) > 3:
        roles = {"gateway": "gateway", "many": "platform"}
        return roles.get(a[3], a[3] if a[3] in ("traffic", "exporters") else None)
    if a[1:4] == ["-m", "cloudlysis_control", "serve"]:
        # The ASGI server (granian) forks its workers with the same argv: "the API" is the
        # server process, a worker is the one whose parent is the API too.
        fields = _stat(pid)
        parent = argv(int(fields[1])) if fields is not None else []
        return "api-worker" if parent[1:4] == ["-m", "cloudlysis_control", "serve"] else "api"
    if os.path.basename(a[0]) != "uv" and any(x.endswith("cloudlysis-demo") for x in a):
        return "demo"
    return None


def port_free(port: int) -> bool:
    """Nothing listens on the port (connections left in TIME_WAIT do not count)."""
    with socket.socket() as s:
        s.settimeout(1)
        try:
            s.connect(("127.0.0.1", port))
        except OSError:
            return True
    return False


def bindable(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_until(what: str, check: Callable[[], bool], timeout: float = DEADLINE_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


# -- one demo ---------------------------------------------------------------------------------


@dataclass
class Ports:
    api: int
    gateway: int
    platform: int  # the first of 6
    metrics: int  # VictoriaMetrics

    def all(self) -> list[int]:
        return [self.api, self.gateway, *range(self.platform, self.platform + 6), self.metrics]


def free_ports() -> Ports:
    """9 consecutive free ports in DEMO_PORT_RANGE: the API, the Gateway, 6 platform instances,
    VictoriaMetrics."""
    starts = list(range(DEMO_PORT_RANGE.start, DEMO_PORT_RANGE.stop - 9))
    random.shuffle(starts)
    for start in starts:
        if all(bindable(p) for p in range(start, start + 9)):
            return Ports(api=start, gateway=start + 1, platform=start + 2, metrics=start + 8)
    raise AssertionError(f"no 9 consecutive free ports in {DEMO_PORT_RANGE}")


@dataclass
class Demo:
    proc: subprocess.Popen[bytes]
    base: Path
    ports: Ports
    log: Path
    seen: dict[int, tuple[str, str | None]] = field(default_factory=dict)  # pid: (role, start)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports.api}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def processes(self) -> dict[str, int]:
        """Role → pid of the demo's live processes (below the launcher); remembered in `seen`."""
        out: dict[str, int] = {}
        for pid in descendants(self.proc.pid):
            r = role(pid)
            started = start_time(pid)
            if r is not None and started is not None:
                out[r] = pid
                self.seen[pid] = (r, started)
        return out

    def alive_seen(self) -> dict[int, str]:
        """Processes this demo had that still run (the same ones: start times match)."""
        return {
            pid: r
            for pid, (r, started) in self.seen.items()
            if started is not None and start_time(pid) == started
        }

    def wait_ready(self, timeout: float = DEADLINE_S) -> None:
        """This demo's processes run and /ready answers 200. An earlier demo's API can still
        answer on the same port for a moment (granian drains its worker on the SIGTERM its
        parent's death sends) until this demo clears it: /ready only counts once this demo's
        own processes are there."""
        deadline = time.monotonic() + timeout
        need = {"demo", "nats-server", "gateway", "platform", "api"}
        procs: dict[str, int] = {}
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, (
                f"demo exited with {self.proc.returncode}:\n{self.output()}"
            )
            procs = self.processes()
            if set(procs) >= need:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{self.url}/ready", timeout=2).status_code == 200:
                        return
            time.sleep(0.3)
        raise AssertionError(
            f"demo not ready in {timeout:.0f} s (its processes: {procs}):\n{self.output()}"
        )

    def nats_port(self) -> int | None:
        log = self.base / "data" / "nats" / "nats-server.log"
        with contextlib.suppress(OSError):
            for line in log.read_text().splitlines()[::-1]:
                if "Listening for client connections on" in line:
                    return int(line.rsplit(":", 1)[1])
        return None

    def wait_all_gone(self, nats_port: int | None) -> None:
        """Every process the demo had is gone and its ports are free."""
        ports = self.ports.all() + ([nats_port] if nats_port else [])
        wait_until(
            "every process of the demo exits and its ports are free",
            lambda: not self.alive_seen() and all(port_free(p) for p in ports),
        )

    def kill_everything(self) -> None:
        """Teardown: SIGKILL what is left of this demo (its process group, and by pid)."""
        pids = group_members(self.proc.pid) | set(self.alive_seen())
        if self.proc.poll() is None:
            pids.add(self.proc.pid)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(start_time(p) for p in pids):
            time.sleep(0.1)


class Demos:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.started: list[Demo] = []

    def start(
        self,
        base: Path,
        ports: Ports,
        *args: str,
        port_flag: bool = True,
        env: dict[str, str] | None = None,
    ) -> Demo:
        log = self.tmp_path / f"demo-{len(self.started)}.log"
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("CONTROL_", "DEMO_"))}
        environ |= {
            "DEMO_GATEWAY_PORT": str(ports.gateway),
            "DEMO_PLATFORM_BASE_PORT": str(ports.platform),
            "DEMO_METRICS_PORT": str(ports.metrics),
            **(env or {}),
        }
        cmd = ["uv", "run", "--no-sync", "cloudlysis-demo", "--dir", str(base)]
        if port_flag:
            cmd += ["--port", str(ports.api)]
        proc = subprocess.Popen(
            [*cmd, *args],
            cwd=API_DIR,
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: teardown never touches pytest
        )
        demo = Demo(proc, base, ports, log)
        self.started.append(demo)
        return demo

    def teardown(self) -> None:
        for demo in self.started:
            demo.kill_everything()


@pytest.fixture
def demos(tmp_path: Path) -> Iterator[Demos]:
    d = Demos(tmp_path)
    try:
        yield d
    finally:
        d.teardown()


def stop(demo: Demo) -> int:
    """Ctrl-C (SIGINT to the launcher, which forwards it): the demo's exit code."""
    nats = demo.nats_port()
    demo.proc.send_signal(signal.SIGINT)
    code = demo.proc.wait(DEADLINE_S)
    demo.wait_all_gone(nats)
    return code


# -- the tests --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "sig"),
    [
        ("demo", signal.SIGKILL),
        ("launcher", signal.SIGKILL),
        ("demo", signal.SIGTERM),
    ],
    ids=["sigkill-demo", "sigkill-launcher", "sigterm-demo"],
)
def test_a_killed_demo_leaves_nothing_running(
    demos: Demos, tmp_path: Path, target: str, sig: signal.Signals
) -> None:
    """SIGKILL of the demo (or of `uv run` above it) or SIGTERM: nats-server, the Gateway, the
    platform instances and the API all exit by themselves and free their ports."""
    demo = demos.start(tmp_path / "demo", free_ports())
    demo.wait_ready()
    nats = demo.nats_port()
    assert nats is not None
    pid = demo.proc.pid if target == "launcher" else demo.processes()["demo"]
    os.kill(pid, sig)
    demo.wait_all_gone(nats)
    code = demo.proc.wait(DEADLINE_S)
    if sig == signal.SIGTERM:
        assert code == 0, demo.output()  # an orderly stop, as on Ctrl-C


def test_a_start_right_after_a_sigkill_comes_up(demos: Demos, tmp_path: Path) -> None:
    """SIGKILL the demo and start it again at once, same directory and ports: it comes up. The
    Gateway is stopped (SIGSTOP) before the kill, so it cannot act on its parent-death signal:
    the second start must find it in the first one's pid files and clear it."""
    base, ports = tmp_path / "demo", free_ports()
    first = demos.start(base, ports)
    first.wait_ready()
    procs = first.processes()
    os.kill(procs["gateway"], signal.SIGSTOP)
    os.kill(procs["demo"], signal.SIGKILL)
    second = demos.start(base, ports)
    second.wait_ready()
    assert first.alive_seen() == {}, first.alive_seen()  # the stopped Gateway included
    assert "earlier demo" in second.output()
    assert stop(second) == 0


def test_a_dead_api_stops_the_demo_with_a_message(demos: Demos, tmp_path: Path) -> None:
    demo = demos.start(tmp_path / "demo", free_ports())
    demo.wait_ready()
    nats = demo.nats_port()
    api = demo.processes()["api"]
    os.kill(api, signal.SIGKILL)
    code = demo.proc.wait(DEADLINE_S)
    assert code != 0, demo.output()
    assert f"the API (pid {api}) was killed by SIGKILL" in demo.output()
    demo.wait_all_gone(nats)


def test_restart_brings_a_dead_api_back(demos: Demos, tmp_path: Path) -> None:
    demo = demos.start(tmp_path / "demo", free_ports(), "--restart")
    demo.wait_ready()
    api = demo.processes()["api"]
    os.kill(api, signal.SIGKILL)

    last: list[str] = ["no answer yet"]

    def back() -> bool:
        now = demo.processes().get("api")
        if now in (None, api):
            last[0] = f"no new API process (processes: {demo.processes()})"
            return False
        try:
            r = httpx.get(f"{demo.url}/ready", timeout=2)
        except httpx.HTTPError as e:
            last[0] = f"new API pid {now}: /ready {type(e).__name__}"
            return False
        last[0] = f"new API pid {now}: /ready {r.status_code} {r.text[:500]}"
        return r.status_code == 200

    try:
        wait_until("a new API process answers /ready", back)
    except AssertionError as e:
        raise AssertionError(f"{e}; last seen: {last[0]}\n{demo.output()}") from None
    assert demo.proc.poll() is None, demo.output()
    assert f"the API (pid {api}) was killed by SIGKILL; starting it again" in demo.output()
    assert stop(demo) == 0


def test_the_demo_honours_control_port(demos: Demos, tmp_path: Path) -> None:
    """No --port: the API listens on CONTROL_PORT, as docs/configuration.md says."""
    ports = free_ports()
    demo = demos.start(
        tmp_path / "demo", ports, port_flag=False, env={"CONTROL_PORT": str(ports.api)}
    )
    demo.wait_ready()
    assert stop(demo) == 0
