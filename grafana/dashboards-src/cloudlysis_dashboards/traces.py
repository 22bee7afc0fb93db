"""cl-traces: Tempo search, service graph and span metrics (Tempo metrics generator -> VM)."""

from __future__ import annotations

from typing import Any

from grafana_foundation_sdk.builders import nodegraph, tempo

from cloudlysis_control.metrics import queries as q

from .panels import TEMPO, add, base, prom, service_var, trace_table, ts, version_var


def dashboard() -> Any:
    d = base(
        "cl-traces",
        "Cloudlysis / Traces",
        "Tempo search, service graph and span metrics "
        "(Tempo metrics generator -> VictoriaMetrics).",
        ["traces"],
    )
    d.with_variable(service_var("traces_spanmetrics_calls_total"))
    d.with_variable(version_var('up{job=~"platform|control-api"}'))
    return add(
        d,
        [
            ts(
                "Span rate by service",
                prom(q.SPAN_RATE_BY_SERVICE, "{{service}}"),
                unit="ops",
                w=8,
            ),
            ts(
                "Span error ratio by service",
                prom(q.SPAN_ERROR_RATIO_BY_SERVICE, "{{service}}"),
                unit="percentunit",
                w=8,
            ),
            ts(
                "Server span p95 by span name",
                prom(q.SERVER_SPAN_P95_BY_NAME, "{{span_name}}"),
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
                prom(q.SERVICE_GRAPH_REQUESTS, "{{client}} → {{server}}"),
                prom(q.SERVICE_GRAPH_FAILED, "failed {{client}} → {{server}}"),
                unit="reqps",
            ),
            ts(
                "Service graph edges: server p95",
                prom(q.SERVICE_GRAPH_SERVER_P95, "{{client}} → {{server}}"),
                unit="s",
                w=24,
                h=6,
            ),
            trace_table("Error traces", q.TRACES_WITH_ERRORS),
            trace_table("Slowest traces (> 1s)", q.TRACES_SLOWER_THAN_1S),
            ts(
                "HTTP p99 by version (metrics)",
                prom(q.P99_BY_SERVICE_VERSION, "{{service}} {{version}}"),
                unit="s",
            ),
        ],
    )
