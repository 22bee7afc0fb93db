"""CONTROL_FLEET_FILE: the configured part of the fleet registry, read once at start-up."""

from __future__ import annotations

from pathlib import Path

from cloudlysis_control.core.errors import SettingsError
from cloudlysis_control.fleet.registry import FleetFileInvalid, FleetService, parse_fleet


def load_fleet_file(path: Path | None) -> list[FleetService]:
    if path is None:
        return []
    try:
        return parse_fleet(path.read_bytes())
    except (OSError, FleetFileInvalid) as e:
        raise SettingsError(f"CONTROL_FLEET_FILE={str(path)!r} is invalid: {e}") from e
