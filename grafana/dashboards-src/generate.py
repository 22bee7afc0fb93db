"""Generate the Cloudlysis Grafana dashboards (Grafana 11.6, schemaVersion 41) as code.

Run from the api venv (it pins grafana-foundation-sdk==1769699379!11.6.0):

    cd api && uv run python ../grafana/dashboards-src/generate.py          # write JSON
    cd api && uv run python ../grafana/dashboards-src/generate.py --check  # CI: fail on drift

Every PromQL expression here is executed against a real VictoriaMetrics loaded with fixtures for
the instrumentation contract (docs/observability/metrics-contract.yaml) by
api/tests/observability. Conventions:

* datasources are referenced by fixed uids: victoriametrics, loki, tempo;
* every dashboard has the `service` and `version` variables (All = ".*", regex matchers) and
  the deploy annotation (Grafana annotations tagged `deploy`, written by the control plane);
* tenant breakdowns are always wrapped in topk() and the tenant label is bounded by contract;
* no query groups by request_id, correlation_id or trace_id.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.builders import common as cb
from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import (
    logs,
    loki,
    nodegraph,
    prometheus,
    stat,
    table,
    tempo,
    timeseries,
)
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as dm
from grafana_foundation_sdk.models import prometheus as prometheus_models
from grafana_foundation_sdk.models import tempo as tempo_models

ROOT = Path(__file__).resolve().parents[2]
OUT_DIR = ROOT / "grafana" / "dashboards"

VM = dm.DataSourceRef(type_val="prometheus", uid="victoriametrics")
LOKI = dm.DataSourceRef(type_val="loki", uid="loki")
TEMPO = dm.DataSourceRef(type_val="tempo", uid="tempo")
GRAFANA = dm.DataSourceRef(type_val="grafana", uid="-- Grafana --")

# Platform services whose HTTP metrics follow <service>_http_requests_total etc.
HTTP_NAMES = "(gateway|aggregate|projection|runner|control)"
RI = "$__rate_interval"
SV = 'service=~"$service", version=~"$version"'
TENANT_TOPK = 10

# --------------------------------------------------------------------------- small builders


def prom(expr: str, legend: str = "__auto", *, instant: bool = False, ref: str = "A") -> Any:
    q = prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(ref).datasource(VM)
    return q.instant() if instant else q.range()


def _targets(panel: Any, queries: Sequence[Any]) -> Any:
    for i, q in enumerate(queries):
        q.ref_id(chr(ord("A") + i))
        panel.with_target(q)
    return panel


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
        v.include_all(True).all_value(".*").current(
            dm.VariableOption(selected=True, text="All", value="$__all")
        )
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


# --------------------------------------------------------------------------- dashboards


def ops_overview() -> Any:
    d = base(
        "cl-ops-overview",
        "Cloudlysis / Operations overview",
        "Golden signals per service, control API health, event bus and node pressure.",
        ["overview"],
    )
    d.with_variable(service_var('up{job=~"platform|control-api"}'))
    d.with_variable(version_var('up{job=~"platform|control-api"}'))
    return add(
        d,
        [
            st(
                "Targets down",
                prom('sum(1 - up{job=~"platform|control-api", service=~"$service"})'),
                desc="Scrape targets of platform services that failed their last scrape.",
            ),
            st("Request rate", prom(f"sum(service:http_requests:rate5m{{{SV}}})"), unit="reqps"),
            st(
                "Error ratio (5xx)",
                prom(
                    f'sum(service:http_requests:rate5m{{{SV}, status=~"5.."}})'
                    f" / sum(service:http_requests:rate5m{{{SV}}})"
                ),
                unit="percentunit",
            ),
            st(
                "Gateway SLO burn (1h)",
                prom("max(slo:gateway_availability:burnrate1h)"),
                desc="Error-budget burn rate of the 99.9% availability SLO; 1 = on budget.",
            ),
            st("Control API NATS", prom("min(control_nats_connected)"), desc="1 = connected"),
            st(
                "Audit write failures (1h)",
                prom('sum(increase(control_audit_events_total{outcome="error"}[1h]))'),
            ),
            ts(
                "Request rate by service",
                prom(f"sum by (service) (service:http_requests:rate5m{{{SV}}})", "{{service}}"),
                unit="reqps",
            ),
            ts(
                "5xx ratio by service",
                prom(f"service:http_errors:ratio_rate5m{{{SV}}}", "{{service}} {{version}}"),
                unit="percentunit",
            ),
            ts(
                "p99 latency by service",
                prom(
                    f"service:http_request_duration_seconds:p99_5m{{{SV}}}",
                    "{{service}} {{version}}",
                ),
                unit="s",
            ),
            tbl(
                "Running builds",
                prom(
                    'max by (service, version, git_sha) ({__name__=~".+_build_info", '
                    'service=~"$service", version=~"$version"})',
                    instant=True,
                ),
                desc="From <service>_build_info{service,version,git_sha} = 1.",
            ),
            ts(
                "Control API requests by route",
                prom(
                    f"sum by (route, status) (rate(control_http_requests_total[{RI}]))",
                    "{{route}} {{status}}",
                ),
                unit="reqps",
            ),
            ts(
                "Control API p95 latency by route",
                prom(
                    "histogram_quantile(0.95, sum by (route, le) "
                    f"(rate(control_http_request_duration_seconds_bucket[{RI}])))",
                    "{{route}}",
                ),
                unit="s",
            ),
            ts(
                "Control API jobs by kind and outcome",
                prom(
                    f"sum by (kind, outcome) (rate(control_jobs_total[{RI}]))",
                    "{{kind}} {{outcome}}",
                ),
                unit="ops",
                w=8,
            ),
            ts(
                "Control API upstream calls",
                prom(
                    f"sum by (upstream, outcome) (rate(control_upstream_requests_total[{RI}]))",
                    "{{upstream}} {{outcome}}",
                ),
                prom(
                    "histogram_quantile(0.95, sum by (upstream, le) "
                    f"(rate(control_upstream_request_duration_seconds_bucket[{RI}])))",
                    "p95 {{upstream}}",
                ),
                unit="short",
                w=8,
            ),
            ts(
                "Control API audit events",
                prom(
                    f"sum by (outcome) (rate(control_audit_events_total[{RI}]))",
                    "{{outcome}}",
                ),
                unit="ops",
                w=8,
            ),
            ts(
                "Event bus pending messages by stream",
                prom(
                    "sum by (stream) (eventbus_consumer_pending_messages"
                    '{service=~"$service", version=~"$version"})',
                    "{{stream}}",
                ),
            ),
            ts(
                "Node CPU busy",
                prom(
                    'sum by (node) (rate(node_cpu_seconds_total{mode!="idle"}'
                    f"[{RI}])) / sum by (node) (rate(node_cpu_seconds_total[{RI}]))",
                    "{{node}}",
                ),
                unit="percentunit",
            ),
        ],
    )


def http_detail() -> Any:
    d = base(
        "cl-http-detail",
        "Cloudlysis / HTTP detail (Gateway)",
        "Gateway traffic per route template, upstream calls, auth and rate limiting.",
        ["http", "gateway"],
    )
    d.with_variable(service_var("gateway_http_requests_total"))
    d.with_variable(version_var("gateway_http_requests_total"))
    d.with_variable(
        var_query(
            "route",
            "Route",
            'label_values(gateway_http_requests_total{service=~"$service"}, route)',
        )
    )
    d.with_variable(tenant_var("gateway_rate_limited_total"))
    sel = f'{SV}, route=~"$route"'
    return add(
        d,
        [
            ts(
                "Requests by route",
                prom(
                    f"sum by (route) (rate(gateway_http_requests_total{{{sel}}}[{RI}]))",
                    "{{route}}",
                ),
                unit="reqps",
            ),
            ts(
                "Responses by status",
                prom(
                    f"sum by (status) (rate(gateway_http_requests_total{{{sel}}}[{RI}]))",
                    "{{status}}",
                ),
                unit="reqps",
                stack=True,
            ),
            ts(
                "5xx ratio by route",
                prom(
                    "sum by (route) (rate(gateway_http_requests_total"
                    f'{{{sel}, status=~"5.."}}[{RI}])) / sum by (route) '
                    f"(rate(gateway_http_requests_total{{{sel}}}[{RI}]))",
                    "{{route}}",
                ),
                unit="percentunit",
            ),
            ts(
                "Latency percentiles by route",
                *[
                    prom(
                        f"histogram_quantile({q}, sum by (route, le) "
                        f"(rate(gateway_http_request_duration_seconds_bucket{{{sel}}}[{RI}])))",
                        f"p{int(q * 100)} {{{{route}}}}",
                    )
                    for q in (0.5, 0.95, 0.99)
                ],
                unit="s",
            ),
            tbl(
                "Routes (last 1h)",
                prom(
                    f"sum by (route, method) (increase(gateway_http_requests_total{{{sel}}}[1h]))",
                    instant=True,
                ),
                desc="Request count per route template and method over the last hour.",
            ),
            ts(
                "In-flight requests",
                prom(f"sum by (version) (gateway_http_requests_in_flight{{{SV}}})", "{{version}}"),
            ),
            ts(
                "Upstream calls by outcome",
                prom(
                    "sum by (upstream, outcome) "
                    f"(rate(gateway_upstream_requests_total{{{SV}}}[{RI}]))",
                    "{{upstream}} {{outcome}}",
                ),
                unit="reqps",
            ),
            ts(
                "Upstream p99 latency",
                prom(
                    "histogram_quantile(0.99, sum by (upstream, le) "
                    f"(rate(gateway_upstream_request_duration_seconds_bucket{{{SV}}}[{RI}])))",
                    "{{upstream}}",
                ),
                unit="s",
            ),
            ts(
                "Auth failures by reason",
                prom(
                    f"sum by (reason) (rate(gateway_auth_failures_total{{{SV}}}[{RI}]))",
                    "{{reason}}",
                ),
                unit="ops",
            ),
            ts(
                f"Rate-limited requests (top {TENANT_TOPK} tenants)",
                prom(
                    f"topk({TENANT_TOPK}, sum by (tenant) "
                    f'(rate(gateway_rate_limited_total{{{SV}, tenant=~"$tenant"}}[{RI}])))',
                    "{{tenant}}",
                ),
                unit="ops",
            ),
        ],
    )


def logs_dashboard() -> Any:
    d = base(
        "cl-logs",
        "Cloudlysis / Logs",
        "Loki logs of platform services. request_id, correlation_id and trace_id are structured "
        'metadata (not labels): filter them with `| correlation_id="..."`. trace_id links to '
        "Tempo through the Loki datasource's derived field.",
        ["logs"],
    )
    d.with_variable(service_var('up{job=~"platform|control-api"}'))
    d.with_variable(version_var('up{job=~"platform|control-api"}'))
    d.with_variable(
        dash.CustomVariable("level")
        .label("Level")
        .values("debug,info,warning,error,critical")
        .multi(True)
        .include_all(True)
        .all_value(".*")
        .current(dm.VariableOption(selected=True, text="All", value="$__all"))
    )
    d.with_variable(
        dash.TextBoxVariable("correlation_id").label("Correlation id (regex)").default_value(".*")
    )
    d.with_variable(dash.TextBoxVariable("search").label("Line contains").default_value(""))
    stream = '{service=~"$service", level=~"$level"}'
    line = f'{stream} | correlation_id=~"$correlation_id" |= "$search"'
    return add(
        d,
        [
            ts(
                "Log volume by level",
                loki.Dataquery()
                .expr(f"sum by (level) (count_over_time({line} [$__auto]))")
                .legend_format("{{level}}")
                .datasource(LOKI),
                w=16,
                stack=True,
            ).datasource(LOKI),
            ts(
                "Error lines by service",
                loki.Dataquery()
                .expr(
                    'sum by (service) (count_over_time({service=~"$service", '
                    'level=~"error|critical"} [$__auto]))'
                )
                .legend_format("{{service}}")
                .datasource(LOKI),
                w=8,
            ).datasource(LOKI),
            ts(
                "5xx responses (from metrics)",
                prom(
                    f'sum by (service) (service:http_requests:rate5m{{{SV}, status=~"5.."}})',
                    "{{service}}",
                ),
                unit="reqps",
                w=24,
                h=5,
            ),
            logs.Panel()
            .title("Logs")
            .datasource(LOKI)
            .span(24)
            .height(16)
            .show_time(True)
            .wrap_log_message(True)
            .enable_log_details(True)
            .sort_order(common.LogsSortOrder.DESCENDING)
            .with_target(loki.Dataquery().expr(line).max_lines(1000).ref_id("A").datasource(LOKI)),
        ],
    )


def traces_dashboard() -> Any:
    d = base(
        "cl-traces",
        "Cloudlysis / Traces",
        "Tempo search, service graph and span metrics "
        "(Tempo metrics generator -> VictoriaMetrics).",
        ["traces"],
    )
    d.with_variable(service_var("traces_spanmetrics_calls_total"))
    d.with_variable(version_var('up{job=~"platform|control-api"}'))
    span_sel = 'service=~"$service"'
    return add(
        d,
        [
            ts(
                "Span rate by service",
                prom(
                    f"sum by (service) (rate(traces_spanmetrics_calls_total{{{span_sel}}}[{RI}]))",
                    "{{service}}",
                ),
                unit="ops",
                w=8,
            ),
            ts(
                "Span error ratio by service",
                prom(
                    "sum by (service) (rate(traces_spanmetrics_calls_total"
                    f'{{{span_sel}, status_code="STATUS_CODE_ERROR"}}[{RI}])) / sum by (service) '
                    f"(rate(traces_spanmetrics_calls_total{{{span_sel}}}[{RI}]))",
                    "{{service}}",
                ),
                unit="percentunit",
                w=8,
            ),
            ts(
                "Server span p95 by span name",
                prom(
                    "histogram_quantile(0.95, sum by (span_name, le) "
                    "(rate(traces_spanmetrics_latency_bucket"
                    f'{{{span_sel}, span_kind="SPAN_KIND_SERVER"}}[{RI}])))',
                    "{{span_name}}",
                ),
                unit="s",
                w=8,
            ),
            nodegraph.Panel()
            .title("Service graph")
            .datasource(TEMPO)
            .span(12)
            .height(10)
            .with_target(tempo.TempoQuery().query_type("serviceMap").ref_id("A").datasource(TEMPO)),
            ts(
                "Service graph edges: request rate and failures",
                prom(
                    f"sum by (client, server) (rate(traces_service_graph_request_total[{RI}]))",
                    "{{client}} → {{server}}",
                ),
                prom(
                    "sum by (client, server) "
                    f"(rate(traces_service_graph_request_failed_total[{RI}]))",
                    "failed {{client}} → {{server}}",
                ),
                unit="reqps",
            ),
            ts(
                "Service graph edges: server p95",
                prom(
                    "histogram_quantile(0.95, sum by (client, server, le) "
                    f"(rate(traces_service_graph_request_server_seconds_bucket[{RI}])))",
                    "{{client}} → {{server}}",
                ),
                unit="s",
                w=24,
                h=6,
            ),
            table.Panel()
            .title("Error traces")
            .datasource(TEMPO)
            .span(12)
            .height(10)
            .with_target(
                tempo.TempoQuery()
                .query_type("traceql")
                .query('{resource.service.name=~"$service" && status=error}')
                .table_type(tempo_models.SearchTableType.TRACES)
                .limit(20)
                .ref_id("A")
                .datasource(TEMPO)
            ),
            table.Panel()
            .title("Slowest traces (> 1s)")
            .datasource(TEMPO)
            .span(12)
            .height(10)
            .with_target(
                tempo.TempoQuery()
                .query_type("traceql")
                .query('{resource.service.name=~"$service" && duration > 1s}')
                .table_type(tempo_models.SearchTableType.TRACES)
                .limit(20)
                .ref_id("A")
                .datasource(TEMPO)
            ),
            ts(
                "HTTP p99 by version (metrics)",
                prom(
                    f"service:http_request_duration_seconds:p99_5m{{{SV}}}",
                    "{{service}} {{version}}",
                ),
                unit="s",
            ),
        ],
    )


def eventbus() -> Any:
    d = base(
        "cl-eventbus",
        "Cloudlysis / Event bus (JetStream)",
        "Client-side publish/consume metrics of the services and the NATS server's JetStream view.",
        ["eventbus", "nats"],
    )
    d.with_variable(service_var('{__name__=~"eventbus_publish_total|eventbus_consume_total"}'))
    d.with_variable(version_var("eventbus_publish_total"))
    d.with_variable(var_query("stream", "Stream", "label_values(eventbus_publish_total, stream)"))
    sel = f'{SV}, stream=~"$stream"'
    return add(
        d,
        [
            ts(
                "Publish rate by stream and outcome",
                prom(
                    f"sum by (stream, outcome) (rate(eventbus_publish_total{{{sel}}}[{RI}]))",
                    "{{stream}} {{outcome}}",
                ),
                unit="ops",
            ),
            ts(
                "Publish p99 (until JetStream ack)",
                prom(
                    "histogram_quantile(0.99, sum by (stream, le) "
                    f"(rate(eventbus_publish_duration_seconds_bucket{{{sel}}}[{RI}])))",
                    "{{stream}}",
                ),
                unit="s",
            ),
            ts(
                "Consume rate by consumer and outcome",
                prom(
                    f"sum by (consumer, outcome) (rate(eventbus_consume_total{{{sel}}}[{RI}]))",
                    "{{consumer}} {{outcome}}",
                ),
                unit="ops",
            ),
            ts(
                "Pending and ack-pending by consumer",
                prom(
                    f"sum by (consumer) (eventbus_consumer_pending_messages{{{sel}}})",
                    "pending {{consumer}}",
                ),
                prom(
                    f"sum by (consumer) (eventbus_consumer_ack_pending_messages{{{sel}}})",
                    "ack pending {{consumer}}",
                ),
            ),
            ts(
                "Redeliveries by consumer",
                prom(
                    f"sum by (consumer) (rate(eventbus_redeliveries_total{{{sel}}}[{RI}]))",
                    "{{consumer}}",
                ),
                unit="ops",
                w=8,
            ),
            ts(
                "Stream size (server)",
                prom(
                    "sum by (stream_name) "
                    '(jetstream_stream_total_messages{stream_name=~"$stream"})',
                    "{{stream_name}} msgs",
                ),
                prom(
                    'sum by (stream_name) (jetstream_stream_total_bytes{stream_name=~"$stream"})',
                    "{{stream_name}} bytes",
                ),
                w=8,
            ),
            ts(
                "Consumer pending (server)",
                prom(
                    "sum by (stream_name, consumer_name) "
                    '(jetstream_consumer_num_pending{stream_name=~"$stream"})',
                    "{{stream_name}}/{{consumer_name}}",
                ),
                prom(
                    "sum by (stream_name, consumer_name) "
                    '(jetstream_consumer_num_ack_pending{stream_name=~"$stream"})',
                    "ack {{stream_name}}/{{consumer_name}}",
                ),
                prom(
                    "sum by (stream_name, consumer_name) "
                    '(jetstream_consumer_num_redelivered{stream_name=~"$stream"})',
                    "redelivered {{stream_name}}/{{consumer_name}}",
                ),
                w=8,
            ),
            ts(
                "NATS messages in/out",
                prom(f"sum by (node) (rate(gnatsd_varz_in_msgs[{RI}]))", "in {{node}}"),
                prom(f"sum by (node) (rate(gnatsd_varz_out_msgs[{RI}]))", "out {{node}}"),
                unit="ops",
                w=8,
            ),
            ts(
                "NATS connections and slow consumers",
                prom("sum by (node) (gnatsd_varz_connections)", "connections {{node}}"),
                prom(
                    "sum by (node) (increase(gnatsd_varz_slow_consumers[10m]))",
                    "slow consumers {{node}}",
                ),
                w=8,
            ),
            ts(
                "NATS server memory",
                prom("sum by (node) (gnatsd_varz_mem)", "{{node}}"),
                unit="bytes",
                w=8,
            ),
        ],
    )


def workers() -> Any:
    d = base(
        "cl-workers",
        "Cloudlysis / Workers (Runner)",
        "Runner job throughput, failures, duration, queues and worker saturation.",
        ["runner"],
    )
    d.with_variable(service_var("runner_jobs_total"))
    d.with_variable(version_var("runner_jobs_total"))
    d.with_variable(tenant_var("runner_tenant_jobs_inflight"))
    d.with_variable(var_query("job_type", "Job type", "label_values(runner_jobs_total, job_type)"))
    sel = f'{SV}, job_type=~"$job_type"'
    return add(
        d,
        [
            ts(
                "Jobs by type and outcome",
                prom(
                    f"sum by (job_type, outcome) (rate(runner_jobs_total{{{sel}}}[{RI}]))",
                    "{{job_type}} {{outcome}}",
                ),
                unit="ops",
            ),
            ts(
                "Failure ratio by type",
                prom(
                    "sum by (job_type) (rate(runner_jobs_total"
                    f'{{{sel}, outcome!="ok"}}[{RI}])) / sum by (job_type) '
                    f"(rate(runner_jobs_total{{{sel}}}[{RI}]))",
                    "{{job_type}}",
                ),
                unit="percentunit",
            ),
            ts(
                "Job duration p50 / p95",
                *[
                    prom(
                        f"histogram_quantile({q}, sum by (job_type, le) "
                        f"(rate(runner_job_duration_seconds_bucket{{{sel}}}[{RI}])))",
                        f"p{int(q * 100)} {{{{job_type}}}}",
                    )
                    for q in (0.5, 0.95)
                ],
                unit="s",
            ),
            ts(
                "Queue depth",
                prom(f"sum by (queue) (runner_queue_depth{{{SV}}})", "{{queue}}"),
            ),
            ts(
                "Worker utilisation",
                prom(
                    f"sum by (version) (runner_workers_busy{{{SV}}}) / "
                    f"sum by (version) (runner_workers_capacity{{{SV}}})",
                    "{{version}}",
                ),
                unit="percentunit",
                w=8,
            ),
            ts(
                "Retries by type",
                prom(
                    f"sum by (job_type) (rate(runner_job_retries_total{{{sel}}}[{RI}]))",
                    "{{job_type}}",
                ),
                unit="ops",
                w=8,
            ),
            ts(
                f"Running jobs (top {TENANT_TOPK} tenants)",
                prom(
                    f"topk({TENANT_TOPK}, sum by (tenant) "
                    f'(runner_tenant_jobs_inflight{{{SV}, tenant=~"$tenant"}}))',
                    "{{tenant}}",
                ),
                w=8,
            ),
            ts(
                "Runner consumers pending",
                prom(
                    'sum by (consumer) (eventbus_consumer_pending_messages{service="runner", '
                    'version=~"$version"})',
                    "{{consumer}}",
                ),
                w=24,
                h=6,
            ),
        ],
    )


def storage() -> Any:
    d = base(
        "cl-storage",
        "Cloudlysis / Storage (libmdbx + node disk)",
        "libmdbx environments of the Aggregate and Projection, "
        "and the node filesystems under them.",
        ["storage"],
    )
    d.with_variable(service_var("mdbx_db_size_bytes"))
    d.with_variable(version_var("mdbx_db_size_bytes"))
    d.with_variable(var_query("db", "Database", "label_values(mdbx_db_size_bytes, db)"))
    sel = f'{SV}, db=~"$db"'
    return add(
        d,
        [
            ts(
                "Datafile size vs map size limit",
                prom(f"sum by (service, db) (mdbx_db_size_bytes{{{sel}}})", "{{service}}/{{db}}"),
                prom(
                    f"sum by (service, db) (mdbx_db_max_size_bytes{{{sel}}})",
                    "limit {{service}}/{{db}}",
                ),
                unit="bytes",
            ),
            ts(
                "Map size used",
                prom(
                    f"max by (service, db) (mdbx_db_size_bytes{{{sel}}} / "
                    f"mdbx_db_max_size_bytes{{{sel}}})",
                    "{{service}}/{{db}}",
                ),
                unit="percentunit",
            ),
            ts(
                "Transaction p99 by kind",
                prom(
                    "histogram_quantile(0.99, sum by (service, kind, le) "
                    f"(rate(mdbx_txn_duration_seconds_bucket{{{sel}}}[{RI}])))",
                    "{{service}} {{kind}}",
                ),
                unit="s",
            ),
            ts(
                "Write commits",
                prom(
                    f"sum by (service, db) (rate(mdbx_write_txn_commits_total{{{sel}}}[{RI}]))",
                    "{{service}}/{{db}}",
                ),
                unit="ops",
            ),
            ts(
                "Reader slots used",
                prom(
                    f"max by (service, db) (mdbx_readers_active{{{sel}}} / "
                    f"mdbx_readers_max{{{sel}}})",
                    "{{service}}/{{db}}",
                ),
                unit="percentunit",
                w=8,
            ),
            ts(
                "Freelist pages",
                prom(f"max by (service, db) (mdbx_freelist_pages{{{sel}}})", "{{service}}/{{db}}"),
                w=8,
            ),
            ts(
                "Filesystem free",
                prom(
                    "min by (node, mountpoint) "
                    '(node_filesystem_avail_bytes{fstype!~"tmpfs|overlay"}'
                    ' / node_filesystem_size_bytes{fstype!~"tmpfs|overlay"})',
                    "{{node}} {{mountpoint}}",
                ),
                unit="percentunit",
                w=8,
            ),
            ts(
                "Disk busy (io time)",
                prom(
                    f"max by (node, device) (rate(node_disk_io_time_seconds_total[{RI}]))",
                    "{{node}} {{device}}",
                ),
                unit="percentunit",
                w=8,
            ),
            ts(
                "Disk throughput",
                prom(
                    f"sum by (node) (rate(node_disk_read_bytes_total[{RI}]))",
                    "read {{node}}",
                ),
                prom(
                    f"sum by (node) (rate(node_disk_written_bytes_total[{RI}]))",
                    "write {{node}}",
                ),
                unit="Bps",
                w=8,
            ),
            ts(
                "Inodes free",
                prom(
                    "min by (node, mountpoint) (node_filesystem_files_free"
                    '{fstype!~"tmpfs|overlay"} / node_filesystem_files{fstype!~"tmpfs|overlay"})',
                    "{{node}} {{mountpoint}}",
                ),
                unit="percentunit",
                w=8,
            ),
        ],
    )


def cluster() -> Any:
    d = base(
        "cl-cluster",
        "Cloudlysis / Cluster & orchestrator",
        "Docker Swarm state (engine metrics), containers per service (cAdvisor) and scrape health.",
        ["cluster", "swarm"],
    )
    d.with_variable(service_var("container_last_seen"))
    d.with_variable(version_var('up{job=~"platform|control-api"}'))
    d.with_variable(var_query("node", "Node", "label_values(node_load1, node)"))
    return add(
        d,
        [
            st("Swarm services", prom("max(swarm_manager_services_total)")),
            st("Raft leader present", prom("max(swarm_manager_leader)"), desc="1 = a leader"),
            st(
                "Nodes not ready",
                prom('sum(max by (state) (swarm_manager_nodes{state!="ready"}))'),
            ),
            st(
                "Targets down",
                prom("sum(1 - up)"),
                desc="All scrape targets (platform, exporters, NATS, engines).",
            ),
            st(
                "Health-check failures (1h)",
                prom("sum(increase(engine_daemon_health_checks_failed_total[1h]))"),
            ),
            st(
                "Running platform tasks",
                prom('count(up{job=~"platform|control-api", version=~"$version"})'),
            ),
            ts(
                "Swarm nodes by state",
                prom("max by (state) (swarm_manager_nodes)", "{{state}}"),
                w=8,
            ),
            ts(
                "Swarm tasks by state",
                prom("max by (state) (swarm_manager_tasks_total)", "{{state}}"),
                w=8,
            ),
            ts(
                "Containers by state",
                prom(
                    'sum by (state) (engine_daemon_container_states_containers{node=~"$node"})',
                    "{{state}}",
                ),
                w=8,
            ),
            ts(
                "Containers per service",
                prom(
                    'count by (service) (container_last_seen{service=~"$service", node=~"$node"})',
                    "{{service}}",
                ),
            ),
            ts(
                "Scrape targets up by job",
                prom("sum by (job) (up)", "{{job}}"),
            ),
            ts(
                "Container CPU by service",
                prom(
                    "sum by (service) (rate(container_cpu_usage_seconds_total"
                    f'{{service=~"$service", node=~"$node"}}[{RI}]))',
                    "{{service}}",
                ),
                unit="short",
            ),
            ts(
                "Container memory by service",
                prom(
                    "sum by (service) (container_memory_working_set_bytes"
                    '{service=~"$service", node=~"$node"})',
                    "{{service}}",
                ),
                unit="bytes",
            ),
            ts(
                "Node network throughput",
                prom(
                    "sum by (node) (rate(node_network_receive_bytes_total"
                    f'{{node=~"$node"}}[{RI}]))',
                    "rx {{node}}",
                ),
                prom(
                    "sum by (node) (rate(node_network_transmit_bytes_total"
                    f'{{node=~"$node"}}[{RI}]))',
                    "tx {{node}}",
                ),
                unit="Bps",
            ),
            ts(
                "Node load per core",
                prom(
                    'max by (node) (node_load1{node=~"$node"}) / count by (node) '
                    '(node_cpu_seconds_total{mode="idle", node=~"$node"})',
                    "{{node}}",
                ),
            ),
        ],
    )


def noisy_neighbor() -> Any:
    d = base(
        "cl-noisy-neighbor",
        "Cloudlysis / Noisy neighbor & tenant health",
        f"Top {TENANT_TOPK} tenants by load, errors, in-flight work and lag. The tenant label is "
        "bounded by contract (allow-list + top-K per process, rest folded into __other__).",
        ["tenants"],
    )
    d.with_variable(service_var('up{job=~"platform"}'))
    d.with_variable(version_var('up{job=~"platform"}'))
    d.with_variable(tenant_var("gateway_tenant_requests_total"))
    t = f'{SV}, tenant=~"$tenant"'
    k = TENANT_TOPK
    return add(
        d,
        [
            ts(
                f"Requests (top {k} tenants)",
                prom(
                    f"topk({k}, sum by (tenant) "
                    f"(rate(gateway_tenant_requests_total{{{t}}}[{RI}])))",
                    "{{tenant}}",
                ),
                unit="reqps",
            ),
            ts(
                f"5xx ratio (top {k} tenants)",
                prom(
                    f"topk({k}, sum by (tenant) (rate(gateway_tenant_requests_total"
                    f'{{{t}, status_class="5xx"}}[{RI}])) / sum by (tenant) '
                    f"(rate(gateway_tenant_requests_total{{{t}}}[{RI}])))",
                    "{{tenant}}",
                ),
                unit="percentunit",
            ),
            ts(
                "Share of traffic of the busiest named tenant",
                prom(
                    'max(tenant:gateway_requests:rate5m{tenant!="__other__"}) '
                    "/ sum(tenant:gateway_requests:rate5m)",
                    "top tenant share",
                ),
                unit="percentunit",
                w=8,
            ),
            ts(
                f"Gateway in-flight (top {k} tenants)",
                prom(
                    f"topk({k}, sum by (tenant) (gateway_tenant_inflight_requests{{{t}}}))",
                    "{{tenant}}",
                ),
                w=8,
            ),
            ts(
                f"Rate-limited (top {k} tenants)",
                prom(
                    f"topk({k}, sum by (tenant) (rate(gateway_rate_limited_total{{{t}}}[{RI}])))",
                    "{{tenant}}",
                ),
                unit="ops",
                w=8,
            ),
            ts(
                f"Events appended (top {k} tenants)",
                prom(
                    f"topk({k}, sum by (tenant) "
                    f"(rate(aggregate_events_appended_total{{{t}}}[{RI}])))",
                    "{{tenant}}",
                ),
                unit="ops",
                w=8,
            ),
            ts(
                f"Aggregate commands in flight (top {k} tenants)",
                prom(
                    f"topk({k}, sum by (tenant) (aggregate_tenant_inflight_commands{{{t}}}))",
                    "{{tenant}}",
                ),
                w=8,
            ),
            ts(
                f"Projection lag (top {k} tenants)",
                prom(
                    f"topk({k}, max by (tenant) (projection_lag_events{{{t}}}))",
                    "{{tenant}}",
                ),
                w=8,
            ),
            ts(
                f"Runner jobs in flight (top {k} tenants)",
                prom(
                    f"topk({k}, sum by (tenant) (runner_tenant_jobs_inflight{{{t}}}))",
                    "{{tenant}}",
                ),
                w=12,
            ),
            tbl(
                f"Tenant load table (top {k}, last 1h)",
                prom(
                    f"topk({k}, sum by (tenant) "
                    f"(increase(gateway_tenant_requests_total{{{t}}}[1h])))",
                    instant=True,
                ),
                w=12,
            ),
        ],
    )


def regression() -> Any:
    d = base(
        "cl-api-regression",
        "Cloudlysis / API regression & deployment",
        "Old vs new version side by side (by version/image_tag) around deploy annotations. "
        "Deploy annotations are Grafana regions tagged deploy, service:<name>, stack:<name>, "
        "version:<v>, job:<id>.",
        ["deploy", "regression"],
    )
    d.annotation(deploy_annotation(["deploy", "service:$service"], "Deploys of $service"))
    d.with_variable(
        service_var('up{job=~"platform|control-api"}', multi=False, all_=False).current(
            dm.VariableOption(selected=True, text="gateway", value="gateway")
        )
    )
    d.with_variable(version_var('up{job=~"platform|control-api"}'))
    vsel = 'service="$service", version=~"$version"'
    return add(
        d,
        [
            tbl(
                "Builds running",
                prom(
                    f'max by (service, version, git_sha) ({{__name__=~".+_build_info", {vsel}}})',
                    instant=True,
                ),
                prom(
                    f'count by (version, image_tag) (up{{job=~"platform|control-api", {vsel}}})',
                    instant=True,
                ),
                w=24,
                h=6,
            ),
            ts(
                "Request rate by version",
                prom(
                    "sum by (version, image_tag) "
                    f'(rate({{__name__=~"{HTTP_NAMES}_http_requests_total", '
                    f"{vsel}}}[{RI}]))",
                    "{{version}} ({{image_tag}})",
                ),
                unit="reqps",
            ),
            ts(
                "5xx ratio by version",
                prom(
                    "sum by (version, image_tag) "
                    f'(rate({{__name__=~"{HTTP_NAMES}_http_requests_total", '
                    f'{vsel}, status=~"5.."}}[{RI}])) / sum by (version, image_tag) '
                    f'(rate({{__name__=~"{HTTP_NAMES}_http_requests_total", {vsel}}}[{RI}]))',
                    "{{version}} ({{image_tag}})",
                ),
                unit="percentunit",
            ),
            ts(
                "p50 latency by version",
                prom(
                    "histogram_quantile(0.5, sum by (version, le) "
                    f'(rate({{__name__=~"{HTTP_NAMES}_http_request_duration_seconds_bucket", '
                    f"{vsel}}}[{RI}])))",
                    "{{version}}",
                ),
                unit="s",
            ),
            ts(
                "p99 latency by version",
                prom(
                    "histogram_quantile(0.99, sum by (version, le) "
                    f'(rate({{__name__=~"{HTTP_NAMES}_http_request_duration_seconds_bucket", '
                    f"{vsel}}}[{RI}])))",
                    "{{version}}",
                ),
                unit="s",
            ),
            tbl(
                "Routes: p95 latency, new vs old",
                prom(
                    "histogram_quantile(0.95, sum by (version, route, le) "
                    f'(rate({{__name__=~"{HTTP_NAMES}_http_request_duration_seconds_bucket", '
                    f"{vsel}}}[30m])))",
                    instant=True,
                ),
                w=24,
                desc="One row per (route, version): compare versions of the same route.",
            ),
            ts(
                "Golden signals (recorded) by version",
                prom(
                    f"service:http_errors:ratio_rate5m{{{vsel}}}",
                    "5xx ratio {{version}}",
                ),
                prom(
                    f"service:http_request_duration_seconds:p99_5m{{{vsel}}}",
                    "p99 {{version}}",
                ),
                w=24,
            ),
        ],
    )


def bottlenecks() -> Any:
    d = base(
        "cl-bottlenecks",
        "Cloudlysis / Storage & event bus bottlenecks",
        "Where write latency comes from: libmdbx write transactions, JetStream publish acks, "
        "consumer backlog growth, projection lag and disk saturation on the same time axis.",
        ["storage", "eventbus"],
    )
    d.with_variable(
        service_var('{__name__=~"mdbx_txn_duration_seconds_count|eventbus_publish_total"}')
    )
    d.with_variable(version_var("mdbx_txn_duration_seconds_count"))
    return add(
        d,
        [
            ts(
                "Write path p99: mdbx write txn vs JetStream publish",
                prom(
                    "histogram_quantile(0.99, sum by (service, le) "
                    f'(rate(mdbx_txn_duration_seconds_bucket{{{SV}, kind="write"}}[{RI}])))',
                    "mdbx write {{service}}",
                ),
                prom(
                    "histogram_quantile(0.99, sum by (service, le) "
                    f"(rate(eventbus_publish_duration_seconds_bucket{{{SV}}}[{RI}])))",
                    "publish {{service}}",
                ),
                unit="s",
            ),
            ts(
                "Aggregate command p99 and conflicts",
                prom(
                    "histogram_quantile(0.99, sum by (command, le) "
                    f"(rate(aggregate_command_duration_seconds_bucket{{{SV}}}[{RI}])))",
                    "p99 {{command}}",
                ),
                prom(
                    f"sum by (command) (rate(aggregate_concurrency_conflicts_total{{{SV}}}[{RI}]))",
                    "conflicts/s {{command}}",
                ),
            ),
            ts(
                "Consumer backlog growth (per minute)",
                prom(
                    "sum by (stream, consumer) (deriv(eventbus_consumer_pending_messages"
                    f"{{{SV}}}[15m])) * 60",
                    "{{stream}}/{{consumer}}",
                ),
                desc="Positive = consumers falling behind.",
            ),
            ts(
                "Projection lag",
                prom(
                    f"max by (projection) (projection_lag_seconds{{{SV}}})",
                    "{{projection}}",
                ),
                unit="s",
            ),
            ts(
                "Projection apply p99",
                prom(
                    "histogram_quantile(0.99, sum by (projection, le) "
                    f"(rate(projection_processing_duration_seconds_bucket{{{SV}}}[{RI}])))",
                    "{{projection}}",
                ),
                unit="s",
                w=8,
            ),
            ts(
                "Publish errors",
                prom(
                    "sum by (service, stream) "
                    f'(rate(eventbus_publish_total{{{SV}, outcome!="ok"}}[{RI}]))',
                    "{{service}} {{stream}}",
                ),
                unit="ops",
                w=8,
            ),
            ts(
                "Aggregate commands by outcome",
                prom(
                    f"sum by (command, outcome) (rate(aggregate_commands_total{{{SV}}}[{RI}]))",
                    "{{command}} {{outcome}}",
                ),
                unit="ops",
                w=8,
            ),
            ts(
                "Projection throughput by outcome",
                prom(
                    "sum by (projection, outcome) "
                    f"(rate(projection_events_processed_total{{{SV}}}[{RI}]))",
                    "{{projection}} {{outcome}}",
                ),
                unit="ops",
                w=8,
            ),
            ts(
                "Disk busy vs mdbx commits",
                prom(
                    f"max by (node) (rate(node_disk_io_time_seconds_total[{RI}]))",
                    "disk busy {{node}}",
                ),
                prom(
                    f"sum by (node) (rate(mdbx_write_txn_commits_total{{{SV}}}[{RI}])) / 1000",
                    "k commits/s {{node}}",
                ),
                w=8,
            ),
        ],
    )


def exhaustion() -> Any:
    d = base(
        "cl-infra-exhaustion",
        "Cloudlysis / Infrastructure exhaustion",
        "Resources that run out: disk (and its forecast), memory, CPU, file descriptors, inodes, "
        "container limits, libmdbx map size and reader slots, worker slots.",
        ["infrastructure"],
    )
    d.with_variable(service_var("container_last_seen"))
    d.with_variable(version_var('up{job=~"platform"}'))
    d.with_variable(var_query("node", "Node", "label_values(node_load1, node)"))
    n = 'node=~"$node"'
    fs = f'fstype!~"tmpfs|overlay", {n}'
    return add(
        d,
        [
            ts(
                "Disk: hours until full (linear forecast, 6h)",
                prom(
                    f"min by (node, mountpoint) (node_filesystem_avail_bytes{{{fs}}} / "
                    f"clamp_min(-deriv(node_filesystem_avail_bytes{{{fs}}}[6h]), 1e-9)) / 3600",
                    "{{node}} {{mountpoint}}",
                ),
                unit="h",
                desc="Very large values mean the disk is not filling up.",
            ),
            ts(
                "Disk used",
                prom(
                    f"max by (node, mountpoint) (1 - node_filesystem_avail_bytes{{{fs}}} / "
                    f"node_filesystem_size_bytes{{{fs}}})",
                    "{{node}} {{mountpoint}}",
                ),
                unit="percentunit",
            ),
            ts(
                "Memory used",
                prom(
                    f"max by (node) (1 - node_memory_MemAvailable_bytes{{{n}}} / "
                    f"node_memory_MemTotal_bytes{{{n}}})",
                    "{{node}}",
                ),
                unit="percentunit",
                w=8,
            ),
            ts(
                "CPU busy",
                prom(
                    f'sum by (node) (rate(node_cpu_seconds_total{{mode!="idle", {n}}}[{RI}])) / '
                    f"sum by (node) (rate(node_cpu_seconds_total{{{n}}}[{RI}]))",
                    "{{node}}",
                ),
                unit="percentunit",
                w=8,
            ),
            ts(
                "File descriptors used",
                prom(
                    f"max by (node) (node_filefd_allocated{{{n}}} / node_filefd_maximum{{{n}}})",
                    "{{node}}",
                ),
                unit="percentunit",
                w=8,
            ),
            ts(
                "Container memory vs limit",
                prom(
                    "max by (service) (container_memory_working_set_bytes"
                    f'{{service=~"$service", {n}}} / (container_spec_memory_limit_bytes'
                    f'{{service=~"$service", {n}}} > 0))',
                    "{{service}}",
                ),
                unit="percentunit",
                w=8,
            ),
            ts(
                "Container CPU throttling",
                prom(
                    "sum by (service) (rate(container_cpu_cfs_throttled_periods_total"
                    f'{{service=~"$service", {n}}}[{RI}])) / sum by (service) '
                    "(rate(container_cpu_cfs_periods_total"
                    f'{{service=~"$service", {n}}}[{RI}]))',
                    "{{service}}",
                ),
                unit="percentunit",
                w=8,
            ),
            ts(
                "OOM kills (1h)",
                prom(
                    "sum by (service) (increase(container_oom_events_total"
                    f'{{service=~"$service", {n}}}[1h]))',
                    "{{service}}",
                ),
                w=8,
            ),
            ts(
                "libmdbx map size used",
                prom(
                    f"max by (service, db) (mdbx_db_size_bytes{{{SV}}} / "
                    f"mdbx_db_max_size_bytes{{{SV}}})",
                    "{{service}}/{{db}}",
                ),
                unit="percentunit",
                w=8,
            ),
            ts(
                "libmdbx reader slots used",
                prom(
                    f"max by (service, db) "
                    f"(mdbx_readers_active{{{SV}}} / mdbx_readers_max{{{SV}}})",
                    "{{service}}/{{db}}",
                ),
                unit="percentunit",
                w=8,
            ),
            ts(
                "Runner worker slots used",
                prom(
                    f"sum(runner_workers_busy{{{SV}}}) / sum(runner_workers_capacity{{{SV}}})",
                    "runner",
                ),
                unit="percentunit",
                w=8,
            ),
        ],
    )


DASHBOARDS: list[Callable[[], Any]] = [
    ops_overview,
    http_detail,
    logs_dashboard,
    traces_dashboard,
    eventbus,
    workers,
    storage,
    cluster,
    noisy_neighbor,
    regression,
    bottlenecks,
    exhaustion,
]


# --------------------------------------------------------------------------- output


# grafana-foundation-sdk emits these interval-variable fields on every variable; Grafana 11.6's
# own Dashboard schema (grafana/schema/dashboard-v11.6.16.schema.json) does not allow them on
# the variable model, and they mean nothing for query/custom/textbox variables: drop them.
_INTERVAL_ONLY_KEYS = ("auto", "auto_count", "auto_min")


def _clean_variables(model: dict[str, Any]) -> None:
    for var in model.get("templating", {}).get("list", []):
        if var.get("type") != "interval":
            for key in _INTERVAL_ONLY_KEYS:
                var.pop(key, None)


def _assign_ids(model: dict[str, Any]) -> None:
    next_id = 1
    for panel in model.get("panels", []):
        panel["id"] = next_id
        next_id += 1
        for sub in panel.get("panels", []) or []:
            sub["id"] = next_id
            next_id += 1


def render(builder: Builder[Any]) -> tuple[str, str]:
    built = builder.build()
    model: dict[str, Any] = json.loads(json.dumps(built, cls=JSONEncoder))
    _assign_ids(model)
    _clean_variables(model)
    return f"{model['uid']}.json", json.dumps(
        model, indent=2, sort_keys=True, ensure_ascii=False
    ) + "\n"


def render_all() -> dict[str, str]:
    out: dict[str, str] = {}
    for fn in DASHBOARDS:
        name, text = render(fn())
        if name in out:
            raise SystemExit(f"duplicate dashboard uid file {name}")
        out[name] = text
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if committed JSON differs")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    rendered = render_all()
    out_dir: Path = args.out
    if args.check:
        problems: list[str] = []
        existing = {p.name for p in out_dir.glob("*.json")} if out_dir.is_dir() else set()
        for name, text in rendered.items():
            path = out_dir / name
            current = path.read_text() if path.exists() else None
            if current != text:
                diff = "".join(
                    list(
                        difflib.unified_diff(
                            (current or "").splitlines(keepends=True),
                            text.splitlines(keepends=True),
                            f"committed/{name}",
                            f"generated/{name}",
                        )
                    )[:40]
                )
                problems.append(f"{name} differs from the generator output\n{diff}")
        for stale in sorted(existing - set(rendered)):
            problems.append(f"{stale} is not produced by the generator (stale file)")
        if problems:
            print("\n".join(problems), file=sys.stderr)
            print(
                "dashboards out of date: run "
                "`cd api && uv run python ../grafana/dashboards-src/generate.py`",
                file=sys.stderr,
            )
            return 1
        print(f"{len(rendered)} dashboards up to date")
        return 0
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in rendered.items():
        (out_dir / name).write_text(text)
    for stale in sorted({p.name for p in out_dir.glob("*.json")} - set(rendered)):
        (out_dir / stale).unlink()
    print(f"wrote {len(rendered)} dashboards to {out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
