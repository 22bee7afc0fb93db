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
    async def probe(self, base_url: str) -> ProbeResult: ...


class FleetDiscovery(Protocol):
    """Instances found outside the fleet file (Swarm service labels)."""

    async def discover_fleet(self) -> list[FleetService]: ...
