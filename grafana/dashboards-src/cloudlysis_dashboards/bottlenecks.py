"""cl-bottlenecks: where write latency comes from (mdbx, JetStream acks, backlog, lag, disk)."""

from __future__ import annotations

from typing import Any

from cloudlysis_control.metrics import queries as q

from .panels import add, base, prom, service_var, ts, version_var


def dashboard() -> Any:
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
                prom(q.MDBX_WRITE_TXN_P99, "mdbx write {{service}}"),
                prom(q.EVENTBUS_PUBLISH_P99_BY_SERVICE, "publish {{service}}"),
                unit="s",
            ),
            ts(
                "Aggregate command p99 and conflicts",
                prom(q.AGGREGATE_COMMAND_P99, "p99 {{command}}"),
                prom(q.AGGREGATE_CONFLICTS, "conflicts/s {{command}}"),
            ),
            ts(
                "Consumer backlog growth (per minute)",
                prom(q.CONSUMER_BACKLOG_GROWTH_PER_MIN, "{{stream}}/{{consumer}}"),
                desc="Positive = consumers falling behind.",
            ),
            ts("Projection lag", prom(q.PROJECTION_LAG, "{{projection}}"), unit="s"),
            ts(
                "Projection apply p99",
                prom(q.PROJECTION_APPLY_P99, "{{projection}}"),
                unit="s",
                w=8,
            ),
            ts(
                "Publish errors",
                prom(q.EVENTBUS_PUBLISH_ERRORS, "{{service}} {{stream}}"),
                unit="ops",
                w=8,
            ),
            ts(
                "Aggregate commands by outcome",
                prom(q.AGGREGATE_COMMANDS, "{{command}} {{outcome}}"),
                unit="ops",
                w=8,
            ),
            ts(
                "Projection throughput by outcome",
                prom(q.PROJECTION_THROUGHPUT, "{{projection}} {{outcome}}"),
                unit="ops",
                w=8,
            ),
            ts(
                "Disk busy vs mdbx commits",
                prom(q.DISK_BUSY_BY_NODE, "disk busy {{node}}"),
                prom(q.MDBX_KILO_COMMITS_BY_NODE, "k commits/s {{node}}"),
                w=8,
            ),
        ],
    )
