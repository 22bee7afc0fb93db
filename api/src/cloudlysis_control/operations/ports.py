"""The Gateway's routing admin API as tenant operations need it (placement-and-routing.md)."""

from __future__ import annotations

from typing import Protocol

import msgspec


class RouteResolution(msgspec.Struct, kw_only=True):
    """`GET /admin/routing/resolve` (docs/contracts/placement-and-routing.md §6)."""

    tenant: str
    kind: str
    shard: str | None
    revision: str | None = None
    config_generation: int = 0


class RoutingReload(msgspec.Struct, kw_only=True):
    config_generation: int
    revisions: dict[str, str | None] = msgspec.field(default_factory=dict)


class RoutingGateway(Protocol):
    async def reload_routing(self) -> RoutingReload: ...
    async def resolve(self, tenant_id: str, kind: str) -> RouteResolution: ...
