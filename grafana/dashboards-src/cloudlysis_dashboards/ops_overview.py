"""cl-ops-overview: golden signals per service, control API health, event bus, node pressure."""

from __future__ import annotations

from typing import Any

from cloudlysis_control.metrics import queries as q

from .panels import add, base, prom, service_var, st, tbl, ts, version_var

UP = 'up{job=~"platform|control-api"}'


def dashboard() -> Any:
    d = base(
        "cl-ops-overview",
        "Cloudlysis / Operations overview",
        "Golden signals per service, control API health, event bus and node pressure.",
        ["overview"],
    )
    d.with_variable(service_var(UP))
    d.with_variable(version_var(UP))
    return add(
        d,
        [
            st(
                "Targets down",
                prom(q.PLATFORM_TARGETS_DOWN),
                desc="Scrape targets of platform services that failed their last scrape.",
            ),
            st("Request rate", prom(q.REQUEST_RATE), unit="reqps"),
            st("Error ratio (5xx)", prom(q.ERROR_RATIO), unit="percentunit"),
            st(
                "Gateway SLO burn (1h)",
                prom(q.GATEWAY_SLO_BURN_1H),
                desc="Error-budget burn rate of the 99.9% availability SLO; 1 = on budget.",
            ),
            st("Control API NATS", prom(q.CONTROL_NATS_CONNECTED), desc="1 = connected"),
            st("Audit write failures (1h)", prom(q.CONTROL_AUDIT_FAILURES_1H)),
            ts(
                "Request rate by service",
                prom(q.REQUEST_RATE_BY_SERVICE, "{{service}}"),
                unit="reqps",
            ),
            ts(
                "5xx ratio by service",
                prom(q.ERROR_RATIO_BY_SERVICE_VERSION, "{{service}} {{version}}"),
                unit="percentunit",
            ),
            ts(
                "p50 and p99 latency by service",
                prom(q.P99_BY_SERVICE_VERSION, "p99 {{service}} {{version}}"),
                prom(q.P50_BY_SERVICE_VERSION, "p50 {{service}} {{version}}", ref="B"),
                unit="s",
            ),
            tbl(
                "Running builds",
                prom(q.RUNNING_BUILDS, instant=True),
                desc="From <service>_build_info{service,version,git_sha} = 1.",
            ),
            ts(
                "Control API requests by route",
                prom(q.CONTROL_REQUESTS_BY_ROUTE, "{{route}} {{status}}"),
                unit="reqps",
            ),
            ts(
                "Control API p95 latency by route",
                prom(q.CONTROL_P95_BY_ROUTE, "{{route}}"),
                unit="s",
            ),
            ts(
                "Control API jobs by kind and outcome",
                prom(q.CONTROL_JOBS, "{{kind}} {{outcome}}"),
                unit="ops",
                w=8,
            ),
            ts(
                "Control API upstream calls",
                prom(q.CONTROL_UPSTREAM_CALLS, "{{upstream}} {{outcome}}"),
                prom(q.CONTROL_UPSTREAM_P95, "p95 {{upstream}}"),
                unit="short",
                w=8,
            ),
            ts(
                "Control API audit events",
                prom(q.CONTROL_AUDIT_EVENTS, "{{outcome}}"),
                unit="ops",
                w=8,
            ),
            ts(
                "Platform drift by category and severity",
                prom(q.CONTROL_DRIFT_ITEMS, "{{category}} {{severity}}"),
                desc="Open drift items (control_drift_items): missing, extra, version, config, "
                "unhealthy. Remedies are in the console (Platform → Drift).",
                unit="short",
                w=24,
            ),
            ts(
                "Event bus pending messages by stream",
                prom(q.EVENTBUS_PENDING_BY_STREAM, "{{stream}}"),
            ),
            ts("Node CPU busy", prom(q.NODE_CPU_BUSY, "{{node}}"), unit="percentunit"),
        ],
    )
