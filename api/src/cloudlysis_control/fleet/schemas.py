from __future__ import annotations

from typing import Literal

import msgspec

HealthState = Literal["ok", "failing", "unreachable"]
ReadyState = Literal["ready", "not_ready", "unreachable"]


class InstanceHealth(msgspec.Struct, kw_only=True):
    """One instance as the last snapshot saw it (GET /health, /ready, /metrics)."""

    service: str
    kind: str
    instance: str
    url: str
    shard: str | None = None
    health: HealthState
    ready: ReadyState
    health_status: int | None = None
    ready_status: int | None = None
    latency_ms: float | None = None
    version: str | None = None
    git_sha: str | None = None
    metrics: dict[str, float] = {}
    # where version, git sha and metrics came from: the instance's /metrics, or the metrics
    # store that scrapes it (CONTROL_METRICS_URL)
    metrics_source: Literal["probe", "store"] = "probe"
    error: str | None = None


class FleetSummary(msgspec.Struct):
    instances: int
    healthy: int
    ready: int
    unreachable: int
    versions: dict[str, int]


class FleetSnapshot(msgspec.Struct, kw_only=True):
    taken_at: str | None
    age_s: float | None
    stale: bool
    max_age_s: float
    duration_ms: float | None
    summary: FleetSummary
    instances: list[InstanceHealth]
