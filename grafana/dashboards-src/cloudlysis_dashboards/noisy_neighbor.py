"""cl-noisy-neighbor: top tenants by load, errors, in-flight work and lag."""

from __future__ import annotations

from typing import Any

from cloudlysis_control.metrics import queries as q

from .panels import add, base, prom, service_var, tbl, tenant_var, ts, version_var

K = q.TENANT_TOPK


def dashboard() -> Any:
    d = base(
        "cl-noisy-neighbor",
        "Cloudlysis / Noisy neighbor & tenant health",
        f"Top {K} tenants by load, errors, in-flight work and lag. The tenant label is "
        "bounded by contract (allow-list + top-K per process, rest folded into __other__).",
        ["tenants"],
    )
    d.with_variable(service_var('up{job=~"platform"}'))
    d.with_variable(version_var('up{job=~"platform"}'))
    d.with_variable(tenant_var("gateway_tenant_requests_total"))
    return add(
        d,
        [
            ts(f"Requests (top {K} tenants)", prom(q.TENANT_REQUESTS, "{{tenant}}"), unit="reqps"),
            ts(
                f"5xx ratio (top {K} tenants)",
                prom(q.TENANT_ERROR_RATIO, "{{tenant}}"),
                unit="percentunit",
            ),
            ts(
                "Share of traffic of the busiest named tenant",
                prom(q.TOP_TENANT_SHARE, "top tenant share"),
                unit="percentunit",
                w=8,
            ),
            ts(
                f"Gateway in-flight (top {K} tenants)",
                prom(q.TENANT_GATEWAY_IN_FLIGHT, "{{tenant}}"),
                w=8,
            ),
            ts(
                f"Rate-limited (top {K} tenants)",
                prom(q.GATEWAY_RATE_LIMITED_TOP_TENANTS, "{{tenant}}"),
                unit="ops",
                w=8,
            ),
            ts(
                f"Events appended (top {K} tenants)",
                prom(q.TENANT_EVENTS_APPENDED, "{{tenant}}"),
                unit="ops",
                w=8,
            ),
            ts(
                f"Aggregate commands in flight (top {K} tenants)",
                prom(q.TENANT_AGGREGATE_IN_FLIGHT, "{{tenant}}"),
                w=8,
            ),
            ts(
                f"Projection lag (top {K} tenants)",
                prom(q.TENANT_PROJECTION_LAG, "{{tenant}}"),
                w=8,
            ),
            ts(
                f"Runner jobs in flight (top {K} tenants)",
                prom(q.RUNNER_RUNNING_TOP_TENANTS, "{{tenant}}"),
                w=12,
            ),
            tbl(
                f"Tenant load table (top {K}, last 1h)",
                prom(q.TENANT_REQUESTS_1H, instant=True),
                w=12,
            ),
        ],
    )
