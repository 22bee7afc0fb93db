"""Where each config lives and how it is read and written.

* routing and placement: the placement bucket (`control_placement`, keys `routing` and
  `<kind>_placement`; docs/contracts/placement-and-routing.md), which the Gateway watches. When
  placement comes from the dev file (CONTROL_PLACEMENT_SOURCE=file) they are read from it and are
  read-only here.
* runner.activation and flags: the `control_config` bucket, key `<domain>/<name>/<scope>`.
* observability: files of the repository (read-only, `assets.py`).

A write is a compare-and-set on the revision it was planned against (create when the config did
not exist), so a write can never land over one it did not see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cloudlysis_control.config.model import ConfigId, canonical
from cloudlysis_control.core.errors import ConfigReadOnly
from cloudlysis_control.placement.schemas import MAP_KEYS, ROUTING_KEY, PlacementKind
from cloudlysis_control.placement.service import PlacementService
from cloudlysis_control.ports import KeyExists, KeyValue, RevisionMismatch

ACTIVATION_PREFIX = "runner.activation/activation/"


class StaleWrite(Exception):
    """The config is no longer at the revision the write was planned against."""


@dataclass(frozen=True)
class Stored:
    revision: str | None  # None: absent
    raw: bytes | None


class ConfigStore:
    def __init__(
        self,
        config_kv: KeyValue,
        placement_kv: KeyValue | None,
        placement: PlacementService,
    ) -> None:
        self.config_kv = config_kv
        self.placement_kv = placement_kv  # None: placement comes from the dev file
        self.placement = placement

    def source(self, cid: ConfigId) -> Literal["nats", "file"]:
        if cid.domain == "observability":
            return "file"
        if cid.domain in ("routing", "placement") and self.placement_kv is None:
            return "file"
        return "nats"

    def _location(self, cid: ConfigId) -> tuple[KeyValue | None, str]:
        if cid.domain == "routing":
            return self.placement_kv, ROUTING_KEY
        if cid.domain == "placement":
            kind: PlacementKind = cid.scope  # type: ignore[assignment]
            return self.placement_kv, MAP_KEYS[kind]
        return self.config_kv, cid.key

    def writable(self, cid: ConfigId) -> None:
        if cid.domain == "observability":
            raise ConfigReadOnly(
                "observability assets change through the repository; this view only compares"
            )
        if self._location(cid)[0] is None:
            raise ConfigReadOnly(
                f"{cid.domain} comes from the dev file (CONTROL_PLACEMENT_SOURCE=file): edit "
                "the file, or run with placement in NATS"
            )

    async def read(self, cid: ConfigId) -> Stored:
        kv, key = self._location(cid)
        if kv is None:
            return self._from_file(cid)
        entry = await kv.get(key)
        if entry is None or entry.value is None:
            return Stored(None, None)
        return Stored(str(entry.revision), entry.value)

    def _from_file(self, cid: ConfigId) -> Stored:
        state = self.placement.state
        loaded = state.routing if cid.domain == "routing" else state.maps[cid.scope]  # type: ignore[index]
        if loaded.value is None or loaded.revision is None:
            return Stored(None, None)
        return Stored(loaded.revision, canonical(loaded.value))

    async def write(self, cid: ConfigId, data: bytes, base_revision: str | None) -> str:
        self.writable(cid)
        kv, key = self._location(cid)
        assert kv is not None
        try:
            if base_revision is None:
                return str(await kv.create(key, data))
            return str(await kv.update(key, data, int(base_revision)))
        except (KeyExists, RevisionMismatch) as e:
            raise StaleWrite(str(cid)) from e

    async def delete(self, cid: ConfigId, revision: str) -> None:
        self.writable(cid)
        kv, key = self._location(cid)
        assert kv is not None
        try:
            await kv.delete(key, int(revision))
        except RevisionMismatch as e:
            raise StaleWrite(str(cid)) from e

    async def activation_scopes(self) -> list[str]:
        keys = await self.config_kv.keys()
        return sorted(
            k.removeprefix(ACTIVATION_PREFIX).replace("=", ":")
            for k in keys
            if k.startswith(ACTIVATION_PREFIX)
        )
