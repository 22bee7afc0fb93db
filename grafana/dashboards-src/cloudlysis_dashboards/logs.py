"""cl-logs: Loki logs of the platform services, filtered by level, correlation id and text."""

from __future__ import annotations

from typing import Any

from grafana_foundation_sdk.builders import dashboard as dash

from cloudlysis_control.metrics import queries as q

from .panels import (
    LOKI,
    add,
    all_option,
    base,
    log_stream,
    logql,
    prom,
    service_var,
    ts,
    version_var,
)

UP = 'up{job=~"platform|control-api"}'


def dashboard() -> Any:
    d = base(
        "cl-logs",
        "Cloudlysis / Logs",
        "Loki logs of platform services. request_id, correlation_id and trace_id are structured "
        'metadata (not labels): filter them with `| correlation_id="..."`. trace_id links to '
        "Tempo through the Loki datasource's derived field.",
        ["logs"],
    )
    d.with_variable(service_var(UP))
    d.with_variable(version_var(UP))
    d.with_variable(
        dash.CustomVariable("level")
        .label("Level")
        .values("debug,info,warning,error,critical")
        .multi(True)
        .include_all(True)
        .all_value(".*")
        .current(all_option())
    )
    d.with_variable(
        dash.TextBoxVariable("correlation_id").label("Correlation id (regex)").default_value(".*")
    )
    d.with_variable(dash.TextBoxVariable("search").label("Line contains").default_value(""))
    return add(
        d,
        [
            ts(
                "Log volume by level",
                logql(q.LOG_VOLUME_BY_LEVEL, "{{level}}"),
                w=16,
                stack=True,
            ).datasource(LOKI),
            ts(
                "Error lines by service",
                logql(q.LOG_ERRORS_BY_SERVICE, "{{service}}"),
                w=8,
            ).datasource(LOKI),
            ts(
                "5xx responses (from metrics)",
                prom(q.ERRORS_5XX_BY_SERVICE, "{{service}}"),
                unit="reqps",
                w=24,
                h=5,
            ),
            log_stream("Logs", q.LOG_LINES),
        ],
    )
