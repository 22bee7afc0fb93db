"""The control API's own Prometheus metrics (docs/observability/ lists the contract).

A registry per app instance, never the global one, so several apps can live in one process.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class Metrics:
    registry: CollectorRegistry = field(
        default_factory=lambda: CollectorRegistry(auto_describe=True)
    )

    def __post_init__(self) -> None:
        r = self.registry
        self.build_info = Gauge(
            "control_build_info",
            "Build information of the control API",
            ["service", "version", "git_sha"],
            registry=r,
        )
        self.http_requests = Counter(
            "control_http_requests",
            "HTTP requests by route template",
            ["method", "route", "status"],
            registry=r,
        )
        self.http_duration = Histogram(
            "control_http_request_duration_seconds",
            "HTTP request latency by route template",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.jobs = Counter(
            "control_jobs", "Jobs finished by kind and outcome", ["kind", "outcome"], registry=r
        )
        self.drift_items = Gauge(
            "control_drift_items",
            "Open (unacknowledged) drift items by category and severity",
            ["category", "severity"],
            registry=r,
        )
        self.audit_events = Counter(
            "control_audit_events", "Audit events written by outcome", ["outcome"], registry=r
        )
        self.upstream_requests = Counter(
            "control_upstream_requests",
            "Calls to upstream systems by outcome",
            ["upstream", "outcome"],
            registry=r,
        )
        self.upstream_duration = Histogram(
            "control_upstream_request_duration_seconds",
            "Latency of calls to upstream systems",
            ["upstream"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.deployments = Counter(
            "control_deployments",
            "Deployments (Swarm service updates and rollbacks) by service and outcome",
            ["service", "outcome"],
            registry=r,
        )
        self.nats_connected = Gauge(
            "control_nats_connected", "1 when the NATS connection is up", registry=r
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
