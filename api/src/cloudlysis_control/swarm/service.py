"""Read side of the Swarm: normalised services, tasks and nodes, and fleet discovery."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import get_args

from cloudlysis_control.core.clock import rfc3339
from cloudlysis_control.core.errors import SwarmUnavailable
from cloudlysis_control.core.logging import get_logger
from cloudlysis_control.core.validation import INSTANCE_NAME_RE
from cloudlysis_control.fleet.registry import FleetService, ServiceKind
from cloudlysis_control.swarm.cache import SwarmCache
from cloudlysis_control.swarm.normalise import (
    LABEL_SERVICE,
    hostnames,
    normalise_node,
    normalise_service,
)
from cloudlysis_control.swarm.ports import Raw, SwarmEngine
from cloudlysis_control.swarm.schemas import (
    SwarmNode,
    SwarmNodeList,
    SwarmService,
    SwarmServiceList,
)

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
    """Answers from the event-fed cache once its first full read is done (`cache.ready`), else
    (no cache, or not yet synced) by asking the engine, as each read did before the cache."""

    def __init__(self, engine: SwarmEngine | None, cache: SwarmCache | None = None) -> None:
        self._engine = engine
        self._cache = cache
        self._normalised: tuple[int, list[SwarmService]] | None = None

    def _synced(self) -> SwarmCache | None:
        if self._engine is None:
            return None
        cache = self._cache
        return cache if cache is not None and cache.ready.is_set() else None

    @property
    def enabled(self) -> bool:
        return self._engine is not None

    @property
    def engine(self) -> SwarmEngine:
        if self._engine is None:
            raise SwarmUnavailable("Swarm integration is off (CONTROL_SWARM_MODE=off)")
        return self._engine

    async def observe(self) -> SwarmObservation:
        """Services, tasks and nodes as of one moment (what inventory and drift read): the
        cache's snapshot when it runs, else three engine calls. The dicts are shared with the
        cache: read them, never change them."""
        engine = self.engine
        cache = self._synced()
        if cache is not None:
            snap = cache.snapshot()
            return SwarmObservation(
                engine.source,
                list(snap.services),
                list(snap.tasks),
                list(snap.nodes),
                snap.observed_at,
                snap.stale,
            )
        services, tasks, nodes = await asyncio.gather(
            engine.services(), engine.tasks(), engine.nodes()
        )
        return SwarmObservation(engine.source, services, tasks, nodes, time.time())

    async def list_services(self) -> SwarmServiceList:
        engine = self.engine
        cache = self._synced()
        if cache is not None:
            snap = cache.snapshot()
            memo = self._normalised
            if memo is None or memo[0] != snap.generation:
                memo = (snap.generation, _services(snap.services, snap.tasks, snap.nodes))
                self._normalised = memo
            return SwarmServiceList(engine.source, _at(snap.observed_at), memo[1], snap.stale)
        services, tasks, nodes = await asyncio.gather(
            engine.services(), engine.tasks(), engine.nodes()
        )
        return SwarmServiceList(engine.source, rfc3339(), _services(services, tasks, nodes))

    async def get_service(self, name: str) -> SwarmService:
        engine = self.engine
        cache = self._synced()
        raw = cache.find(name) if cache is not None else None
        if cache is not None and raw is not None:
            sid = str(raw.get("ID"))
            return normalise_service(raw, cache.tasks_of(sid), hostnames(cache.snapshot().nodes))
        # not cached (an id prefix, or created an instant ago): the engine answers, or 404s
        raw = await engine.service(name)
        tasks, nodes = await asyncio.gather(engine.tasks(str(raw.get("ID"))), engine.nodes())
        return normalise_service(raw, tasks, hostnames(nodes))

    async def list_nodes(self) -> SwarmNodeList:
        engine = self.engine
        cache = self._synced()
        if cache is not None:
            snap = cache.snapshot()
            return SwarmNodeList(
                engine.source, _at(snap.observed_at), _nodes(snap.nodes), snap.stale
            )
        return SwarmNodeList(engine.source, rfc3339(), _nodes(await engine.nodes()))

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


def _services(services: list[Raw], tasks: list[Raw], nodes: list[Raw]) -> list[SwarmService]:
    hosts = hostnames(nodes)
    by_service: dict[object, list[Raw]] = {}
    for t in tasks:
        by_service.setdefault(t.get("ServiceID"), []).append(t)
    items = [normalise_service(s, by_service.get(s.get("ID"), []), hosts) for s in services]
    items.sort(key=lambda s: s.service)
    return items


def _nodes(nodes: list[Raw]) -> list[SwarmNode]:
    items = [normalise_node(n) for n in nodes]
    items.sort(key=lambda n: (n.hostname or "", n.id))
    return items


def _at(epoch_s: float) -> str:
    return rfc3339(datetime.fromtimestamp(epoch_s, UTC))
