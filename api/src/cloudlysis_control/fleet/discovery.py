"""Keeps the fleet registry's discovered part current: asks the discovery source (Swarm service
labels) every interval; a failed round keeps the last answer and says so in the log."""

from __future__ import annotations

import asyncio

from cloudlysis_control.core.clock import cancel_and_wait
from cloudlysis_control.core.errors import ControlError
from cloudlysis_control.core.logging import get_logger
from cloudlysis_control.fleet.ports import FleetDiscovery
from cloudlysis_control.fleet.registry import FleetRegistry

_log = get_logger("control.fleet.discovery")


class DiscoveryLoop:
    def __init__(self, registry: FleetRegistry, source: FleetDiscovery, interval_s: float) -> None:
        self.registry = registry
        self.source = source
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    async def discover_once(self) -> None:
        try:
            self.registry.set_discovered(await self.source.discover_fleet())
        except ControlError as e:
            _log.warning("swarm fleet discovery failed", error=e.detail)

    async def _loop(self) -> None:
        while True:
            await self.discover_once()
            await asyncio.sleep(self.interval_s)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="fleet-discovery")

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait([self._task])
