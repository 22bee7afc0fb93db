"""Shared helpers for the observability tests.

Everything here is plain code (no pytest): paths, the metrics contract, fixture generation,
a VictoriaMetrics process wrapper, and PromQL helpers (template substitution, comparison
rewriting, grouping-label extraction).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.support.net import free_port

REPO = Path(__file__).resolve().parents[3]
CONTRACT_PATH = REPO / "docs" / "observability" / "metrics-contract.yaml"
DASHBOARDS_DIR = REPO / "grafana" / "dashboards"
DASHBOARDS_SRC = REPO / "grafana" / "dashboards-src"
PROVISIONING_DIR = REPO / "grafana" / "provisioning"
SCRAPE_CONFIG = REPO / "vmagent" / "scrape.yml"
RULES_DIR = REPO / "vmagent" / "rules"

FIXTURE_STEP_S = 30
FIXTURE_WINDOW_S = 3600

# Values for the template variables when a test substitutes them. "all" mimics Grafana's
# "All" option (custom all value ".*"); "one" picks a concrete value present in the fixtures.
TEMPLATE_VALUES: dict[str, dict[str, str]] = {
    "all": {
        "service": ".*",
        "version": ".*",
        "tenant": ".*",
        "node": ".*",
        "route": ".*",
        "stream": ".*",
        "job_type": ".*",
        "db": ".*",
        "projection": ".*",
        "stack": ".*",
    },
    "one": {
        "service": "gateway",
        "version": "1.5.0",
        "tenant": "t-acme",
        "node": "node-1",
        "route": "/v1/tenants/{tenant}/commands/{name}",
        "stream": "EVENTS",
        "job_type": "email",
        "db": "events",
        "projection": "inventory",
        "stack": "cloudlysis",
    },
}
BUILTIN_INTERVALS = {
    "$__rate_interval": "5m",
    "$__interval": "1m",
    "$__range": "1h",
    "${__range}": "1h",
    "${__rate_interval}": "5m",
    "${__interval}": "1m",
}

PLATFORM_SERVICES = ["gateway", "aggregate", "projection", "runner", "control-api"]
VERSIONS = [("1.4.2", "a1b2c3d", "node-1"), ("1.5.0", "e4f5a6b", "node-2")]
NODES = ["node-1", "node-2"]
ID_LABELS = {"request_id", "correlation_id", "trace_id", "span_id"}


def load_contract() -> dict[str, Any]:
    with CONTRACT_PATH.open() as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    return data


def load_dashboards() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(DASHBOARDS_DIR.glob("*.json")):
        out[path.name] = json.loads(path.read_text())
    return out


def load_rule_files() -> dict[str, dict[str, Any]]:
    return {p.name: yaml.safe_load(p.read_text()) for p in sorted(RULES_DIR.glob("*.yml"))}


# --------------------------------------------------------------------------- dashboard walking


@dataclass(frozen=True)
class PanelQuery:
    dashboard: str
    panel: str
    ref_id: str
    ds_type: str
    expr: str
    instant: bool


def iter_panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", []) or []


def panel_datasource_type(panel: dict[str, Any], target: dict[str, Any]) -> str:
    ds = target.get("datasource") or panel.get("datasource") or {}
    return str(ds.get("type", ""))


def iter_queries(dashboards: dict[str, dict[str, Any]]) -> Iterator[PanelQuery]:
    for name, dash in dashboards.items():
        for panel in iter_panels(dash):
            for target in panel.get("targets", []) or []:
                ds_type = panel_datasource_type(panel, target)
                expr = target.get("expr") or target.get("query") or ""
                yield PanelQuery(
                    dashboard=name,
                    panel=str(panel.get("title", "")),
                    ref_id=str(target.get("refId", "")),
                    ds_type=ds_type,
                    expr=str(expr),
                    instant=bool(target.get("instant")),
                )


def iter_rules(rule_files: dict[str, dict[str, Any]]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for fname, doc in rule_files.items():
        for group in doc.get("groups", []):
            for rule in group.get("rules", []):
                yield fname, group["name"], rule


# --------------------------------------------------------------------------- PromQL helpers


def dashboard_values(dashboard: dict[str, Any], mode: str) -> dict[str, str]:
    """Variable values for a dashboard: "All" (.*) for multi/all variables in mode "all", the
    variable's own default for single-value variables (no All option) and text boxes."""
    values = dict(TEMPLATE_VALUES[mode])
    for var in dashboard.get("templating", {}).get("list", []):
        if var.get("includeAll") and mode == "all":
            values[var["name"]] = str(var.get("allValue") or ".*")
        elif var["type"] == "textbox":
            values[var["name"]] = str(var.get("query", ""))
        elif not var.get("includeAll"):
            current = var.get("current") or {}
            values[var["name"]] = str(current.get("value", values.get(var["name"], "")))
    return values


def substitute(expr: str, mode: str, values: dict[str, str] | None = None) -> str:
    """Substitute Grafana template variables the way Grafana would before querying."""
    out = expr
    for key, val in BUILTIN_INTERVALS.items():
        out = out.replace(key, val)
    chosen = values if values is not None else TEMPLATE_VALUES[mode]
    for name, val in sorted(chosen.items(), key=lambda kv: -len(kv[0])):
        out = out.replace("${" + name + ":regex}", val)
        out = out.replace("${" + name + "}", val)
        out = re.sub(r"\$" + name + r"\b", lambda _m, v=val: v, out)
    return out


_CMP_OPS = (">=", "<=", "==", "!=", ">", "<")


def comparisons_to_bool(expr: str) -> str:
    """Add the `bool` modifier to every top-level comparison operator.

    Used to check that an alert expression has data behind it even when it is not firing:
    `x > 0.05` filters to nothing on healthy data, `x > bool 0.05` returns 0/1 for every
    series. Label matchers (inside braces) and string literals are left untouched.
    """
    out: list[str] = []
    i = 0
    depth = 0
    quote: str | None = None
    while i < len(expr):
        ch = expr[i]
        if quote:
            out.append(ch)
            if ch == "\\" and i + 1 < len(expr):
                out.append(expr[i + 1])
                i += 2
                continue
            if ch == quote:
                quote = None
            i += 1
            continue
        if ch in "\"'`":
            quote = ch
            out.append(ch)
            i += 1
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if depth == 0:
            for op in _CMP_OPS:
                if expr.startswith(op, i):
                    rest = expr[i + len(op) :]
                    out.append(op)
                    if not re.match(r"\s*bool\b", rest):
                        out.append(" bool")
                    i += len(op)
                    break
            else:
                out.append(ch)
                i += 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


_GROUPING_RE = re.compile(r"\b(by|without)\s*\(([^)]*)\)")


def grouping_labels(expr: str) -> list[tuple[str, list[str]]]:
    """Every `by (...)` / `without (...)` clause of an expression, with its labels."""
    return [
        (m.group(1), [lbl.strip() for lbl in m.group(2).split(",") if lbl.strip()])
        for m in _GROUPING_RE.finditer(expr)
    ]


# --------------------------------------------------------------------------- fixtures


def _h(*parts: str) -> int:
    return int(hashlib.sha256("|".join(parts).encode()).hexdigest()[:8], 16)


def histogram_buckets(contract: dict[str, Any]) -> list[str]:
    return [f"{b:g}" for b in contract["histogram_buckets_seconds"]] + ["+Inf"]


def _label_values(contract: dict[str, Any], metric: dict[str, Any], label: str) -> list[str]:
    overrides = metric.get("label_examples") or {}
    if label in overrides:
        return [str(v) for v in overrides[label]]
    return [str(v) for v in contract["labels"][label]["examples"]]


def _targets(metric: dict[str, Any]) -> list[dict[str, str]]:
    """Scrape-label sets (one per scraped process) for a metric."""
    scrape = metric["scrape"]
    emitters = metric["emitter"] if isinstance(metric["emitter"], list) else [metric["emitter"]]
    targets: list[dict[str, str]] = []
    if scrape == "platform":
        for svc in emitters:
            job = "control-api" if svc == "control-api" else "platform"
            for n, (version, sha, node) in enumerate(VERSIONS):
                targets.append(
                    {
                        "job": job,
                        "instance": f"10.0.{n + 1}.{_h(svc) % 200 + 10}:8080",
                        "node": node,
                        "stack": "cloudlysis",
                        "service": svc,
                        "version": version,
                        "image_tag": version,
                        "git_sha": sha,
                    }
                )
    elif scrape == "node":
        targets = [
            {"job": "node-exporter", "instance": f"10.0.{i}.2:9100", "node": n}
            for i, n in enumerate(NODES, 1)
        ]
    elif scrape == "cadvisor":
        for i, n in enumerate(NODES, 1):
            for svc in ["gateway", "aggregate", "projection", "runner"]:
                targets.append(
                    {
                        "job": "cadvisor",
                        "instance": f"10.0.{i}.3:8080",
                        "node": n,
                        "stack": "cloudlysis",
                        "service": svc,
                        "name": f"cloudlysis_{svc}.{i}.x{_h(svc, n) % 9999}",
                    }
                )
    elif scrape == "nats":
        targets = [
            {"job": "nats", "instance": f"10.0.{i}.4:7777", "node": n, "server_id": f"NATS{i}"}
            for i, n in enumerate(NODES, 1)
        ]
    elif scrape == "engine":
        targets = [
            {"job": "docker-engine", "instance": f"10.0.{i}.1:9323", "node": n}
            for i, n in enumerate(NODES, 1)
        ]
    elif scrape == "tempo":
        targets = [{}]
    elif scrape == "synthetic":
        # `up` carries the full target label set of every scraped platform task.
        targets = _targets({"scrape": "platform", "emitter": PLATFORM_SERVICES})
        targets += [
            {"job": "node-exporter", "instance": "10.0.1.2:9100", "service": "node-exporter"},
            {"job": "cadvisor", "instance": "10.0.1.3:8080", "service": "cadvisor"},
            {"job": "nats", "instance": "10.0.1.4:7777", "service": "nats"},
            {"job": "docker-engine", "instance": "10.0.1.1:9323", "service": "docker-engine"},
        ]
    else:  # pragma: no cover - contract error
        raise ValueError(f"unknown scrape label set {scrape!r}")
    return targets


_GAUGE_VALUES: dict[str, float] = {
    "up": 1,
    "control_nats_connected": 1,
    "swarm_manager_leader": 1,
    "mdbx_db_size_bytes": 6e9,
    "mdbx_db_max_size_bytes": 16e9,
    "mdbx_readers_active": 20,
    "mdbx_readers_max": 126,
    "mdbx_freelist_pages": 12000,
    "runner_workers_busy": 6,
    "runner_workers_capacity": 16,
    "node_memory_MemAvailable_bytes": 3e9,
    "node_memory_MemTotal_bytes": 8e9,
    "node_filesystem_avail_bytes": 40e9,
    "node_filesystem_size_bytes": 100e9,
    "node_filesystem_files_free": 5e6,
    "node_filesystem_files": 6.5e6,
    "node_filefd_allocated": 4000,
    "node_filefd_maximum": 9.2e18,
    "container_memory_working_set_bytes": 300e6,
    "container_spec_memory_limit_bytes": 1e9,
    "swarm_manager_services_total": 9,
}


def _counter_rate(name: str, labels: dict[str, str]) -> float:
    rate = 1.0 + (_h(name, *sorted(labels.values())) % 400) / 100.0
    if labels.get("status", "200").startswith("5") or labels.get("status_class") == "5xx":
        rate *= 0.03
    if labels.get("outcome") in {"error", "timeout"}:
        rate *= 0.05
    if labels.get("mode") == "idle":
        rate = 0.6
    elif "mode" in labels:
        rate = 0.1
    if name.startswith("node_disk_io_time"):
        rate = 0.2
    if name == "container_cpu_cfs_throttled_periods_total":
        rate = 0.5
    if name == "container_cpu_cfs_periods_total":
        rate = 10.0
    if name == "container_cpu_usage_seconds_total":
        rate = 0.25
    return rate


def _fmt_labels(labels: dict[str, str]) -> str:
    parts = []
    for k, v in labels.items():
        esc = v.replace("\\", "\\\\").replace('"', '\\"')
        parts.append(f'{k}="{esc}"')
    return "{" + ",".join(parts) + "}"


def fixture_series(contract: dict[str, Any]) -> Iterator[tuple[str, dict[str, str], str, float]]:
    """Yield (sample_name, labels, kind, base) for every fixture series.

    kind is "counter" (base = per-second rate) or "gauge" (base = value).
    """
    for metric in contract["metrics"]:
        name = metric["name"]
        exposed: list[str] = list(metric["labels"])
        for target in _targets(metric):
            value_lists = []
            for lbl in exposed:
                if lbl == "service" and target.get("service") and name.endswith("_build_info"):
                    value_lists.append([target["service"]])
                elif lbl in ("version", "git_sha") and lbl in target:
                    value_lists.append([target[lbl]])
                else:
                    value_lists.append(_label_values(contract, metric, lbl))
            for combo in itertools.product(*value_lists):
                labels = dict(target)
                labels.update(dict(zip(exposed, combo, strict=True)))
                mtype = metric["type"]
                if mtype == "counter":
                    yield name, labels, "counter", _counter_rate(name, labels)
                elif mtype == "gauge":
                    if name.endswith("_build_info"):
                        val = 1.0
                    elif name == "container_last_seen":
                        val = -1.0  # special: "now"
                    else:
                        val = _GAUGE_VALUES.get(name, 5 + _h(name, *labels.values()) % 90)
                    yield name, labels, "gauge", val
                elif mtype == "histogram":
                    rate = _counter_rate(name, labels)
                    median = 0.02 + (_h(name, *labels.values()) % 20) / 100.0
                    if labels.get("version") == "1.5.0":
                        median *= 1.3
                    for le in histogram_buckets(contract):
                        frac = 1.0 if le == "+Inf" else float(le) / (float(le) + median)
                        yield f"{name}_bucket", {**labels, "le": le}, "counter", rate * frac
                    yield f"{name}_count", labels, "counter", rate
                    yield f"{name}_sum", labels, "counter", rate * median
                else:  # pragma: no cover - contract error
                    raise ValueError(f"{name}: unknown type {mtype}")


def fixture_text(contract: dict[str, Any], end_s: int) -> tuple[str, int]:
    """Prometheus exposition text with timestamps covering FIXTURE_WINDOW_S up to end_s."""
    lines: list[str] = []
    n_series = 0
    steps = range(end_s - FIXTURE_WINDOW_S, end_s + 1, FIXTURE_STEP_S)
    for name, labels, kind, base in fixture_series(contract):
        n_series += 1
        lab = _fmt_labels(labels)
        for i, ts in enumerate(steps):
            if kind == "counter":
                val = base * i * FIXTURE_STEP_S
            elif base == -1.0:
                val = float(ts)
            else:
                val = base
            lines.append(f"{name}{lab} {val:.6g} {ts * 1000}")
    return "\n".join(lines) + "\n", n_series


# --------------------------------------------------------------------------- processes


def require_binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(
            f"{name} not found on PATH: install Debian's victoria-metrics and prometheus "
            "packages (scripts/install-obs-tools.sh)"
        )
    return path


class VictoriaMetrics:
    def __init__(
        self, data_dir: Path, extra_args: Sequence[str] = (), port: int | None = None
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.http = httpx.Client(timeout=30)
        self.log = (data_dir / "vm.log").open("wb")
        self.proc = subprocess.Popen(
            [
                require_binary("victoria-metrics"),
                f"-storageDataPath={data_dir / 'data'}",
                f"-httpListenAddr=127.0.0.1:{self.port}",
                "-retentionPeriod=100y",
                "-search.latencyOffset=0s",
                "-search.disableCache",
                "-loggerLevel=ERROR",
                *extra_args,
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"victoria-metrics exited with {self.proc.returncode}")
            try:
                if self.http.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("victoria-metrics did not become healthy in 30s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        self.http.close()

    def import_prometheus(self, text: str) -> None:
        r = self.http.post(
            self.url + "/api/v1/import/prometheus", content=text.encode(), timeout=120
        )
        assert r.status_code == 204, (r.status_code, r.text)
        self.flush()

    def flush(self) -> None:
        r = self.http.get(self.url + "/internal/force_flush")
        assert r.status_code == 200, r.text

    def get(self, path: str, params: dict[str, str] | list[tuple[str, str]]) -> dict[str, Any]:
        r = self.http.get(f"{self.url}{path}", params=params)
        try:
            body: dict[str, Any] = r.json()
        except ValueError:
            body = {"status": "error", "error": r.text}
        if r.status_code != 200:
            body.setdefault("status", "error")
        return body

    def query(self, expr: str, at: int | None = None) -> dict[str, Any]:
        params = {"query": expr}
        if at is not None:
            params["time"] = str(at)
        return self.get("/api/v1/query", params)

    def query_range(self, expr: str, start: int, end: int, step: int) -> dict[str, Any]:
        params = {"query": expr, "start": str(start), "end": str(end), "step": f"{step}s"}
        return self.get("/api/v1/query_range", params)

    def label_values(self, label: str, match: str) -> list[str]:
        body = self.get(f"/api/v1/label/{label}/values", [("match[]", match)])
        assert body.get("status") == "success", body
        return list(body["data"])


def run(cmd: list[str], timeout: int = 120) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)


def exposition_text(contract: dict[str, Any], emitters: set[str]) -> str:
    """Prometheus text exposition (HELP/TYPE + one sample per series) of the metrics the given
    emitters expose, as a process would serve it on /metrics (no scrape labels)."""
    out: list[str] = []
    for metric in contract["metrics"]:
        names = metric["emitter"] if isinstance(metric["emitter"], list) else [metric["emitter"]]
        if not set(names) & emitters:
            continue
        name, mtype = metric["name"], metric["type"]
        out.append(f"# HELP {name} {metric['help']}")
        out.append(f"# TYPE {name} {mtype}")
        combos = itertools.product(
            *[_label_values(contract, metric, lbl) for lbl in metric["labels"]]
        )
        for combo in combos:
            labels = dict(zip(metric["labels"], combo, strict=True))
            if mtype == "histogram":
                for i, le in enumerate(histogram_buckets(contract)):
                    out.append(f"{name}_bucket{_fmt_labels({**labels, 'le': le})} {i + 1}")
                n = len(histogram_buckets(contract))
                out.append(f"{name}_sum{_fmt_labels(labels)} 1.5")
                out.append(f"{name}_count{_fmt_labels(labels)} {n}")
            else:
                value = 1 if name.endswith("_build_info") else 3
                out.append(f"{name}{_fmt_labels(labels)} {value}")
    return "\n".join(out) + "\n"
