"""cl-http-detail: Gateway traffic per route template, upstream calls, auth and rate limiting."""

from __future__ import annotations

from typing import Any

from cloudlysis_control.metrics import queries as q

from .panels import add, base, prom, service_var, tbl, tenant_var, ts, var_query, version_var


def dashboard() -> Any:
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
    return add(
        d,
        [
            ts("Requests by route", prom(q.GATEWAY_REQUESTS_BY_ROUTE, "{{route}}"), unit="reqps"),
            ts(
                "Responses by status",
                prom(q.GATEWAY_RESPONSES_BY_STATUS, "{{status}}"),
                unit="reqps",
                stack=True,
            ),
            ts(
                "5xx ratio by route",
                prom(q.GATEWAY_ERROR_RATIO_BY_ROUTE, "{{route}}"),
                unit="percentunit",
            ),
            ts(
                "Latency percentiles by route",
                *[
                    prom(
                        q.gateway_latency_by_route(quantile),
                        f"p{int(quantile * 100)} {{{{route}}}}",
                    )
                    for quantile in (0.5, 0.95, 0.99)
                ],
                unit="s",
            ),
            tbl(
                "Routes (last 1h)",
                prom(q.GATEWAY_ROUTES_1H, instant=True),
                desc="Request count per route template and method over the last hour.",
            ),
            ts("In-flight requests", prom(q.GATEWAY_IN_FLIGHT, "{{version}}")),
            ts(
                "Upstream calls by outcome",
                prom(q.GATEWAY_UPSTREAM_CALLS, "{{upstream}} {{outcome}}"),
                unit="reqps",
            ),
            ts("Upstream p99 latency", prom(q.GATEWAY_UPSTREAM_P99, "{{upstream}}"), unit="s"),
            ts(
                "Auth failures by reason",
                prom(q.GATEWAY_AUTH_FAILURES, "{{reason}}"),
                unit="ops",
            ),
            ts(
                f"Rate-limited requests (top {q.TENANT_TOPK} tenants)",
                prom(q.GATEWAY_RATE_LIMITED_TOP_TENANTS, "{{tenant}}"),
                unit="ops",
            ),
        ],
    )
