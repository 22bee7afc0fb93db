"""cl-eventbus: client-side publish/consume metrics and the NATS server's JetStream view."""

from __future__ import annotations

from typing import Any

from cloudlysis_control.metrics import queries as q

from .panels import add, base, prom, service_var, ts, var_query, version_var


def dashboard() -> Any:
    d = base(
        "cl-eventbus",
        "Cloudlysis / Event bus (JetStream)",
        "Client-side publish/consume metrics of the services and the NATS server's JetStream view.",
        ["eventbus", "nats"],
    )
    d.with_variable(service_var('{__name__=~"eventbus_publish_total|eventbus_consume_total"}'))
    d.with_variable(version_var("eventbus_publish_total"))
    d.with_variable(var_query("stream", "Stream", "label_values(eventbus_publish_total, stream)"))
    return add(
        d,
        [
            ts(
                "Publish rate by stream and outcome",
                prom(q.EVENTBUS_PUBLISH_RATE, "{{stream}} {{outcome}}"),
                unit="ops",
            ),
            ts(
                "Publish p99 (until JetStream ack)",
                prom(q.EVENTBUS_PUBLISH_P99, "{{stream}}"),
                unit="s",
            ),
            ts(
                "Consume rate by consumer and outcome",
                prom(q.EVENTBUS_CONSUME_RATE, "{{consumer}} {{outcome}}"),
                unit="ops",
            ),
            ts(
                "Pending and ack-pending by consumer",
                prom(q.EVENTBUS_PENDING_BY_CONSUMER, "pending {{consumer}}"),
                prom(q.EVENTBUS_ACK_PENDING_BY_CONSUMER, "ack pending {{consumer}}"),
            ),
            ts(
                "Redeliveries by consumer",
                prom(q.EVENTBUS_REDELIVERIES, "{{consumer}}"),
                unit="ops",
                w=8,
            ),
            ts(
                "Stream size (server)",
                prom(q.JETSTREAM_STREAM_MESSAGES, "{{stream_name}} msgs"),
                prom(q.JETSTREAM_STREAM_BYTES, "{{stream_name}} bytes"),
                w=8,
            ),
            ts(
                "Consumer pending (server)",
                prom(q.JETSTREAM_CONSUMER_PENDING, "{{stream_name}}/{{consumer_name}}"),
                prom(q.JETSTREAM_CONSUMER_ACK_PENDING, "ack {{stream_name}}/{{consumer_name}}"),
                prom(
                    q.JETSTREAM_CONSUMER_REDELIVERED,
                    "redelivered {{stream_name}}/{{consumer_name}}",
                ),
                w=8,
            ),
            ts(
                "NATS messages in/out",
                prom(q.NATS_MESSAGES_IN, "in {{node}}"),
                prom(q.NATS_MESSAGES_OUT, "out {{node}}"),
                unit="ops",
                w=8,
            ),
            ts(
                "NATS connections and slow consumers",
                prom(q.NATS_CONNECTIONS, "connections {{node}}"),
                prom(q.NATS_SLOW_CONSUMERS_10M, "slow consumers {{node}}"),
                w=8,
            ),
            ts("NATS server memory", prom(q.NATS_MEMORY, "{{node}}"), unit="bytes", w=8),
        ],
    )
