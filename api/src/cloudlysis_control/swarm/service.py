"""Read side of the Swarm: normalised services, tasks and nodes, and fleet discovery."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import get_args

from cloudlysis_control.core.clock import rfc3339
from cloudlysis_control.core.errors import SwarmUnavailable
from cloudlysis_control.core.logging import get_logger
from cloudlysis_control.core.validation import INSTANCE_NAME_RE
from cloudlysis_control.fleet.registry import FleetService, ServiceKind
from cloudlysis_control.swarm.normalise import (
    LABEL_SERVICE,
    hostnames,
    normalise_node,
    normalise_service,
)
from cloudlysis_control.swarm.ports import Raw, SwarmEngine
from cloudlysis_control.swarm.schemas import SwarmNodeList, SwarmService, SwarmServiceList

_log = get_logger("control.swarm")
_KINDS: tuple[str, ...] = get_args(ServiceKind)


@dataclass(frozen=True)
class SwarmObservation:
    """One consistent look at the Swarm: the engine's own JSON for services, tasks and nodes,
    when it was taken (epoch seconds), and whether it may be out of date (`stale`: the event
    stream that keeps it current is down, so it is as old as `observed_at`)."""

    source: str
    services: list[Raw]
    tasks: list[Raw]
    nodes: list[Raw]
    observed_at: float
    stale: bool = False


class SwarmView:
    def __init__(self, engine: SwarmEngine | None) -> None:
        self._engine = engine

    @property
    def enabled(self) -> bool:
        return self._engine is not None

    @property
    def engine(self) -> SwarmEngine:
        if self._engine is None:
            raise SwarmUnavailable("Swarm integration is off (CONTROL_SWARM_MODE=off)")
        return self._engine

    async def observe(self) -> SwarmObservation:
        """Services, tasks and nodes as of one moment (what inventory and drift read)."""
        engine = self.engine
        services, tasks, nodes = await asyncio.gather(
            engine.services(), engine.tasks(), engine.nodes()
        )
        return SwarmObservation(engine.source, services, tasks, nodes, time.time())

    async def list_services(self) -> SwarmServiceList:
        engine = self.engine
        services, tasks, nodes = await asyncio.gather(
            engine.services(), engine.tasks(), engine.nodes()
        )
        hosts = hostnames(nodes)
        items = [normalise_service(s, tasks, hosts) for s in services]
        items.sort(key=lambda s: s.service)
        return SwarmServiceList(engine.source, rfc3339(), items)

    async def get_service(self, name: str) -> SwarmService:
        engine = self.engine
        raw = await engine.service(name)
        tasks, nodes = await asyncio.gather(engine.tasks(str(raw.get("ID"))), engine.nodes())
        return normalise_service(raw, tasks, hostnames(nodes))

    async def list_nodes(self) -> SwarmNodeList:
        engine = self.engine
        items = [normalise_node(n) for n in await engine.nodes()]
        items.sort(key=lambda n: (n.hostname or "", n.id))
        return SwarmNodeList(engine.source, rfc3339(), items)

    async def discover_fleet(self) -> list[FleetService]:
        """Services carrying `cloudlysis.kind` (or a known `cloudlysis.service`) and an admin
        address (`cloudlysis.admin_url`, `cloudlysis.admin_port` or `cloudlysis.metrics_port`)
        become fleet instances named after the Swarm service."""
        found: list[FleetService] = []
        for s in (await self.list_services()).items:
            if s.kind is None or s.admin_url is None or not INSTANCE_NAME_RE.match(s.service):
                continue
            kind = s.kind if s.kind in _KINDS else "other"
            found.append(
                FleetService(
                    name=s.service,
                    kind=kind,  # type: ignore[arg-type]
                    url=s.admin_url,
                    service=s.labels.get(LABEL_SERVICE) or s.service,
                    shard=s.labels.get("cloudlysis.shard") or s.labels.get("cloudlysis.tenants"),
                )
            )
        return found
