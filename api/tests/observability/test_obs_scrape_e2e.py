"""The real vmagent runs vmagent/scrape.yml against a fake Docker Swarm API.

The only change to the committed scrape config is the Docker host (a loopback HTTP server that
answers /tasks, /services, /networks and /nodes like the Engine API) and shorter intervals.
vmagent discovers the tasks, applies our relabelling, scrapes loopback /metrics servers and
remote-writes into a fresh VictoriaMetrics, where the stored labels are checked.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.support.net import free_port
from tests.support.obs import SCRAPE_CONFIG, VictoriaMetrics, require_binary

GATEWAY_METRICS = """\
# TYPE gateway_build_info gauge
gateway_build_info{service="gateway",version="%(version)s",git_sha="%(sha)s"} 1
# TYPE gateway_http_requests_total counter
gateway_http_requests_total{method="GET",route="/v1/x",status="200",trace_id="t1",request_id="r1"} 7
"""
CONTROL_METRICS = """\
# TYPE control_build_info gauge
control_build_info{service="control-api",version="0.1.0",git_sha="c0ffee1"} 1
# TYPE control_deployments_total counter
control_deployments_total{service="runner",outcome="ok"} 2
"""
_GW_CONTAINER = (
    'id="/docker/abc",name="cloudlysis_gateway.1.x",'
    'container_label_com_docker_swarm_service_name="cloudlysis_gateway"'
)
CADVISOR_METRICS = (
    "# TYPE container_memory_working_set_bytes gauge\n"
    f'container_memory_working_set_bytes{{{_GW_CONTAINER},image="gw:1.5.0",'
    'container_label_com_docker_stack_namespace="cloudlysis"} 1e+08\n'
    'container_memory_working_set_bytes{id="/system.slice/docker.service",name=""} 5e+07\n'
    "# TYPE container_tasks_state gauge\n"
    f'container_tasks_state{{{_GW_CONTAINER},state="running"}} 1\n'
)
NODE_METRICS = """\
# TYPE node_load1 gauge
node_load1 0.5
# TYPE node_filesystem_avail_bytes gauge
node_filesystem_avail_bytes{device="/dev/sda1",fstype="ext4",mountpoint="/"} 4e+10
node_filesystem_avail_bytes{device="tmpfs",fstype="tmpfs",mountpoint="/run"} 1e+08
# TYPE node_scrape_collector_success gauge
node_scrape_collector_success{collector="cpu"} 1
"""
NATS_METRICS = """\
# TYPE gnatsd_varz_connections gauge
gnatsd_varz_connections{server_id="NATS1"} 12
"""


def _labels(svc: str, version: str, sha: str, port: int, **extra: str) -> dict[str, str]:
    labels = {
        "cloudlysis.scrape": "true",
        "cloudlysis.service": svc,
        "cloudlysis.version": version,
        "cloudlysis.image_tag": version,
        "cloudlysis.git_sha": sha,
        "cloudlysis.metrics_port": str(port),
        "com.docker.stack.namespace": "cloudlysis",
        "com.docker.swarm.service.name": f"cloudlysis_{svc}",
    }
    labels.update(extra)
    return labels


def _task(
    tid: str, labels: dict[str, str], *, network: str = "net-mon", desired: str = "running"
) -> dict[str, Any]:
    return {
        "ID": tid,
        "ServiceID": f"svc-{tid}",
        "NodeID": "node1",
        "Labels": {},
        "DesiredState": desired,
        "Slot": 1,
        "Spec": {"ContainerSpec": {"Image": "img", "Labels": labels}},
        "NetworksAttachments": [{"Addresses": ["127.0.0.1/8"], "Network": {"ID": network}}],
        "Status": {"State": desired, "ContainerStatus": {"ContainerID": f"c-{tid}"}},
    }


@dataclass
class Scraped:
    vm: VictoriaMetrics
    vmagent_url: str
    http: httpx.Client


def _serve(handler_body: bytes | None, data: dict[str, Any] | None) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if data is not None:
                body = json.dumps(data.get(self.path.split("?")[0], [])).encode()
                ctype = "application/json"
            else:
                body = handler_body or b""
                ctype = "text/plain; version=0.0.4"
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def scraped() -> Iterator[Scraped]:
    tmp = Path(tempfile.mkdtemp(prefix="cl-obs-vmagent-"))
    servers: list[ThreadingHTTPServer] = []
    vm: VictoriaMetrics | None = None
    agent: subprocess.Popen[bytes] | None = None
    http = httpx.Client(timeout=10)
    try:
        vm = VictoriaMetrics(tmp)

        def metrics(text: str) -> int:
            srv = _serve(text.encode(), None)
            servers.append(srv)
            return int(srv.server_address[1])

        gw_old = metrics(GATEWAY_METRICS % {"version": "1.4.2", "sha": "a1b2c3d"})
        gw_new = metrics(GATEWAY_METRICS % {"version": "1.5.0", "sha": "e4f5a6b"})
        ctl = metrics(CONTROL_METRICS)
        cadv = metrics(CADVISOR_METRICS)
        node = metrics(NODE_METRICS)
        nats = metrics(NATS_METRICS)
        exporter = {"cloudlysis.version": "", "cloudlysis.image_tag": "", "cloudlysis.git_sha": ""}
        tasks = [
            _task("gw-old", _labels("gateway", "1.4.2", "a1b2c3d", gw_old)),
            _task("gw-new", _labels("gateway", "1.5.0", "e4f5a6b", gw_new)),
            _task("ctl", _labels("control-api", "0.1.0", "c0ffee1", ctl)),
            _task("cadvisor", {**_labels("cadvisor", "", "", cadv), **exporter}),
            _task("node-exp", {**_labels("node-exporter", "", "", node), **exporter}),
            _task("nats-exp", {**_labels("nats-exporter", "", "", nats), **exporter}),
            # must all be ignored:
            _task("no-opt-in", {"cloudlysis.service": "runner", "cloudlysis.metrics_port": "1"}),
            _task("wrong-net", _labels("runner", "1.0.0", "x", 1), network="net-app"),
            _task("shutdown", _labels("runner", "1.0.0", "x", 1), desired="shutdown"),
        ]
        docker = _serve(
            None,
            {
                "/tasks": tasks,
                "/services": [
                    {"ID": t["ServiceID"], "Spec": {"Name": t["ID"], "Labels": {}}} for t in tasks
                ],
                "/networks": [
                    {"Id": "net-mon", "Name": "cloudlysis_monitoring", "Scope": "swarm"},
                    {"Id": "net-app", "Name": "cloudlysis_app", "Scope": "swarm"},
                ],
                "/nodes": [
                    {
                        "ID": "node1",
                        "Spec": {"Role": "manager", "Availability": "active"},
                        "Description": {"Hostname": "node-1"},
                        "Status": {"State": "ready", "Addr": "127.0.0.1"},
                    }
                ],
            },
        )
        servers.append(docker)
        config = (
            SCRAPE_CONFIG.read_text()
            .replace("unix:///var/run/docker.sock", f"http://127.0.0.1:{docker.server_address[1]}")
            .replace("scrape_interval: 15s", "scrape_interval: 1s")
            .replace("scrape_timeout: 10s", "scrape_timeout: 1s")
        )
        (tmp / "scrape.yml").write_text(config)
        port = free_port()
        agent = subprocess.Popen(
            [
                require_binary("vmagent"),
                f"-promscrape.config={tmp / 'scrape.yml'}",
                "-promscrape.config.strictParse=true",
                "-promscrape.dockerswarmSDCheckInterval=1s",
                f"-remoteWrite.url={vm.url}/api/v1/write",
                "-remoteWrite.flushInterval=500ms",
                f"-remoteWrite.tmpDataPath={tmp / 'rw'}",
                f"-httpListenAddr=127.0.0.1:{port}",
                "-loggerLevel=ERROR",
            ],
            stdout=(tmp / "vmagent.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        result = Scraped(vm=vm, vmagent_url=f"http://127.0.0.1:{port}", http=http)
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:
            if agent.poll() is not None:
                raise RuntimeError((tmp / "vmagent.log").read_text())
            vm.flush()
            got = vm.query('count(up{job="platform"} == 1)').get("data", {}).get("result", [])
            cadv_ok = vm.query("count(container_memory_working_set_bytes)")
            if got and got[0]["value"][1] == "2" and cadv_ok["data"]["result"]:
                break
            time.sleep(0.5)
        else:
            raise RuntimeError("vmagent did not deliver samples in 45s")
        yield result
    finally:
        if agent is not None and agent.poll() is None:
            agent.terminate()
            try:
                agent.wait(timeout=10)
            except subprocess.TimeoutExpired:
                agent.kill()
                agent.wait()
        for srv in servers:
            srv.shutdown()
            srv.server_close()
        if vm is not None:
            vm.stop()
        http.close()
        shutil.rmtree(tmp, ignore_errors=True)


def _series(s: Scraped, selector: str) -> list[dict[str, str]]:
    body = s.vm.get("/api/v1/series", [("match[]", selector)])
    assert body["status"] == "success", body
    return list(body["data"])


def _targets(s: Scraped) -> list[dict[str, Any]]:
    body = s.http.get(s.vmagent_url + "/api/v1/targets").json()
    return list(body["data"]["activeTargets"])


def test_discovery_keeps_only_opted_in_running_tasks_on_the_monitoring_network(
    scraped: Scraped,
) -> None:
    by_job: dict[str, list[dict[str, str]]] = {}
    for target in _targets(scraped):
        by_job.setdefault(target["labels"]["job"], []).append(target["labels"])
    assert sorted(t["version"] for t in by_job["platform"]) == ["1.4.2", "1.5.0"]
    assert [t["service"] for t in by_job["control-api"]] == ["control-api"]
    assert len(by_job["cadvisor"]) == 1
    assert len(by_job["node-exporter"]) == 1
    assert len(by_job["nats"]) == 1
    assert by_job["docker-engine"][0]["instance"] == "127.0.0.1:9323"
    assert by_job["docker-engine"][0]["node"] == "node-1"
    all_services = {t.get("service") for ts in by_job.values() for t in ts}
    assert "runner" not in all_services  # opt-out, wrong network, shut down


def test_platform_target_labels_come_from_container_labels(scraped: Scraped) -> None:
    platform = [t["labels"] for t in _targets(scraped) if t["labels"]["job"] == "platform"]
    new = next(t for t in platform if t["version"] == "1.5.0")
    assert new["service"] == "gateway"
    assert new["image_tag"] == "1.5.0"
    assert new["git_sha"] == "e4f5a6b"
    assert new["node"] == "node-1"
    assert new["stack"] == "cloudlysis"


def test_stored_series_carry_build_labels_and_no_ids(scraped: Scraped) -> None:
    series = _series(scraped, "gateway_http_requests_total")
    assert len(series) == 2
    for s in series:
        assert {"service", "version", "image_tag", "git_sha", "node", "stack"} <= set(s)
        assert not {"trace_id", "request_id"} & set(s), s
    info = _series(scraped, "gateway_build_info")
    assert {(s["version"], s["git_sha"], s["image_tag"]) for s in info} == {
        ("1.4.2", "a1b2c3d", "1.4.2"),
        ("1.5.0", "e4f5a6b", "1.5.0"),
    }


def test_control_api_own_service_label_wins_with_honor_labels(scraped: Scraped) -> None:
    (build,) = _series(scraped, "control_build_info")
    assert build["service"] == "control-api"
    assert build["job"] == "control-api"
    (deploys,) = _series(scraped, "control_deployments_total")
    assert deploys["service"] == "runner"  # the deployed service, not the scraped one


def test_cadvisor_series_are_mapped_to_swarm_services(scraped: Scraped) -> None:
    (mem,) = _series(scraped, "container_memory_working_set_bytes")
    assert mem["service"] == "gateway"
    assert mem["stack"] == "cloudlysis"
    assert not [k for k in mem if k.startswith("container_label_") or k in {"id", "image"}]
    assert _series(scraped, "container_tasks_state") == []


def test_node_exporter_filters(scraped: Scraped) -> None:
    assert _series(scraped, 'node_load1{node="node-1", job="node-exporter"}')
    fs = _series(scraped, "node_filesystem_avail_bytes")
    assert [s["fstype"] for s in fs] == ["ext4"]
    assert _series(scraped, "node_scrape_collector_success") == []


def test_nats_exporter_series_get_service_and_node(scraped: Scraped) -> None:
    (conn,) = _series(scraped, "gnatsd_varz_connections")
    assert conn["service"] == "nats"
    assert conn["node"] == "node-1"
    assert conn["server_id"] == "NATS1"
