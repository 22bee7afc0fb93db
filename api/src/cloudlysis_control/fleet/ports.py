"""What the fleet domain needs from outside: a prober of service admin endpoints, and sources
of discovered instances. Adapters implement these; the value types cross the boundary."""

from __future__ import annotations

from typing import Protocol

import msgspec

from cloudlysis_control.fleet.registry import FleetService


class ProbeResult(msgspec.Struct, kw_only=True):
    """/health, /ready and /metrics of one instance (docs/contracts/service-admin.md)."""

    url: str
    health: int | None = None
    ready: int | None = None
    metrics_ok: bool = False
    version: str | None = None
    git_sha: str | None = None
    build_info_metric: str | None = None
    latency_ms: float | None = None
    error: str | None = None
    selected: dict[str, float] = msgspec.field(default_factory=dict)


class Prober(Protocol):
    async def probe(self, base_url: str, metrics: bool = True) -> ProbeResult:
        """/health and /ready, and /metrics unless `metrics` is False (the snapshot takes the
        figures from a metrics store that already scrapes the instance)."""
        ...


class InstanceFigures(msgspec.Struct, kw_only=True):
    """What a snapshot reads from an instance's /metrics, as a metrics store has it."""

    version: str | None = None
    git_sha: str | None = None
    build_info_metric: str | None = None
    selected: dict[str, float] = msgspec.field(default_factory=dict)


class FleetMetrics(Protocol):
    async def figures(self) -> dict[str, InstanceFigures]:
        """Per scraped address (`host:port`, the store's `instance` label): build info and the
        selected metrics. Raises core.errors.MetricsUnavailable when the store cannot answer."""
        ...


class FleetDiscovery(Protocol):
    """Instances found outside the fleet file (Swarm service labels)."""

    async def discover_fleet(self) -> list[FleetService]: ...
