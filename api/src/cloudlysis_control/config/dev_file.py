"""Routing and placement in the dev file (CONTROL_PLACEMENT_SOURCE=file,
`config/placement/dev.json`): one JSON document holding every map and the routing config, whose
revision is its content revision (docs/contracts/placement-and-routing.md §4; every section
shares it). A write is a compare-and-set on that revision under an exclusive lock file, and
replaces the file atomically (temp file, fsync, rename); the API's file source and a devfleet
Gateway started with `--placement-file` pick it up (hot reload)."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cloudlysis_control.placement.schemas import PlacementInvalid, decode_file
from cloudlysis_control.placement.sources import content_revision, write_atomic


class FileStale(Exception):
    """The file is no longer at the revision the write was planned against."""


class DevFileSections:
    def __init__(self, path: Path) -> None:
        self.path = path

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        lock = self.path.with_name(f".{self.path.name}.lock")
        with lock.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _read(self) -> tuple[str | None, dict[str, Any]]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None, {"schema_version": 1}
        doc: dict[str, Any] = json.loads(raw)
        return content_revision(raw), doc

    def _get(self, key: str) -> tuple[str | None, Any]:
        revision, doc = self._read()
        return revision, doc.get(key)

    async def get(self, key: str) -> tuple[str | None, Any]:
        """(the file's revision, the section's plain data or None)."""
        return await asyncio.to_thread(self._get, key)

    def _put(self, key: str, data: Any, base_revision: str | None) -> str:
        with self._locked():
            revision, doc = self._read()
            if revision != base_revision:
                raise FileStale(f"{self.path.name} is at {revision}, not {base_revision}")
            if data is None:
                doc.pop(key, None)
            else:
                doc[key] = data
            raw = (json.dumps(doc, indent=2) + "\n").encode()
            try:
                decode_file(raw)
            except PlacementInvalid as e:
                raise FileStale(f"the file would not be valid: {e}") from e
            write_atomic(self.path, raw)
            return content_revision(raw)

    async def put(self, key: str, data: Any, base_revision: str | None) -> str:
        """Write one section (None: remove it); returns the file's new revision."""
        return await asyncio.to_thread(self._put, key, data, base_revision)
