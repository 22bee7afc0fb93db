"""Where placement comes from: NATS KV (production) or a dev file. Both feed PlacementService.

* `KvPlacementSource` watches one KV bucket with a key per map (`aggregate_placement`, ...,
  `routing`); a revision is the KV revision. While NATS is unreachable the last values keep being
  served, marked stale; the port's watcher resumes at the last revision seen + 1 after a reconnect.
* `FilePlacementSource` polls one JSON file (`config/placement/dev.json`); a revision is the first
  16 hex digits of the SHA-256 of the file's bytes. Writers replace the file atomically
  (`write_atomic`), so a reader never sees half a file.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

import msgspec

from cloudlysis_control.core.clock import rfc3339
from cloudlysis_control.core.errors import StateUnavailable
from cloudlysis_control.core.logging import get_logger
from cloudlysis_control.placement.schemas import (
    KEYS,
    KINDS,
    MAP_KEYS,
    ROUTING_KEY,
    SourceError,
    decode_file,
)
from cloudlysis_control.placement.service import PlacementService
from cloudlysis_control.ports import KeyExists, KeyValue

_log = get_logger("control.placement")
_UNREADABLE = (-1, -1, -1)


def content_revision(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:16]


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` in one step (temp file in the same directory, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def seed_values(raw: bytes) -> dict[str, bytes]:
    """Split a dev-format file into one KV value per key (validated first)."""
    doc = decode_file(raw)
    values: dict[str, bytes] = {}
    for kind in KINDS:
        m = getattr(doc, MAP_KEYS[kind])
        if m is not None:
            values[MAP_KEYS[kind]] = msgspec.json.encode(m)
    if doc.routing is not None:
        values[ROUTING_KEY] = msgspec.json.encode(doc.routing)
    return values


class KvPlacementSource:
    name = "nats"

    def __init__(self, kv: KeyValue, service: PlacementService) -> None:
        self.kv = kv
        self.service = service
        self._task: asyncio.Task[None] | None = None

    async def seed(self, raw: bytes) -> list[str]:
        """Create every key of the seed file that the bucket lacks; never overwrite one.

        `create` is a compare-and-set on "absent", so several replicas seeding at once agree.
        """
        created = []
        for key, value in seed_values(raw).items():
            try:
                await self.kv.create(key, value)
                created.append(key)
            except KeyExists:
                continue
        return created

    def on_connection_change(self, up: bool) -> None:
        self.service.set_live(up)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._watch(), name="placement-watch")

    async def _watch(self) -> None:
        while True:
            try:
                async for entry in self.kv.watch_all():
                    if entry.key in KEYS:
                        self.service.apply(entry.key, entry.value, str(entry.revision))
            except StateUnavailable as e:
                _log.warning("placement watch failed; retrying", error=e.detail)
                await asyncio.sleep(0.25)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class FilePlacementSource:
    name = "file"

    def __init__(self, path: Path, service: PlacementService, poll_s: float = 0.25) -> None:
        self.path = path
        self.service = service
        self.poll_s = poll_s
        self._task: asyncio.Task[None] | None = None
        self._seen: tuple[int, int, int] | None = None

    def _read(self) -> tuple[tuple[int, int, int], bytes | None, str | None]:
        try:
            st = self.path.stat()
            signature = (st.st_mtime_ns, st.st_size, st.st_ino)
            if signature == self._seen:
                return signature, None, None
            return signature, self.path.read_bytes(), None
        except OSError as e:
            return _UNREADABLE, None, f"cannot read {self.path.name}: {e.strerror}"

    def _apply(self, signature: tuple[int, int, int], raw: bytes | None, error: str | None) -> None:
        if error is not None:
            if self._seen != _UNREADABLE:
                _log.warning("placement file unreadable", path=str(self.path), error=error)
                self.service.refuse_all(SourceError(None, error, rfc3339()))
            self._seen = _UNREADABLE
            self.service.set_live(False)
            return
        self._seen = signature
        self.service.set_live(True)
        if raw is not None:
            self.service.apply_file(raw, content_revision(raw))

    def load_once(self) -> None:
        self._apply(*self._read())

    async def start(self) -> None:
        self.load_once()
        self._task = asyncio.create_task(self._poll(), name="placement-file-poll")

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_s)
            try:
                self._apply(*await asyncio.to_thread(self._read))
            except Exception:  # never let the poller die; the error is logged and retried
                _log.exception("placement file poll failed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
