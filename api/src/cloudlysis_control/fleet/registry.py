"""The one live fleet registry: the configured instances (CONTROL_FLEET_FILE) joined with those
discovered from Swarm labels. Every consumer — the snapshot, platform.verify, config.reload,
tenant operations, preflight — reads the fleet here, so a discovered instance is as real as a
configured one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

import msgspec

from cloudlysis_control.core.validation import INSTANCE_NAME_RE

ServiceKind = Literal["gateway", "aggregate", "projection", "runner", "control", "other"]
_URL_RE = re.compile(r"^https?://[^\s/]+")


class FleetService(msgspec.Struct, frozen=True):
    name: str  # the instance, unique in the fleet
    kind: ServiceKind
    url: str
    service: str | None = None  # logical service the instance belongs to; default: its kind
    shard: str | None = None

    @property
    def service_name(self) -> str:
        return self.service or self.kind


class FleetFileInvalid(ValueError):
    pass


def parse_fleet(data: bytes) -> list[FleetService]:
    """A fleet file's instances; FleetFileInvalid names what is wrong."""
    try:
        services = msgspec.json.decode(data, type=list[FleetService])
    except (msgspec.DecodeError, msgspec.ValidationError) as e:
        raise FleetFileInvalid(str(e)) from e
    seen: set[str] = set()
    for s in services:
        if not INSTANCE_NAME_RE.match(s.name):
            raise FleetFileInvalid(f"service name {s.name!r} is invalid")
        if s.name in seen:
            raise FleetFileInvalid(f"service {s.name!r} is listed twice")
        if not _URL_RE.match(s.url):
            raise FleetFileInvalid(f"service {s.name!r} has invalid url")
        seen.add(s.name)
    return services


class FleetRegistry:
    def __init__(self, configured: list[FleetService] | None = None) -> None:
        self._configured = list(configured or [])
        self._instances = list(self._configured)
        self._by_name = {s.name: s for s in self._instances}
        self._listeners: list[Callable[[list[FleetService]], None]] = []
        self.discovered_once = False

    def instances(self) -> list[FleetService]:
        return list(self._instances)

    def get(self, name: str) -> FleetService | None:
        return self._by_name.get(name)

    def names(self) -> list[str]:
        return sorted(self._by_name)

    def services(self) -> set[str]:
        return {s.service_name for s in self._instances}

    def subscribe(self, listener: Callable[[list[FleetService]], None]) -> None:
        self._listeners.append(listener)

    def set_discovered(self, discovered: list[FleetService]) -> None:
        """Fleet = the configured instances + the discovered ones (a configured name wins)."""
        self.discovered_once = True
        names = {s.name for s in self._configured}
        fleet = self._configured + [d for d in discovered if d.name not in names]
        if fleet == self._instances:
            return
        self._instances = fleet
        self._by_name = {s.name: s for s in fleet}
        for listener in self._listeners:
            listener(self.instances())
