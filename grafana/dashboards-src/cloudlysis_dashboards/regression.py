"""cl-api-regression: old vs new version side by side around deploy annotations."""

from __future__ import annotations

from typing import Any

from grafana_foundation_sdk.models import dashboard as dm

from cloudlysis_control.metrics import queries as q

from .panels import add, base, deploy_annotation, prom, service_var, tbl, ts, version_var

UP = 'up{job=~"platform|control-api"}'


def dashboard() -> Any:
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
        service_var(UP, multi=False, all_=False).current(
            dm.VariableOption(selected=True, text="gateway", value="gateway")
        )
    )
    d.with_variable(version_var(UP))
    return add(
        d,
        [
            tbl(
                "Builds running",
                prom(q.BUILDS_OF_SERVICE, instant=True),
                prom(q.TASKS_BY_VERSION, instant=True),
                w=24,
                h=6,
            ),
            ts(
                "Request rate by version",
                prom(q.REQUEST_RATE_BY_VERSION, "{{version}} ({{image_tag}})"),
                unit="reqps",
            ),
            ts(
                "5xx ratio by version",
                prom(q.ERROR_RATIO_BY_VERSION, "{{version}} ({{image_tag}})"),
                unit="percentunit",
            ),
            ts("p50 latency by version", prom(q.latency_by_version(0.5), "{{version}}"), unit="s"),
            ts(
                "p99 latency by version",
                prom(q.P99_BY_VERSION, "{{version}}"),
                unit="s",
            ),
            tbl(
                "Routes: p95 latency, new vs old",
                prom(q.ROUTE_P95_BY_VERSION_30M, instant=True),
                w=24,
                desc="One row per (route, version): compare versions of the same route.",
            ),
            ts(
                "Golden signals (recorded) by version",
                prom(q.ERROR_RATIO_OF_SERVICE_BY_VERSION, "5xx ratio {{version}}"),
                prom(q.P99_OF_SERVICE_BY_VERSION, "p99 {{version}}"),
                w=24,
            ),
            ts(
                "Request rate by instance",
                prom(q.REQUEST_RATE_BY_INSTANCE, "{{instance}}"),
                unit="reqps",
                w=24,
            ),
        ],
    )
