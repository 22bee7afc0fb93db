"""The live world a config is checked and planned against: placement, the fleet registry, the
runners' definitions, the fleet's health and the control plane's flags."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import msgspec

from cloudlysis_control.config.documents import DEFAULT_FLAGS, Flags
from cloudlysis_control.config.impact import Instance
from cloudlysis_control.config.model import ConfigId
from cloudlysis_control.config.ports import ConfigAgents, RunnerDefinitions
from cloudlysis_control.config.rules import DefinitionKey, World, normalise_url
from cloudlysis_control.config.store import ConfigStore
from cloudlysis_control.core.errors import ControlError
from cloudlysis_control.core.logging import get_logger
from cloudlysis_control.fleet.registry import FleetRegistry
from cloudlysis_control.fleet.snapshot import FleetSnapshotService
from cloudlysis_control.placement.schemas import KINDS, PlacementKind, PlacementMap, RoutingConfig
from cloudlysis_control.placement.service import PlacementService

_log = get_logger("control.config")
FLAGS_ID = ConfigId("flags", "control", "platform")


class WorldView:
    def __init__(
        self,
        store: ConfigStore,
        placement: PlacementService,
        registry: FleetRegistry,
        fleet: FleetSnapshotService,
        agents: ConfigAgents,
    ) -> None:
        self.store = store
        self.placement = placement
        self.registry = registry
        self.fleet = fleet
        self.agents = agents

    def maps(self) -> Mapping[PlacementKind, PlacementMap | None]:
        state = self.placement.state
        return {k: v if isinstance(v := state.maps[k].value, PlacementMap) else None for k in KINDS}

    def routing(self) -> RoutingConfig | None:
        value = self.placement.state.routing.value
        return value if isinstance(value, RoutingConfig) else None

    def tenants(self) -> list[str]:
        return list(self.placement.state.index.tenants)

    def instances(self) -> list[Instance]:
        return [Instance(s.name, s.kind, s.url) for s in self.registry.instances()]

    async def runner_reports(self) -> list[tuple[str, RunnerDefinitions]]:
        runners = [i for i in self.instances() if i.kind == "runner"]

        async def one(i: Instance) -> tuple[str, RunnerDefinitions] | None:
            try:
                return i.name, await self.agents.definitions(i.url)
            except ControlError as e:
                _log.warning("runner definitions unavailable", instance=i.name, error=e.detail)
                return None

        answers = await asyncio.gather(*(one(i) for i in runners))
        return [a for a in answers if a is not None]

    async def definitions(self) -> Mapping[DefinitionKey, frozenset[int]] | None:
        """(type, name) → the versions every answering runner has; None: none answered."""
        reports = await self.runner_reports()
        if not reports:
            return None
        common: dict[DefinitionKey, frozenset[int]] | None = None
        for _, report in reports:
            mine: dict[DefinitionKey, set[int]] = {}
            for d in report.definitions:
                mine.setdefault((d.type, d.name), set()).add(d.version)
            frozen = {k: frozenset(v) for k, v in mine.items()}
            if common is None:
                common = frozen
            else:
                common = {k: v & frozen[k] for k, v in common.items() if k in frozen}
        return common or {}

    async def world(self, cid: ConfigId) -> World:
        definitions = await self.definitions() if cid.domain == "runner.activation" else None
        return World(
            placement=self.maps(),
            instance_urls=frozenset(normalise_url(i.url) for i in self.instances()),
            definitions=definitions,
        )

    async def flags(self) -> Flags:
        stored = await self.store.read(FLAGS_ID)
        if stored.raw is None:
            return DEFAULT_FLAGS
        try:
            return msgspec.json.decode(stored.raw, type=Flags)
        except (msgspec.DecodeError, msgspec.ValidationError):
            _log.warning("stored flags are invalid; using the defaults", revision=stored.revision)
            return DEFAULT_FLAGS

    async def health(self) -> Mapping[str, bool]:
        snapshot = await self.fleet.snapshot()
        return {normalise_url(i.url): i.health == "ok" for i in snapshot.instances}
