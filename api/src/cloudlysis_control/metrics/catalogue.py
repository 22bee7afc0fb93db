"""The console's named metrics queries: each one a query string of `metrics.queries` (the same
string a Grafana dashboard panel runs), with the template variables the console may fill.

No PromQL comes from the browser: a chart names a query and gives at most a service kind, a
service, an instance or a tenant, each checked against its pattern before it is substituted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from cloudlysis_control.metrics import queries as q

Variable = Literal["kind", "service", "tenant"]
Unit = Literal["reqps", "ratio", "seconds", "count", "bytes"]


@dataclass(frozen=True)
class NamedQuery:
    name: str
    title: str
    unit: Unit
    expr: str  # a string of metrics.queries, with Grafana's template variables in it
    variables: tuple[Variable, ...] = ()
    legend: str = ""  # the label(s) a series is named by, e.g. "service"


CATALOGUE: dict[str, NamedQuery] = {
    n.name: n
    for n in (
        NamedQuery(
            "request_rate_by_service",
            "Request rate by service",
            "reqps",
            q.REQUEST_RATE_BY_SERVICE,
            ("kind",),
            "service",
        ),
        NamedQuery(
            "error_ratio_by_service",
            "5xx ratio by service and version",
            "ratio",
            q.ERROR_RATIO_BY_SERVICE_VERSION,
            ("kind",),
            "service version",
        ),
        NamedQuery(
            "p99_by_service",
            "p99 latency by service and version",
            "seconds",
            q.P99_BY_SERVICE_VERSION,
            ("kind",),
            "service version",
        ),
        NamedQuery(
            "p50_by_service",
            "p50 latency by service and version",
            "seconds",
            q.P50_BY_SERVICE_VERSION,
            ("kind",),
            "service version",
        ),
        NamedQuery(
            "request_rate_by_instance",
            "Request rate by instance",
            "reqps",
            q.REQUEST_RATE_BY_INSTANCE,
            ("service",),
            "instance",
        ),
        NamedQuery(
            "error_ratio_by_version",
            "5xx ratio of one service by version",
            "ratio",
            q.ERROR_RATIO_BY_VERSION,
            ("service",),
            "version image_tag",
        ),
        NamedQuery(
            "request_rate_by_version",
            "Request rate of one service by version",
            "reqps",
            q.REQUEST_RATE_BY_VERSION,
            ("service",),
            "version image_tag",
        ),
        NamedQuery(
            "latency_p99_by_version",
            "p99 latency of one service by version (raw histogram)",
            "seconds",
            q.P99_BY_VERSION,
            ("service",),
            "version",
        ),
        NamedQuery(
            "p99_of_service_by_version",
            "p99 latency of one service by version",
            "seconds",
            q.P99_OF_SERVICE_BY_VERSION,
            ("service",),
            "version",
        ),
        NamedQuery(
            "tenant_gateway_inflight",
            "Gateway requests in flight by tenant",
            "count",
            q.TENANT_GATEWAY_IN_FLIGHT,
            ("tenant",),
            "tenant",
        ),
        NamedQuery(
            "tenant_aggregate_inflight",
            "Aggregate commands in flight by tenant",
            "count",
            q.TENANT_AGGREGATE_IN_FLIGHT,
            ("tenant",),
            "tenant",
        ),
        NamedQuery(
            "tenant_projection_lag",
            "Projection lag (events) by tenant",
            "count",
            q.TENANT_PROJECTION_LAG,
            ("tenant",),
            "tenant",
        ),
        NamedQuery(
            "nats_messages_in",
            "NATS messages in per node",
            "reqps",
            q.NATS_MESSAGES_IN,
            (),
            "node",
        ),
        NamedQuery(
            "jetstream_pending",
            "JetStream consumer pending by stream",
            "count",
            q.JETSTREAM_CONSUMER_PENDING,
            (),
            "stream_name consumer_name",
        ),
        NamedQuery(
            "node_cpu_busy",
            "CPU busy by node",
            "ratio",
            q.NODE_CPU_BUSY,
            (),
            "node",
        ),
    )
}

# What each variable may hold; anything else never reaches a query (it is refused before).
# A value is used as it is: these characters need no quoting in a PromQL string, and in a regex
# matcher `.` (the only special one) can only widen the match to itself.
Kind = Literal["gateway", "aggregate", "projection", "runner", "control"]
_SERVICE_OF_KIND = {"control": "control-api"}  # the label the control API reports as `service`
_SAFE = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")


def service_label(kind: str) -> str:
    """The `service` label a service kind's series carry (the control API reports `control-api`)."""
    return _SERVICE_OF_KIND.get(kind, kind)


def rate_interval(step_s: float) -> str:
    """Grafana's $__rate_interval for a step: at least four scrapes (15 s) and two steps."""
    return f"{int(max(60.0, 2 * step_s))}s"


def render(
    query: NamedQuery,
    step_s: float,
    values: dict[Variable, str],
    rate_window_s: float | None = None,
) -> str:
    """The query's PromQL with Grafana's variables filled: the given ones (already validated by
    the API's patterns) as exact matches, the rest as "any" (`.*`). `rate_window_s` sets
    `$__rate_interval` itself (a playbook's window) instead of deriving it from the step."""
    for name, value in values.items():
        if name not in query.variables or not _SAFE.match(value):
            raise ValueError(f"{name}={value!r} is not accepted by {query.name}")
    kind = values.get("kind")
    service = values.get("service") or (service_label(kind) if kind else None)
    fills = {
        "$__rate_interval": (
            f"{int(rate_window_s)}s" if rate_window_s is not None else rate_interval(step_s)
        ),
        "$service": service or ".*",
        "$version": ".*",
        "$tenant": values.get("tenant", ".*"),
        "$instance": ".*",
        "$stream": ".*",
        "$node": ".*",
    }
    expr = query.expr
    for var in sorted(fills, key=len, reverse=True):
        expr = expr.replace(var, fills[var])
    if "$" in expr:
        raise ValueError(f"{query.name} has a template variable the console cannot fill: {expr}")
    return expr
