"""The demo's stand-ins for node-exporter and prometheus-nats-exporter: the machine's real CPU,
load and memory (from /proc) and the embedded nats-server's real counters (from its monitoring
endpoint, /varz and /jsz), under the names and labels of the metrics contract, each on its own
port and describing itself as a Swarm task (`/_devfleet/sd`) so vmagent/scrape.yml's
`node-exporter` and `nats` jobs scrape them unchanged. Only what the console's named queries and
the dashboards read is exported.
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Response, get

from cloudlysis_devfleet.world import SD_PATH, sd_target_group

_CPU_MODES = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")
_TEXT = "text/plain; version=0.0.4; charset=utf-8"


def _line(name: str, labels: dict[str, str], value: float) -> str:
    inner = ",".join(f'{k}="{v}"' for k, v in labels.items())
    return f"{name}{{{inner}}} {value:g}" if inner else f"{name} {value:g}"


def _family(name: str, kind: str, help_: str, lines: Iterable[str]) -> list[str]:
    return [f"# HELP {name} {help_}", f"# TYPE {name} {kind}", *lines]


def node_metrics(proc: Path = Path("/proc")) -> str:
    ticks = os.sysconf("SC_CLK_TCK")
    cpu: list[str] = []
    for row in (proc / "stat").read_text().splitlines():
        if row.startswith("cpu") and row[3:4].isdigit():
            name, *values = row.split()
            for mode, value in zip(_CPU_MODES, values, strict=False):
                labels = {"cpu": name[3:], "mode": mode}
                cpu.append(_line("node_cpu_seconds_total", labels, int(value) / ticks))
    load1 = float((proc / "loadavg").read_text().split()[0])
    mem = {
        k: int(v.split()[0]) * 1024
        for k, v in (r.split(":", 1) for r in (proc / "meminfo").read_text().splitlines())
        if k in ("MemTotal", "MemAvailable")
    }
    out = _family("node_cpu_seconds_total", "counter", "CPU time per mode.", cpu)
    out += _family("node_load1", "gauge", "1m load average.", [_line("node_load1", {}, load1)])
    for key in ("MemAvailable", "MemTotal"):
        name = f"node_memory_{key}_bytes"
        out += _family(name, "gauge", f"{key}.", [_line(name, {}, mem.get(key, 0))])
    return "\n".join(out) + "\n"


def nats_metrics(varz: dict[str, Any], jsz: dict[str, Any]) -> str:
    server = {"server_id": str(varz.get("server_id", ""))}
    out: list[str] = []
    for field, kind, help_ in (
        ("in_msgs", "counter", "Inbound messages."),
        ("out_msgs", "counter", "Outbound messages."),
        ("connections", "gauge", "Client connections."),
        ("mem", "gauge", "Server resident memory bytes."),
        ("slow_consumers", "counter", "Slow consumers detected."),
    ):
        name = f"gnatsd_varz_{field}"
        out += _family(name, kind, help_, [_line(name, server, float(varz.get(field, 0)))])
    streams: list[str] = []
    consumers: dict[str, list[str]] = {
        "num_pending": [],
        "num_ack_pending": [],
        "num_redelivered": [],
    }
    for account in jsz.get("account_details") or []:
        for stream in account.get("stream_detail") or []:
            s = {**server, "stream_name": str(stream.get("name", ""))}
            state = stream.get("state") or {}
            streams.append(_line("jetstream_stream_total_messages", s, state.get("messages", 0)))
            for consumer in stream.get("consumer_detail") or []:
                c = {**s, "consumer_name": str(consumer.get("name", ""))}
                for field, lines in consumers.items():
                    lines.append(_line(f"jetstream_consumer_{field}", c, consumer.get(field, 0)))
    out += _family("jetstream_stream_total_messages", "gauge", "Messages stored.", streams)
    for field, lines in consumers.items():
        out += _family(f"jetstream_consumer_{field}", "gauge", f"Consumer {field}.", lines)
    return "\n".join(out) + "\n"


def _fetch(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=3) as r:  # noqa: S310 - loopback only
        body: dict[str, Any] = json.loads(r.read())
        return body


def nats_metrics_from(monitor_url: str) -> str:
    base = monitor_url.rstrip("/")
    return nats_metrics(
        _fetch(f"{base}/varz"), _fetch(f"{base}/jsz?accounts=true&streams=true&consumers=true")
    )


def exporter_app(service: str, render: Callable[[], str]) -> Litestar:
    """/metrics rendered on each scrape, and the exporter as a Swarm task (`service` label)."""

    @get("/metrics", sync_to_thread=True)
    def metrics() -> Response[str]:
        return Response(render(), media_type=_TEXT)

    @get(SD_PATH, sync_to_thread=False)
    def sd(request: Request[Any, Any, Any]) -> list[dict[str, Any]]:
        host, port = request.scope.get("server") or ("127.0.0.1", 0)
        return sd_target_group(str(host), port or 0, service, "", "", stack="observability")

    return Litestar([metrics, sd], openapi_config=None, logging_config=None)
