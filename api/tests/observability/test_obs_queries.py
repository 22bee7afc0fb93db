"""Every PromQL expression of every dashboard panel, variable and rule, run against a real
VictoriaMetrics loaded with fixtures for the whole metrics contract."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
from tests.support.obs import (
    comparisons_to_bool,
    dashboard_values,
    iter_queries,
    iter_rules,
    load_dashboards,
    load_rule_files,
    substitute,
)

DASHBOARDS = load_dashboards()
PROM_QUERIES = [q for q in iter_queries(DASHBOARDS) if q.ds_type == "prometheus"]
RULES = list(iter_rules(load_rule_files()))


def _qid(q: Any) -> str:
    return f"{q.dashboard}:{q.panel}:{q.ref_id}"


def _has_finite_value(body: dict[str, Any]) -> bool:
    data = body.get("data") or {}
    for item in data.get("result", []):
        values = item.get("values") or [item.get("value")]
        for v in values:
            if v and not math.isnan(float(v[1])) and not math.isinf(float(v[1])):
                return True
    return False


def test_collected_queries_cover_all_dashboards() -> None:
    assert len(DASHBOARDS) == 12
    assert {q.dashboard for q in PROM_QUERIES} == set(DASHBOARDS)
    assert len(PROM_QUERIES) > 100
    assert len(RULES) > 30


@pytest.mark.parametrize("query", PROM_QUERIES, ids=_qid)
def test_panel_query_returns_data_with_all_selected(loaded_vm: Any, query: Any) -> None:
    expr = substitute(query.expr, "all", dashboard_values(DASHBOARDS[query.dashboard], "all"))
    assert "$" not in expr, f"unsubstituted variable in {expr}"
    vm = loaded_vm.vm
    if query.instant:
        body = vm.query(expr, at=loaded_vm.now)
    else:
        # What a time-series panel asks for: a range query over the dashboard's time window
        # (here the last 15 minutes of the fixtures, where the recorded rules exist too).
        body = vm.query_range(expr, loaded_vm.now - 900, loaded_vm.now, 60)
    assert body.get("status") == "success", f"{expr}\n{body}"
    assert _has_finite_value(body), f"panel would show 'No data' for the fixtures:\n{expr}"


@pytest.mark.parametrize("query", PROM_QUERIES, ids=_qid)
def test_panel_query_parses_with_single_values(loaded_vm: Any, query: Any) -> None:
    expr = substitute(query.expr, "one", dashboard_values(DASHBOARDS[query.dashboard], "one"))
    assert "$" not in expr, f"unsubstituted variable in {expr}"
    body = loaded_vm.vm.query(expr, at=loaded_vm.now)
    assert body.get("status") == "success", f"{expr}\n{body}"


_LABEL_VALUES = re.compile(r"^label_values\((?P<selector>.+),\s*(?P<label>[a-zA-Z_]\w*)\)$")


def _query_variables() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for name, dash in DASHBOARDS.items():
        for var in dash["templating"]["list"]:
            if var["type"] == "query":
                out.append((name, var))
    return out


@pytest.mark.parametrize(
    ("dashboard", "var"), _query_variables(), ids=lambda x: x if isinstance(x, str) else x["name"]
)
def test_template_variable_has_values(loaded_vm: Any, dashboard: str, var: dict[str, Any]) -> None:
    query = var["query"]
    query = query["query"] if isinstance(query, dict) else query
    m = _LABEL_VALUES.match(query)
    assert m, f"{dashboard}/{var['name']}: only label_values(selector, label) is used: {query}"
    selector = substitute(
        m.group("selector"), "all", dashboard_values(DASHBOARDS[dashboard], "all")
    )
    values = loaded_vm.vm.label_values(m.group("label"), selector)
    assert values, f"{dashboard}/{var['name']}: {query} has no values"
    assert var.get("datasource", {}).get("uid") == "victoriametrics"


@pytest.mark.parametrize(
    ("fname", "group", "rule"),
    RULES,
    ids=lambda x: x.get("record", x.get("alert")) if isinstance(x, dict) else x,
)
def test_rule_expression_runs_and_has_data(
    loaded_vm: Any, fname: str, group: str, rule: dict[str, Any]
) -> None:
    expr = rule["expr"]
    body = loaded_vm.vm.query(expr, at=loaded_vm.now)
    assert body.get("status") == "success", f"{expr}\n{body}"
    if "record" in rule:
        assert _has_finite_value(body), f"recording rule {rule['record']} has no data"
        recorded = loaded_vm.vm.query(rule["record"], at=loaded_vm.now)
        assert _has_finite_value(recorded), (
            f"{rule['record']} was not written by the vmalert replay:\n{loaded_vm.replay_log}"
        )
    else:
        # An alert filters to nothing while healthy; with `bool` comparisons every series the
        # alert watches must still be there, otherwise the alert can never fire.
        watched = comparisons_to_bool(expr)
        assert watched != expr, f"alert {rule['alert']} has no comparison"
        wbody = loaded_vm.vm.query(watched, at=loaded_vm.now)
        assert wbody.get("status") == "success", f"{watched}\n{wbody}"
        assert _has_finite_value(wbody), f"alert {rule['alert']} watches no series:\n{watched}"


def test_a_broken_query_is_detected(loaded_vm: Any) -> None:
    """The harness itself can fail: bad syntax errors out, unknown metrics have no data."""
    bad = loaded_vm.vm.query("sum(rate(gateway_http_requests_total[5m])", at=loaded_vm.now)
    assert bad.get("status") == "error"
    missing = loaded_vm.vm.query("sum(rate(gateway_http_requests_totl[5m]))", at=loaded_vm.now)
    assert missing.get("status") == "success"
    assert not _has_finite_value(missing)
    typo_label = loaded_vm.vm.query(
        'sum(rate(gateway_http_requests_total{service="gateway", statuss="500"}[5m]))',
        at=loaded_vm.now,
    )
    assert not _has_finite_value(typo_label)


def test_fixture_covers_every_contract_metric(loaded_vm: Any) -> None:
    from tests.support.obs import load_contract

    missing = []
    for metric in load_contract()["metrics"]:
        name = metric["name"]
        probe = f"{name}_count" if metric["type"] == "histogram" else name
        if not _has_finite_value(loaded_vm.vm.query(f"count({probe})", at=loaded_vm.now)):
            missing.append(name)
    assert not missing
