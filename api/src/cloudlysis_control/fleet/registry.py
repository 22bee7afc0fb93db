"""The configured fleet: which service instances exist (CONTROL_FLEET_FILE)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import msgspec

from cloudlysis_control.core.errors import SettingsError

ServiceKind = Literal["gateway", "aggregate", "projection", "runner", "control", "other"]
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")


class FleetService(msgspec.Struct, frozen=True):
    name: str  # the instance, unique in the fleet
    kind: ServiceKind
    url: str
    service: str | None = None  # logical service the instance belongs to; default: its kind
    shard: str | None = None

    @property
    def service_name(self) -> str:
        return self.service or self.kind


def load_fleet_file(path: Path | None) -> list[FleetService]:
    if path is None:
        return []
    try:
        services = msgspec.json.decode(path.read_bytes(), type=list[FleetService])
    except (OSError, msgspec.DecodeError, msgspec.ValidationError) as e:
        raise SettingsError(f"CONTROL_FLEET_FILE={str(path)!r} is invalid: {e}") from e
    seen: set[str] = set()
    for s in services:
        if not _NAME_RE.match(s.name):
            raise SettingsError(f"CONTROL_FLEET_FILE: service name {s.name!r} is invalid")
        if s.name in seen:
            raise SettingsError(f"CONTROL_FLEET_FILE: service {s.name!r} is listed twice")
        if not re.match(r"^https?://[^\s/]+", s.url):
            raise SettingsError(f"CONTROL_FLEET_FILE: service {s.name!r} has invalid url")
        seen.add(s.name)
    return services
