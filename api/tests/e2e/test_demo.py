"""`cloudlysis-demo` end to end: up, tokens, rights, a job, Ctrl-C, and a second run.

The demo binds the devfleet Gateway to the fixed port 8701 (demo.GATEWAY_PORT), so two demo tests
cannot run at the same time on one machine; this test refuses to start if 8701 is taken.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from cloudlysis_devfleet.demo import GATEWAY_PORT
from cloudlysis_devfleet.world import ORPHAN, STACK

from tests.support.net import free_port

pytestmark = pytest.mark.integration

API_DIR = Path(__file__).resolve().parents[2]


def port_free(port: int) -> bool:
    """Nothing listens on the port (connections left in TIME_WAIT do not count)."""
    with socket.socket() as s:
        s.settimeout(1)
        try:
            s.connect(("127.0.0.1", port))
        except OSError:
            return True
    return False


def descendants(pid: int) -> set[int]:
    """Every live process below `pid`, read from /proc (no psutil needed)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    out: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def start_demo(base: Path, port: int, log: Path, metrics_port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTROL_")}
    env["DEMO_METRICS_PORT"] = str(metrics_port)
    return subprocess.Popen(
        [
            "uv",
            "run",
            "--no-sync",
            "cloudlysis-demo",
            "--dir",
            str(base),
            "--port",
            str(port),
        ],
        cwd=API_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # our own process group, so cleanup never touches pytest
    )


def wait_ready(proc: subprocess.Popen[bytes], url: str, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, (
            f"demo exited with {proc.returncode}:\n{log.read_text()[-3000:]}"
        )
        try:
            if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"demo not ready in {timeout} s:\n{log.read_text()[-3000:]}")


def wait_tokens(base: Path, timeout: float = 20) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        paths = {
            who: base / "tokens" / f"{who}.jwt" for who in ("admin", "viewer", "acme-operator")
        }
        if all(p.is_file() and p.read_text().strip() for p in paths.values()):
            return {who: p.read_text().strip() for who, p in paths.items()}
        time.sleep(0.1)
    raise AssertionError("tokens/{admin,viewer,acme-operator}.jwt were not written")


def stop_demo(proc: subprocess.Popen[bytes], ports: list[int], log: Path) -> None:
    """Ctrl-C the demo; every process it started must be gone and its ports free in 15 s."""
    tree = descendants(proc.pid)
    names = {pid: cmdline(pid) for pid in tree}
    assert any("nats-server" in c for c in names.values()), names
    assert any("devfleet" in c for c in names.values()), names
    assert any("serve" in c for c in names.values()), names
    # SIGINT to the launcher only (`uv run` forwards it to the demo, which stops its children).
    # A terminal's Ctrl-C would also hit every child directly; see the module docstring.
    proc.send_signal(signal.SIGINT)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if (
            proc.poll() is not None
            and not any(alive(p) for p in tree | {proc.pid})
            and all(port_free(p) for p in ports)
        ):
            return
        time.sleep(0.2)
    left = {p: names.get(p, "demo") for p in tree | {proc.pid} if alive(p)}
    busy = [p for p in ports if not port_free(p)]
    with_ids = list(left)
    for pid in with_ids:  # clean up what we started, by id, before failing
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    raise AssertionError(
        f"after SIGINT, still alive after 15 s: {left}; ports still bound: {busy}\n"
        f"{log.read_text()[-3000:]}"
    )


def nats_port(base: Path) -> int | None:
    log = base / "data" / "nats" / "nats-server.log"
    if not log.is_file():
        return None
    for line in log.read_text().splitlines()[::-1]:
        if "Listening for client connections on" in line:
            return int(line.rsplit(":", 1)[1])
    return None


def check_metrics_history(c: httpx.Client, admin: dict[str, str], log: Path) -> None:
    """With VictoriaMetrics installed the console's charts have data (scraped instances, the
    Gateway's tenant series); without it the demo says so and the charts answer 503."""
    if shutil.which("victoria-metrics") is None or shutil.which("vmalert") is None:
        assert "running WITHOUT a metrics history" in log.read_text()
        r = c.get("/admin/v1/metrics/tenant_gateway_inflight", headers=admin)
        assert r.status_code == 503 and r.json()["code"] == "metrics_unavailable", r.text
        return
    # Every named query of the console (those taking a service: for aggregate). The recording
    # rules (vmalert, every 30 s) and the error ratios (the 1 % a good build fails) take longest.
    catalogue = c.get("/admin/v1/metrics", headers=admin).json()
    names = [q["name"] for q in catalogue]
    assert len(names) >= 13, names
    service_scoped = {q["name"] for q in catalogue if "service" in q["variables"]}
    assert {"request_rate_by_instance", "error_ratio_by_version"} <= service_scoped
    empty = set(names)
    deadline = time.monotonic() + 180
    while empty and time.monotonic() < deadline:
        for name in sorted(empty):
            params: dict[str, str | int] = {
                "range": 600,
                **({"service": "aggregate"} if name in service_scoped else {}),
            }
            r = c.get(f"/admin/v1/metrics/{name}", params=params, headers=admin)
            assert r.status_code == 200, r.text
            if r.json()["series"]:
                empty.discard(name)
        time.sleep(2)
    assert not empty, f"named queries without data from the demo after 180 s: {sorted(empty)}"


def test_demo_end_to_end(tmp_path: Path) -> None:
    if not port_free(GATEWAY_PORT):
        pytest.fail(f"port {GATEWAY_PORT} (the demo Gateway's fixed port) is already in use")
    base = tmp_path / "demo"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "demo.log"
    metrics_port = free_port()

    proc = start_demo(base, port, log, metrics_port)
    try:
        wait_ready(proc, url, log)
        tokens = wait_tokens(base)
        admin = {"authorization": f"Bearer {tokens['admin']}"}
        viewer = {"authorization": f"Bearer {tokens['viewer']}"}
        with httpx.Client(base_url=url, timeout=10) as c:
            for who, headers in (("admin", admin), ("viewer", viewer)):
                r = c.get("/admin/v1/whoami", headers=headers)
                assert r.status_code == 200, r.text
                assert r.json()["principal_id"] == who
            # The tenant operator: operate rights on acme-eu and acme-us only, and a password.
            operator = {"authorization": f"Bearer {tokens['acme-operator']}"}
            who = c.get("/admin/v1/whoami", headers=operator).json()
            assert who["rights"] == []
            assert who["tenant_rights"]["control.tenants.operate"] == ["acme-eu", "acme-us"]
            listed = c.get("/admin/v1/tenants", headers=operator).json()
            assert [t["tenant_id"] for t in listed["items"]] == ["acme-eu", "acme-us"]
            password_file = base / "passwords" / "acme-operator.txt"
            assert password_file.stat().st_mode & 0o077 == 0
            signed_in = c.post(
                "/admin/v1/session/login",
                json={"username": "acme-operator", "password": password_file.read_text().strip()},
            )
            assert signed_in.status_code == 200, signed_in.text
            assert "cloudlysis_refresh" in signed_in.cookies
            r = c.post(
                "/admin/v1/jobs/kinds/platform.verify",
                json={"reason": "viewer tries"},
                headers={**viewer, "Idempotency-Key": uuid.uuid4().hex},
            )
            assert r.status_code == 403, r.text
            assert r.json()["missing_right"] == "control.jobs.run"
            key = uuid.uuid4().hex
            r = c.post(
                "/admin/v1/jobs/kinds/platform.verify",
                json={"reason": "e2e demo check"},
                headers={**admin, "Idempotency-Key": key},
            )
            assert r.status_code == 202, r.text
            job_id = r.json()["id"]
            job: dict[str, Any] = {}
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                job = c.get(f"/admin/v1/jobs/{job_id}", headers=admin).json()
                if job["status"] in ("succeeded", "failed", "cancelled", "timed_out"):
                    break
                time.sleep(0.2)
            assert job["status"] == "succeeded", job
            check_metrics_history(c, admin, log)
        nats = nats_port(base)
        ports = [port, GATEWAY_PORT] + ([nats] if nats else [])
        assert nats is not None, "the embedded nats-server's port is not in its log"
        stop_demo(proc, ports, log)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)

    # -- second run, same dir, no cleanup -----------------------------------------------------
    assert port_free(GATEWAY_PORT)
    proc = start_demo(base, port, log, metrics_port)
    try:
        wait_ready(proc, url, log)
        # the tokens are re-minted on every start; the Gateway keeps its signing keys
        tokens = wait_tokens(base)
        admin = {"authorization": f"Bearer {tokens['admin']}"}
        with httpx.Client(base_url=url, timeout=10) as c:
            r = c.get(f"/admin/v1/jobs/{job_id}", headers=admin)
            assert r.status_code == 200, r.text
            assert r.json()["status"] == "succeeded"
            listed = c.get("/admin/v1/jobs", headers=admin).json()["items"]
            assert job_id in {j["id"] for j in listed}
            # the idempotency key survived too: same key, same body → the same job
            r = c.post(
                "/admin/v1/jobs/kinds/platform.verify",
                json={"reason": "e2e demo check"},
                headers={**admin, "Idempotency-Key": key},
            )
            assert r.status_code in (200, 202) and r.json()["id"] == job_id, r.text
            events = c.get("/admin/v1/audit", params={"actor": "admin"}, headers=admin).json()[
                "items"
            ]
            assert any(e.get("job_id") == job_id for e in events)
            # the demo Swarm (file mode) and its deployment history are there for the UI
            # (generated from the devfleet: one service per instance, each at its address)
            # (plus the one orphan the demo seeds for drift, which has no admin address)
            swarm = c.get("/admin/v1/swarm/services", headers=admin).json()
            services = [s for s in swarm["items"] if s["service"] != f"{STACK}_{ORPHAN}"]
            assert swarm["source"] == "file" and len(swarm["items"]) == 8 and len(services) == 7
            fleet = c.get("/admin/v1/fleet", headers=admin).json()["instances"]
            assert {s["admin_url"] for s in services} == {i["url"] for i in fleet}
            # ... and drift shows one seeded item of each category
            drift = c.get("/admin/v1/platform/drift", headers=admin).json()
            assert {i["category"] for i in drift["items"]} >= {
                "missing",
                "extra",
                "version",
                "config",
                "unhealthy",
            }, drift["items"]
            deployments = c.get("/admin/v1/deployments", headers=admin).json()["items"]
            assert {d["service"] for d in deployments} >= {"platform_gateway", "platform_runner-1"}
        nats = nats_port(base)
        stop_demo(proc, [port, GATEWAY_PORT] + ([nats] if nats else []), log)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
