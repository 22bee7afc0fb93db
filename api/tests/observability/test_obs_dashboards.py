"""Dashboards: generated from code, valid against Grafana 11.6's dashboard schema, consistent."""

from __future__ import annotations

import importlib.util
import inspect
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from tests.support.obs import (
    DASHBOARDS_DIR,
    DASHBOARDS_SRC,
    REPO,
    iter_panels,
    iter_queries,
    load_dashboards,
    run,
)

DASHBOARDS = load_dashboards()
SCHEMA_PATH = REPO / "grafana" / "schema" / "dashboard-v11.6.16.schema.json"
GENERATOR = DASHBOARDS_SRC / "generate.py"
QUERIES = REPO / "api" / "src" / "cloudlysis_control" / "metrics" / "queries.py"
DATASOURCE_UIDS = {"prometheus": "victoriametrics", "loki": "loki", "tempo": "tempo"}

EXPECTED_TITLES = {
    "Cloudlysis / Operations overview",
    "Cloudlysis / HTTP detail (Gateway)",
    "Cloudlysis / Logs",
    "Cloudlysis / Traces",
    "Cloudlysis / Event bus (JetStream)",
    "Cloudlysis / Workers (Runner)",
    "Cloudlysis / Storage (libmdbx + node disk)",
    "Cloudlysis / Cluster & orchestrator",
    "Cloudlysis / Noisy neighbor & tenant health",
    "Cloudlysis / API regression & deployment",
    "Cloudlysis / Storage & event bus bottlenecks",
    "Cloudlysis / Infrastructure exhaustion",
}


def _schema_validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_twelve_dashboards_with_expected_titles() -> None:
    assert {d["title"] for d in DASHBOARDS.values()} == EXPECTED_TITLES
    uids = [d["uid"] for d in DASHBOARDS.values()]
    assert len(set(uids)) == 12
    for name, dash in DASHBOARDS.items():
        assert name == f"{dash['uid']}.json"


def test_generator_check_passes_on_committed_json() -> None:
    proc = run([sys.executable, str(GENERATOR), "--check"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "12 dashboards up to date" in proc.stdout


def test_generator_check_fails_on_drift(tmp_path: Path) -> None:
    out = tmp_path / "dashboards"
    shutil.copytree(DASHBOARDS_DIR, out)
    victim = out / "cl-ops-overview.json"
    model = json.loads(victim.read_text())
    model["title"] = "hand-edited"
    victim.write_text(json.dumps(model, indent=2, sort_keys=True) + "\n")
    (out / "cl-stale.json").write_text("{}\n")
    proc = run([sys.executable, str(GENERATOR), "--check", "--out", str(out)])
    assert proc.returncode == 1
    assert "cl-ops-overview.json differs" in proc.stderr
    assert "cl-stale.json is not produced by the generator" in proc.stderr


def test_generator_output_is_deterministic(tmp_path: Path) -> None:
    for run_dir in ("a", "b"):
        proc = run([sys.executable, str(GENERATOR), "--out", str(tmp_path / run_dir)])
        assert proc.returncode == 0, proc.stderr
    for path in (tmp_path / "a").glob("*.json"):
        assert path.read_text() == (tmp_path / "b" / path.name).read_text()


def _query_definitions() -> tuple[list[str], list[Any]]:
    """The public string constants and query functions of the dashboards' queries module
    (loaded by path: it imports nothing, so no grafana-foundation-sdk needed)."""
    spec = importlib.util.spec_from_file_location("dashboard_queries", QUERIES)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    constants = [
        v for n, v in vars(module).items() if n.isupper() and n[0] != "_" and isinstance(v, str)
    ]
    functions = [f for n, f in inspect.getmembers(module, inspect.isfunction) if n[0] != "_"]
    return constants, functions


def test_every_panel_query_is_defined_once_in_the_queries_module() -> None:
    """The console is to share these strings with the dashboards (one definition): every
    panel query of the committed JSON is a queries.py definition, and none is defined twice."""
    constants, functions = _query_definitions()
    assert len(constants) == len(set(constants)), "a query string is defined twice"
    defined = set(constants) | {f(q) for f in functions for q in (0.5, 0.95, 0.99)}
    inline = sorted({q.expr for q in iter_queries(DASHBOARDS) if q.expr} - defined)
    assert not inline, "queries not defined in queries.py:\n" + "\n".join(inline)


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_dashboard_valid_against_grafana_11_6_schema(name: str) -> None:
    errors = sorted(_schema_validator().iter_errors(DASHBOARDS[name]), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def test_schema_rejects_an_invalid_dashboard() -> None:
    bad = json.loads(json.dumps(DASHBOARDS["cl-ops-overview.json"]))
    bad["panels"][0]["gridPos"] = {"h": "eight", "w": 12, "x": 0, "y": 0}
    bad["templating"]["list"][0]["type"] = "not-a-variable-type"
    bad["unknownTopLevel"] = True
    assert len(list(_schema_validator().iter_errors(bad))) >= 3


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_dashboard_conventions(name: str) -> None:
    dash = DASHBOARDS[name]
    assert dash["schemaVersion"] == 41
    assert "cloudlysis" in dash["tags"]
    # Deploy annotations: Grafana's built-in annotation store, queried by tag.
    deploy = [
        a
        for a in dash["annotations"]["list"]
        if a.get("target", {}).get("type") == "tags" and "deploy" in a["target"].get("tags", [])
    ]
    assert deploy, "deploy annotation query missing"
    for ann in deploy:
        assert ann["datasource"] == {"type": "grafana", "uid": "-- Grafana --"}
        assert ann["enable"] is True
    variables = {v["name"]: v for v in dash["templating"]["list"]}
    assert {"service", "version"} <= set(variables)
    exprs = [q.expr for q in iter_queries({name: dash})]
    joined = "\n".join(exprs)
    for var in variables:
        assert re.search(rf"\${{?{var}\b", joined), f"variable ${var} is not used by any panel"
    if "tenant" in joined:
        assert "tenant" in variables, "tenant breakdowns need the bounded tenant variable"


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_panels_layout_ids_and_datasources(name: str) -> None:
    dash = DASHBOARDS[name]
    ids: list[int] = []
    cells: set[tuple[int, int]] = set()
    for panel in iter_panels(dash):
        ids.append(panel["id"])
        assert panel.get("title"), "every panel has a title"
        pos = panel["gridPos"]
        assert pos["x"] >= 0, pos
        assert pos["x"] + pos["w"] <= 24, pos
        for x in range(pos["x"], pos["x"] + pos["w"]):
            for y in range(pos["y"], pos["y"] + pos["h"]):
                assert (x, y) not in cells, f"panel {panel['title']} overlaps another"
                cells.add((x, y))
        if panel["type"] == "row":
            continue
        ds = panel["datasource"]
        assert DATASOURCE_UIDS.get(ds["type"]) == ds["uid"], ds
        ref_ids = [t["refId"] for t in panel["targets"]]
        assert ref_ids, f"panel {panel['title']} has no query"
        assert len(set(ref_ids)) == len(ref_ids)
        for target in panel["targets"]:
            assert target["datasource"] == ds, f"{panel['title']}: mixed datasource"
    assert len(set(ids)) == len(ids)


def test_regression_dashboard_compares_versions_side_by_side() -> None:
    dash = DASHBOARDS["cl-api-regression.json"]
    exprs = [q.expr for q in iter_queries({"x": dash})]
    by_version = [e for e in exprs if re.search(r"by \([^)]*\bversion\b", e)]
    assert len(by_version) >= 4
    assert any("image_tag" in e for e in by_version)
    tags = [a["target"]["tags"] for a in dash["annotations"]["list"] if "target" in a]
    assert ["deploy", "service:$service"] in tags
    service = next(v for v in dash["templating"]["list"] if v["name"] == "service")
    assert service["multi"] is False
    assert service.get("includeAll") is False


def test_ops_overview_covers_the_control_api() -> None:
    exprs = " ".join(q.expr for q in iter_queries({"x": DASHBOARDS["cl-ops-overview.json"]}))
    for metric in (
        "control_http_requests_total",
        "control_http_request_duration_seconds_bucket",
        "control_jobs_total",
        "control_audit_events_total",
        "control_upstream_requests_total",
        "control_upstream_request_duration_seconds_bucket",
        "control_nats_connected",
        "_build_info",
    ):
        assert metric in exprs, metric


def _balanced(expr: str) -> bool:
    stack: list[str] = []
    pairs = {")": "(", "]": "[", "}": "{"}
    quote: str | None = None
    escaped = False
    for ch in expr:
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = None
            continue
        if ch in '"`':
            quote = ch
        elif ch in "([{":
            stack.append(ch)
        elif ch in ")]}" and (not stack or stack.pop() != pairs[ch]):
            return False
    return not stack and quote is None


LOGQL = [q for q in iter_queries(DASHBOARDS) if q.ds_type == "loki"]
TRACEQL = [q for q in iter_queries(DASHBOARDS) if q.ds_type == "tempo"]
_STREAM_SELECTOR = re.compile(r"\{([^}]*)\}")


@pytest.mark.parametrize("query", LOGQL, ids=lambda q: f"{q.dashboard}:{q.panel}")
def test_logql_structure(query: Any) -> None:
    """Loki cannot run here: check what can be checked without it."""
    expr = query.expr
    assert _balanced(expr), expr
    selector = _STREAM_SELECTOR.search(expr)
    assert selector, f"no stream selector: {expr}"
    matchers = [m.strip() for m in selector.group(1).split(",") if m.strip()]
    assert matchers
    names = {re.split(r"[=!~]", m, maxsplit=1)[0].strip() for m in matchers}
    # Stream labels are the bounded set Alloy sets; ids are structured metadata.
    assert names <= {"service", "stack", "level", "node"}, names
    assert any(not re.search(r'=~"\.\*"$', m) for m in matchers), "needs a non-empty matcher"


@pytest.mark.parametrize(
    "query", [q for q in TRACEQL if q.expr], ids=lambda q: f"{q.dashboard}:{q.panel}"
)
def test_traceql_structure(query: Any) -> None:
    assert _balanced(query.expr)
    assert query.expr.startswith("{")
    assert query.expr.endswith("}")


def test_loki_and_tempo_panels_exist() -> None:
    assert len(LOGQL) >= 3
    assert len(TRACEQL) >= 3
