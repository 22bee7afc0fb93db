"""The small panel library: datasources, targets, panels, variables and the dashboard skeleton.

Conventions every dashboard gets from here: datasources are referenced by fixed uids
(victoriametrics, loki, tempo); `base()` adds the deploy annotation (Grafana annotations tagged
`deploy`, written by the control plane) and the links to the other Cloudlysis dashboards;
`service_var()`/`version_var()` make the `service` and `version` variables (All = ".*", for
regex matchers).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from grafana_foundation_sdk.builders import common as cb
from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import logs, loki, prometheus, stat, table, tempo, timeseries
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as dm
from grafana_foundation_sdk.models import prometheus as prometheus_models
from grafana_foundation_sdk.models import tempo as tempo_models

VM = dm.DataSourceRef(type_val="prometheus", uid="victoriametrics")
LOKI = dm.DataSourceRef(type_val="loki", uid="loki")
TEMPO = dm.DataSourceRef(type_val="tempo", uid="tempo")
GRAFANA = dm.DataSourceRef(type_val="grafana", uid="-- Grafana --")

# --------------------------------------------------------------------------- targets


def prom(expr: str, legend: str = "__auto", *, instant: bool = False, ref: str = "A") -> Any:
    q = prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(ref).datasource(VM)
    return q.instant() if instant else q.range()


def logql(expr: str, legend: str) -> Any:
    """A LogQL metric query (for a time series panel on the Loki datasource)."""
    return loki.Dataquery().expr(expr).legend_format(legend).datasource(LOKI)


def _targets(panel: Any, queries: Sequence[Any]) -> Any:
    for i, q in enumerate(queries):
        q.ref_id(chr(ord("A") + i))
        panel.with_target(q)
    return panel


# --------------------------------------------------------------------------- panels


def ts(
    title: str,
    *queries: Any,
    unit: str = "short",
    w: int = 12,
    h: int = 8,
    desc: str = "",
    stack: bool = False,
) -> Any:
    p = (
        timeseries.Panel()
        .title(title)
        .datasource(VM)
        .unit(unit)
        .span(w)
        .height(h)
        .line_width(1)
        .fill_opacity(10)
    )
    if desc:
        p.description(desc)
    if stack:
        p.stacking(cb.StackingConfig().mode(common.StackingMode.NORMAL))
    return _targets(p, queries)


def st(
    title: str, query: Any, *, unit: str = "short", w: int = 4, h: int = 4, desc: str = ""
) -> Any:
    p = (
        stat.Panel()
        .title(title)
        .datasource(VM)
        .unit(unit)
        .span(w)
        .height(h)
        .reduce_options(cb.ReduceDataOptions().calcs(["lastNotNull"]))
        .graph_mode(common.BigValueGraphMode.AREA)
    )
    if desc:
        p.description(desc)
    return _targets(p, [query])


def tbl(title: str, *queries: Any, w: int = 12, h: int = 8, desc: str = "") -> Any:
    """Table of instant queries: one row per series (format=table), merged on common labels."""
    p = table.Panel().title(title).datasource(VM).span(w).height(h)
    for q in queries:
        q.format(prometheus_models.PromQueryFormat.TABLE)
    if len(queries) > 1:
        p.with_transformation(dm.DataTransformerConfig(id_val="merge", options={}))
    if desc:
        p.description(desc)
    return _targets(p, queries)


def log_stream(title: str, expr: str, *, max_lines: int = 1000) -> Any:
    """Full-width Loki logs panel, newest first, with log details."""
    return (
        logs.Panel()
        .title(title)
        .datasource(LOKI)
        .span(24)
        .height(16)
        .show_time(True)
        .wrap_log_message(True)
        .enable_log_details(True)
        .sort_order(common.LogsSortOrder.DESCENDING)
        .with_target(loki.Dataquery().expr(expr).max_lines(max_lines).ref_id("A").datasource(LOKI))
    )


def trace_table(title: str, traceql: str, *, limit: int = 20) -> Any:
    """Tempo search results (one row per trace) for a TraceQL query."""
    return (
        table.Panel()
        .title(title)
        .datasource(TEMPO)
        .span(12)
        .height(10)
        .with_target(
            tempo.TempoQuery()
            .query_type("traceql")
            .query(traceql)
            .table_type(tempo_models.SearchTableType.TRACES)
            .limit(limit)
            .ref_id("A")
            .datasource(TEMPO)
        )
    )


# --------------------------------------------------------------------------- variables


def all_option() -> Any:
    """The selected "All" option of a multi-value variable."""
    return dm.VariableOption(selected=True, text="All", value="$__all")


def var_query(name: str, label: str, query: str, *, multi: bool = True, all_: bool = True) -> Any:
    v = (
        dash.QueryVariable(name)
        .label(label)
        .datasource(VM)
        .query(query)
        .refresh(dm.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(dm.VariableSort.ALPHABETICAL_ASC)
        .multi(multi)
    )
    if all_:
        v.include_all(True).all_value(".*").current(all_option())
    return v


def service_var(selector: str, *, multi: bool = True, all_: bool = True) -> Any:
    return var_query(
        "service", "Service", f"label_values({selector}, service)", multi=multi, all_=all_
    )


def with_matcher(selector: str, matcher: str) -> str:
    """Add a label matcher to a series selector: `m{a="b"}` + `c=~"d"` -> `m{a="b", c=~"d"}`."""
    if selector.endswith("}"):
        return f"{selector[:-1]}, {matcher}}}"
    return f"{selector}{{{matcher}}}"


def version_var(selector: str) -> Any:
    scoped = with_matcher(selector, 'service=~"$service"')
    return var_query("version", "Version", f"label_values({scoped}, version)")


def tenant_var(selector: str) -> Any:
    return var_query("tenant", "Tenant (bounded)", f"label_values({selector}, tenant)")


# --------------------------------------------------------------------------- dashboards


def deploy_annotation(tags: list[str] | None = None, name: str = "Deployments") -> Any:
    return (
        dash.AnnotationQuery()
        .name(name)
        .datasource(GRAFANA)
        .enable(True)
        .icon_color("#8F3BB8")
        .target(
            dash.AnnotationTarget()
            .type("tags")
            .tags(tags or ["deploy"])
            .match_any(False)
            .limit(100)
        )
    )


def base(uid: str, title: str, desc: str, tags: list[str]) -> Any:
    return (
        dash.Dashboard(title)
        .uid(uid)
        .description(desc)
        .tags(["cloudlysis", *tags])
        .editable()
        .time("now-3h", "now")
        .refresh("30s")
        .timezone("browser")
        .tooltip(dm.DashboardCursorSync.CROSSHAIR)
        .annotation(deploy_annotation())
        .link(
            dash.DashboardLink("Cloudlysis dashboards")
            .type(dm.DashboardLinkType.DASHBOARDS)
            .tags(["cloudlysis"])
            .as_dropdown(True)
            .include_vars(True)
            .keep_time(True)
        )
    )


def add(d: Any, panels: Sequence[Any]) -> Any:
    for p in panels:
        d.with_panel(p)
    return d
