"""Cardinality and contract rules: no id labels anywhere, tenant breakdowns bounded, every
metric of the contract well-formed and actually used."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest
import yaml
from tests.support.obs import (
    CONTRACT_PATH,
    ID_LABELS,
    SCRAPE_CONFIG,
    exposition_text,
    grouping_labels,
    iter_queries,
    iter_rules,
    load_contract,
    load_dashboards,
    load_rule_files,
    require_binary,
)

CONTRACT = load_contract()
DASHBOARDS = load_dashboards()
RULES = list(iter_rules(load_rule_files()))
MAX_TOPK = 20
OUR_SERVICES = {"gateway", "aggregate", "projection", "runner", "control-api"}
_TOPK = re.compile(r"^\s*topk\(\s*(\d+)\s*,")
_SELECTOR = re.compile(r"\{([^{}]*)\}")
_MATCHER = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"')


# --------------------------------------------------------------------------- checkers


def id_label_problems(expr: str) -> list[str]:
    """Grouping by, or selecting on, a request/correlation/trace id."""
    problems = []
    for kind, labels in grouping_labels(expr):
        bad = ID_LABELS & set(labels)
        if bad and kind == "by":
            problems.append(f"groups by {sorted(bad)}")
    for body in _SELECTOR.findall(expr):
        for name, _op in _MATCHER.findall(body):
            if name in ID_LABELS:
                problems.append(f"selects on id label {name}")
    return problems


def tenant_problems(expr: str) -> list[str]:
    """A tenant breakdown in a dashboard must be a topk() with k <= MAX_TOPK."""
    if not any("tenant" in labels for kind, labels in grouping_labels(expr) if kind == "by"):
        return []
    m = _TOPK.match(expr)
    if not m:
        return ["groups by tenant without an outer topk()"]
    if int(m.group(1)) > MAX_TOPK:
        return [f"topk({m.group(1)}) exceeds {MAX_TOPK}"]
    return []


def _bounded_tenant_metrics() -> set[str]:
    out = set()
    for m in CONTRACT["metrics"]:
        if m.get("tenant_bounded"):
            out.add(m["name"])
            if m["type"] == "histogram":
                out |= {f"{m['name']}_{s}" for s in ("bucket", "sum", "count")}
    return out


# --------------------------------------------------------------------------- checker self-tests


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("sum by (trace_id) (rate(x_total[5m]))", True),
        ("sum by (service, correlation_id) (x)", True),
        ('x{request_id="abc"}', True),
        ("sum by (service) (rate(x_total[5m]))", False),
        ('x{route="/v1/tenants/{tenant}/commands/{name}"}', False),
    ],
)
def test_id_checker_detects_violations(expr: str, expected: bool) -> None:
    assert bool(id_label_problems(expr)) is expected


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("sum by (tenant) (rate(x_total[5m]))", True),
        ("topk(500, sum by (tenant) (x))", True),
        ("max(sum by (tenant) (x))", True),
        ("topk(10, sum by (tenant) (x))", False),
        ("sum by (service) (x)", False),
    ],
)
def test_tenant_checker_detects_violations(expr: str, expected: bool) -> None:
    assert bool(tenant_problems(expr)) is expected


# --------------------------------------------------------------------------- dashboards and rules


@pytest.mark.parametrize("query", list(iter_queries(DASHBOARDS)), ids=lambda q: q.dashboard)
def test_dashboard_query_cardinality(query: Any) -> None:
    assert not id_label_problems(query.expr), (query.panel, query.expr)
    if query.ds_type == "prometheus":
        assert not tenant_problems(query.expr), (query.panel, query.expr)
    assert "vector(0)" not in query.expr, "absent data must not be hidden behind vector(0)"


def test_dashboard_variables_never_list_ids() -> None:
    for dash in DASHBOARDS.values():
        for var in dash["templating"]["list"]:
            query = str(var.get("query", ""))
            for label in ID_LABELS:
                assert f", {label})" not in query, (dash["uid"], var["name"])


@pytest.mark.parametrize(
    "rule", [r for _f, _g, r in RULES], ids=lambda r: r.get("record") or r.get("alert")
)
def test_rule_cardinality(rule: dict[str, Any]) -> None:
    expr = rule["expr"]
    assert not id_label_problems(expr), expr
    tenant_grouped = any(
        "tenant" in labels for kind, labels in grouping_labels(expr) if kind == "by"
    )
    if tenant_grouped:
        # Rules may keep the tenant label only over sources bounded by the contract.
        names = set(re.findall(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*[\[{(]", expr))
        sources = {n for n in names if n in {m["name"] for m in CONTRACT["metrics"]}}
        sources |= {n for n in names if n.endswith(("_bucket", "_count", "_sum"))}
        assert sources, expr
        assert sources <= _bounded_tenant_metrics(), sources - _bounded_tenant_metrics()
    for key in ("labels", "annotations"):
        for value in (rule.get(key) or {}).values():
            for label in ID_LABELS:
                assert f"$labels.{label}" not in str(value)


# --------------------------------------------------------------------------- the contract itself


def test_contract_metric_names_types_and_labels() -> None:
    forbidden = set(CONTRACT["forbidden_labels"])
    assert forbidden >= ID_LABELS
    names = [m["name"] for m in CONTRACT["metrics"]]
    assert len(names) == len(set(names)), "duplicate metric names"
    documented = set(CONTRACT["labels"])
    for m in CONTRACT["metrics"]:
        name, mtype, labels = m["name"], m["type"], m["labels"]
        assert re.fullmatch(r"[a-zA-Z_:][a-zA-Z0-9_:]*", name)
        assert mtype in {"counter", "gauge", "histogram"}
        assert not forbidden & set(labels), (name, forbidden & set(labels))
        assert set(labels) <= documented, (name, set(labels) - documented)
        assert m["scrape"] in CONTRACT["scrape_label_sets"], name
        assert not forbidden & set(CONTRACT["scrape_label_sets"][m["scrape"]])
        emitters = m["emitter"] if isinstance(m["emitter"], list) else [m["emitter"]]
        ours = set(emitters) <= OUR_SERVICES
        if mtype == "counter" and ours:
            # Third-party exporters keep their own names (e.g. gnatsd_varz_slow_consumers).
            assert name.endswith("_total"), name
        if mtype == "histogram":
            assert name.endswith("_seconds") or name.endswith("_bytes") or "latency" in name, name
        if "le" in labels or "quantile" in labels:
            pytest.fail(f"{name}: le/quantile are implied by the histogram type")
        if name.endswith("_build_info"):
            assert labels == ["service", "version", "git_sha"], name
            assert mtype == "gauge"
        if "tenant" in labels:
            assert m.get("tenant_bounded") is True, f"{name}: tenant label must be bounded"


def test_contract_tenant_rule_is_bounded() -> None:
    rule = CONTRACT["tenant_label"]
    assert rule["name"] == "tenant"
    assert 0 < rule["max_values_per_process"] <= 100
    assert rule["overflow_value"] in CONTRACT["labels"]["tenant"]["examples"]


def test_every_service_has_build_info_and_http_metrics() -> None:
    names = {m["name"] for m in CONTRACT["metrics"]}
    for svc in ("gateway", "aggregate", "projection", "runner", "control"):
        assert f"{svc}_build_info" in names
        assert f"{svc}_http_requests_total" in names
        assert f"{svc}_http_request_duration_seconds" in names
    control = {m["name"]: m for m in CONTRACT["metrics"] if m["name"].startswith("control_")}
    assert control["control_http_requests_total"]["labels"] == ["method", "route", "status"]
    assert control["control_http_request_duration_seconds"]["type"] == "histogram"
    assert control["control_jobs_total"]["labels"] == ["kind", "outcome"]
    assert control["control_audit_events_total"]["labels"] == ["outcome"]
    assert control["control_upstream_requests_total"]["labels"] == ["upstream", "outcome"]
    assert control["control_upstream_request_duration_seconds"]["labels"] == ["upstream"]
    assert control["control_nats_connected"]["type"] == "gauge"


def _all_expressions() -> list[str]:
    exprs = [q.expr for q in iter_queries(DASHBOARDS)]
    exprs += [r["expr"] for _f, _g, r in RULES]
    for dash in DASHBOARDS.values():
        exprs += [str(v.get("query", "")) for v in dash["templating"]["list"]]
    return exprs


def test_every_emitted_contract_metric_is_used_somewhere() -> None:
    """A metric in the contract that no dashboard or rule reads is either dead weight or a
    missing panel. Planned (not yet emitted) metrics are exempt."""
    text = "\n".join(_all_expressions())
    name_regexes = [re.compile(r) for r in re.findall(r'__name__=~"([^"]+)"', text)]
    unused = []
    for m in CONTRACT["metrics"]:
        if m.get("status") == "planned":
            continue
        name = m["name"]
        candidates = [name]
        if m["type"] == "histogram":
            candidates += [f"{name}_bucket", f"{name}_count", f"{name}_sum"]
        used = any(re.search(rf"\b{re.escape(c)}\b", text) for c in candidates) or any(
            r.fullmatch(c) for r in name_regexes for c in candidates
        )
        if not used:
            unused.append(name)
    assert not unused


def test_scrape_config_drops_id_labels() -> None:
    config = yaml.safe_load(SCRAPE_CONFIG.read_text())
    for job in config["scrape_configs"]:
        if job["job_name"] in {"platform", "control-api"}:
            drops = [
                r["regex"]
                for r in job.get("metric_relabel_configs", [])
                if r.get("action") == "labeldrop"
            ]
            assert drops
            for label in ID_LABELS:
                assert any(re.fullmatch(d, label) for d in drops), (job["job_name"], label)


def test_histogram_buckets_support_the_latency_slo() -> None:
    buckets = CONTRACT["histogram_buckets_seconds"]
    assert buckets == sorted(buckets)
    assert 0.5 in buckets  # le="0.5" in slo:gateway_latency:* recording rules


def test_contract_document_lists_every_metric() -> None:
    doc = (CONTRACT_PATH.parent / "instrumentation-contract.md").read_text()
    missing = [m["name"] for m in CONTRACT["metrics"] if f"| `{m['name']}` |" not in doc]
    assert not missing, "instrumentation-contract.md is missing metrics of the YAML"


CLOUDLYSIS_EMITTERS = {"gateway", "aggregate", "projection", "runner", "control-api"}


def test_promtool_lints_the_contract_exposition() -> None:
    """What a conforming service would serve on /metrics passes `promtool check metrics`."""
    text = exposition_text(CONTRACT, CLOUDLYSIS_EMITTERS)
    assert "# TYPE control_http_request_duration_seconds histogram" in text
    proc = subprocess.run(
        [require_binary("promtool"), "check", "metrics"],
        input=text,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_promtool_lint_catches_a_bad_name() -> None:
    text = exposition_text(CONTRACT, {"gateway"}).replace(
        "gateway_http_requests_total", "gateway_http_requests"
    )
    proc = subprocess.run(
        [require_binary("promtool"), "check", "metrics"],
        input=text,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode != 0
    assert "_total" in proc.stdout + proc.stderr
