"""Where each config lives and how it is read and written.

* routing and placement: the placement bucket (`control_placement`, keys `routing` and
  `<kind>_placement`; docs/contracts/placement-and-routing.md), which the Gateway watches. When
  placement comes from the dev file (CONTROL_PLACEMENT_SOURCE=file) they are its sections
  (`dev_file.py`; the file's content revision is every section's revision).
* runner.activation and flags: the `control_config` bucket, key `<domain>/<name>/<scope>`.
* observability: files of the repository (read-only, `assets.py`).

A write is a compare-and-set on the revision it was planned against (create when the config did
not exist), so a write can never land over one it did not see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import msgspec

from cloudlysis_control.config.dev_file import DevFileSections, FileStale
from cloudlysis_control.config.model import ConfigId
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
        placement_file: DevFileSections | None = None,
    ) -> None:
        self.config_kv = config_kv
        self.placement_kv = placement_kv  # None: placement comes from the dev file
        self.placement = placement
        self.placement_file = placement_file

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
        if self._location(cid)[0] is None and self.placement_file is None:
            raise ConfigReadOnly(f"{cid.domain} has no writable source here")

    async def read(self, cid: ConfigId) -> Stored:
        kv, key = self._location(cid)
        if kv is None:
            return await self._from_file(key)
        entry = await kv.get(key)
        if entry is None or entry.value is None:
            return Stored(None, None)
        return Stored(str(entry.revision), entry.value)

    async def _from_file(self, key: str) -> Stored:
        assert self.placement_file is not None
        revision, data = await self.placement_file.get(key)
        return Stored(revision, msgspec.json.encode(data) if data is not None else None)

    async def write(self, cid: ConfigId, data: bytes, base_revision: str | None) -> str:
        self.writable(cid)
        kv, key = self._location(cid)
        if kv is None:
            return await self._write_file(key, msgspec.json.decode(data), base_revision)
        try:
            if base_revision is None:
                return str(await kv.create(key, data))
            return str(await kv.update(key, data, int(base_revision)))
        except (KeyExists, RevisionMismatch) as e:
            raise StaleWrite(str(cid)) from e

    async def _write_file(self, key: str, data: Any, base_revision: str | None) -> str:
        assert self.placement_file is not None
        try:
            return await self.placement_file.put(key, data, base_revision)
        except FileStale as e:
            raise StaleWrite(str(e)) from e

    async def delete(self, cid: ConfigId, revision: str) -> None:
        self.writable(cid)
        kv, key = self._location(cid)
        if kv is None:
            await self._write_file(key, None, revision)
            return
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
