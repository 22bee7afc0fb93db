"""Every write of a config, appended to a JetStream stream (CONTROL_CONFIG_HISTORY): the value
(zlib-compressed canonical JSON), the patch from the previous revision, actor, reason, job and
plan hash. History is therefore not limited by a KV bucket's history depth, and file-backed
configs get the same history. Reads come from an in-memory index that follows the stream; a
write is indexed on acknowledgement, so a writer reads its own writes at once.
"""

from __future__ import annotations

import asyncio
import zlib
from typing import Any

import msgspec

from cloudlysis_control.config.model import ConfigId
from cloudlysis_control.config.schemas import HistoryEntry, HistoryOp
from cloudlysis_control.core.clock import cancel_and_wait, rfc3339
from cloudlysis_control.core.logging import get_logger
from cloudlysis_control.ports import EventLog

_log = get_logger("control.config")
MAX_PATCH_OPS = 2000  # a longer patch is not kept (the value always is)


class HistoryRecord(msgspec.Struct, kw_only=True):
    id: str
    config: str  # str(ConfigId)
    revision: str
    previous_revision: str | None
    sha256: str
    op: HistoryOp
    at: str
    actor: str | None = None
    reason: str | None = None
    job_id: str | None = None
    plan_hash: str | None = None
    value_z: bytes  # zlib of the canonical JSON
    patch: list[dict[str, Any]] | None = None

    def entry(self) -> HistoryEntry:
        return HistoryEntry(
            revision=self.revision,
            previous_revision=self.previous_revision,
            sha256=self.sha256,
            op=self.op,
            at=self.at,
            actor=self.actor,
            reason=self.reason,
            job_id=self.job_id,
            plan_hash=self.plan_hash,
            patch=self.patch,
        )

    def canonical_value(self) -> bytes:
        return zlib.decompress(self.value_z)


_decoder = msgspec.json.Decoder(HistoryRecord)


def record(
    cid: ConfigId,
    *,
    revision: str,
    previous_revision: str | None,
    sha256: str,
    op: HistoryOp,
    canonical_value: bytes,
    patch: list[dict[str, Any]] | None = None,
    actor: str | None = None,
    reason: str | None = None,
    job_id: str | None = None,
    plan_hash: str | None = None,
) -> HistoryRecord:
    return HistoryRecord(
        id=f"{cid.key}@{revision}:{op}:{job_id or '-'}",
        config=str(cid),
        revision=revision,
        previous_revision=previous_revision,
        sha256=sha256,
        op=op,
        at=rfc3339(),
        actor=actor,
        reason=reason,
        job_id=job_id,
        plan_hash=plan_hash,
        value_z=zlib.compress(canonical_value, 6),
        patch=patch if patch is not None and len(patch) <= MAX_PATCH_OPS else None,
    )


class ConfigHistory:
    def __init__(self, log: EventLog) -> None:
        self.log = log
        self._by_config: dict[str, dict[int, HistoryRecord]] = {}
        self._follower: asyncio.Task[None] | None = None

    async def append(self, rec: HistoryRecord) -> int:
        seq = await self.log.append(msgspec.json.encode(rec), msg_id=rec.id)
        self._index(seq, rec)
        return seq

    def _index(self, seq: int, rec: HistoryRecord) -> None:
        self._by_config.setdefault(rec.config, {})[seq] = rec

    async def start(self) -> None:
        self._follower = asyncio.create_task(self._follow(), name="config-history-follower")

    async def _follow(self) -> None:
        async for msg in self.log.follow(1):
            try:
                self._index(msg.seq, _decoder.decode(msg.data))
            except msgspec.DecodeError:
                _log.warning("undecodable config history record skipped", seq=msg.seq)

    async def stop(self) -> None:
        if self._follower is not None:
            await cancel_and_wait([self._follower])

    def records(self, cid: ConfigId) -> list[tuple[int, HistoryRecord]]:
        """Newest first."""
        found = self._by_config.get(str(cid), {})
        return sorted(found.items(), key=lambda kv: kv[0], reverse=True)

    def at(self, cid: ConfigId, revision: str) -> HistoryRecord | None:
        """The newest record that wrote (or saw) `revision`."""
        return next((r for _, r in self.records(cid) if r.revision == revision), None)

    def by_job(self, cid: ConfigId, job_id: str, op: HistoryOp) -> HistoryRecord | None:
        return next((r for _, r in self.records(cid) if r.job_id == job_id and r.op == op), None)
