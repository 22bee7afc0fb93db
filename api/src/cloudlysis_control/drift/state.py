"""What drift remembers in NATS KV (bucket `control_drift`), so it survives restarts and every
replica agrees: when each open item was first and last seen (`seen.<id>`), acknowledgements
with their reason and expiry (`ack.<id>`), and adoptions (`adopt.<id>`: the observed value an
operator made the desired one; the item stays away while what runs still has that value)."""

from __future__ import annotations

import contextlib

import msgspec

from cloudlysis_control.core.logging import get_logger
from cloudlysis_control.ports import KeyExists, KeyValue, RevisionMismatch

_log = get_logger("control.drift")


class Seen(msgspec.Struct, kw_only=True):
    first_seen: float
    last_seen: float


class Ack(msgspec.Struct, kw_only=True):
    by: str
    reason: str
    at: float
    expires_at: float
    job_id: str | None = None


class Adoption(msgspec.Struct, kw_only=True):
    service: str
    field: str
    observed: str | None
    by: str
    reason: str
    at: float
    job_id: str | None = None


class DriftState:
    """Reads everything once (`load`), then keeps the memory copy and the bucket in step."""

    def __init__(self, kv: KeyValue | None) -> None:
        self.kv = kv
        self.seen: dict[str, Seen] = {}
        self.acks: dict[str, Ack] = {}
        self.adoptions: dict[str, Adoption] = {}
        self._persisted_last: dict[str, float] = {}
        self.loaded = False

    async def load(self) -> None:
        if self.kv is None:
            self.loaded = True
            return
        seen: dict[str, Seen] = {}
        acks: dict[str, Ack] = {}
        adoptions: dict[str, Adoption] = {}
        for key in await self.kv.keys():
            entry = await self.kv.get(key)
            if entry is None or entry.value is None:
                continue
            prefix, _, item = key.partition(".")
            try:
                if prefix == "seen":
                    seen[item] = msgspec.json.decode(entry.value, type=Seen)
                elif prefix == "ack":
                    acks[item] = msgspec.json.decode(entry.value, type=Ack)
                elif prefix == "adopt":
                    adoptions[item] = msgspec.json.decode(entry.value, type=Adoption)
            except (msgspec.DecodeError, msgspec.ValidationError):
                _log.warning("undecodable drift record skipped", key=key)
        self.seen, self.acks, self.adoptions = seen, acks, adoptions
        self._persisted_last = {k: v.last_seen for k, v in seen.items()}
        self.loaded = True

    async def observe(self, ids: set[str], now: float, persist_every_s: float) -> None:
        """Items present now keep (or get) their first-seen time; items gone are forgotten (a
        difference that comes back is new again). `last_seen` is written at most every
        `persist_every_s`, first-seen at once."""
        for item in ids:
            record = self.seen.get(item)
            if record is None:
                record = Seen(first_seen=now, last_seen=now)
                if self.kv is not None:
                    try:
                        await self.kv.create(f"seen.{item}", msgspec.json.encode(record))
                    except KeyExists:  # another replica saw it first: its time wins
                        entry = await self.kv.get(f"seen.{item}")
                        if entry is not None and entry.value is not None:
                            with contextlib.suppress(msgspec.DecodeError, msgspec.ValidationError):
                                record = msgspec.json.decode(entry.value, type=Seen)
                                record.last_seen = now
                self.seen[item] = record
                self._persisted_last[item] = record.last_seen
                continue
            record.last_seen = now
            if self.kv is not None and now - self._persisted_last.get(item, 0) >= persist_every_s:
                await self.kv.put(f"seen.{item}", msgspec.json.encode(record))
                self._persisted_last[item] = now
        for item in [i for i in self.seen if i not in ids]:
            del self.seen[item]
            self._persisted_last.pop(item, None)
            if self.kv is not None:
                with contextlib.suppress(RevisionMismatch):
                    await self.kv.delete(f"seen.{item}")

    def ack_of(self, item: str, now: float) -> Ack | None:
        ack = self.acks.get(item)
        return ack if ack is not None and ack.expires_at > now else None

    async def acknowledge(self, item: str, ack: Ack) -> None:
        if self.kv is not None:
            await self.kv.put(f"ack.{item}", msgspec.json.encode(ack))
        self.acks[item] = ack

    async def adopt(self, item: str, adoption: Adoption) -> None:
        if self.kv is not None:
            await self.kv.put(f"adopt.{item}", msgspec.json.encode(adoption))
        self.adoptions[item] = adoption

    async def forget_adoption(self, item: str) -> None:
        if item in self.adoptions:
            self.adoptions.pop(item)
            if self.kv is not None:
                with contextlib.suppress(RevisionMismatch):
                    await self.kv.delete(f"adopt.{item}")
