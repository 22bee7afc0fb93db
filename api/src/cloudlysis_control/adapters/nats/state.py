"""Connection to NATS JetStream and the control plane's buckets and streams.

The client reconnects forever. Watchers and stream followers are recreated after every reconnect
because a KV watcher's ordered consumer does not survive a server restart (it would silently
deliver nothing for ~20 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy, KeyValueConfig, StorageType, StreamConfig
from nats.js.kv import KeyValue as NatsKV

from cloudlysis_control.adapters.nats.reads import StreamReader
from cloudlysis_control.core.clock import raise_if_cancelling
from cloudlysis_control.core.errors import StateUnavailable
from cloudlysis_control.core.logging import get_logger
from cloudlysis_control.ports import KeyExists, KVEntry, RevisionMismatch, StreamMessage

_log = get_logger("control.nats")

_TRANSIENT: tuple[type[BaseException], ...] = (
    nats.errors.TimeoutError,
    nats.errors.ConnectionClosedError,
    nats.errors.NoRespondersError,
    nats.errors.StaleConnectionError,
    nats.errors.OutboundBufferLimitError,
    nats.js.errors.ServiceUnavailableError,
    nats.js.errors.NoStreamResponseError,
    asyncio.TimeoutError,
    ConnectionError,
)
_INTERRUPTED: tuple[type[BaseException], ...] = (StateUnavailable, nats.errors.Error, *_TRANSIENT)


@contextlib.contextmanager
def _translate(op: str) -> Any:
    try:
        yield
    except (KeyExists, RevisionMismatch):
        raise
    except _TRANSIENT as e:
        # nats-py turns a cancelled request into its own TimeoutError; keep it a cancellation.
        raise_if_cancelling(e)
        raise StateUnavailable(f"NATS {op} failed: {type(e).__name__}") from e
    except nats.errors.Error as e:
        raise StateUnavailable(f"NATS {op} failed: {type(e).__name__}") from e


@dataclass(frozen=True, slots=True)
class BucketSpec:
    name: str
    history: int = 1
    description: str = ""


@dataclass(frozen=True, slots=True)
class StreamSpec:
    name: str
    subjects: list[str]
    description: str = ""


BUCKET_JOBS = BucketSpec("control_jobs", description="Jobs and their steps")
BUCKET_IDEMPOTENCY = BucketSpec("control_idempotency", description="Idempotency keys → job ids")
BUCKET_LOCKS = BucketSpec("control_locks", description="Per-tenant / per-domain locks")
BUCKET_DRIFT = BucketSpec(
    "control_drift", description="Drift items' first/last seen, acknowledgements, adoptions"
)
STREAM_AUDIT = StreamSpec("CONTROL_AUDIT", ["control.audit.>"], "Append-only audit events")
STREAM_CONFIG_HISTORY = StreamSpec(
    "CONTROL_CONFIG_HISTORY", ["control.config.history"], "Every write of a registry config"
)
BUCKET_CONFIG = BucketSpec(
    "control_config", history=16, description="Registry configs: runner activation, flags"
)
STREAM_DEPLOYMENTS = StreamSpec(
    "CONTROL_DEPLOYMENTS", ["control.deployments.>"], "Deployment history from Swarm updates"
)


class NatsKeyValue:
    def __init__(self, state: NatsState, spec: BucketSpec) -> None:
        self._state = state
        self.spec = spec

    async def _kv(self) -> NatsKV:
        self._state.require_connected()
        return await self._state.bucket(self.spec.name)

    async def get(self, key: str) -> KVEntry | None:
        kv = await self._kv()
        with _translate("kv get"):
            try:
                e = await kv.get(key)
            except (nats.js.errors.KeyNotFoundError, nats.js.errors.KeyDeletedError):
                return None
        return KVEntry(e.key, e.value, int(e.revision or 0))

    async def create(self, key: str, value: bytes) -> int:
        kv = await self._kv()
        with _translate("kv create"):
            try:
                return int(await kv.create(key, value))
            except nats.js.errors.KeyWrongLastSequenceError as e:
                raise KeyExists(key) from e

    async def update(self, key: str, value: bytes, revision: int) -> int:
        kv = await self._kv()
        with _translate("kv update"):
            try:
                return int(await kv.update(key, value, last=revision))
            except nats.js.errors.KeyWrongLastSequenceError as e:
                raise RevisionMismatch(key) from e

    async def put(self, key: str, value: bytes) -> int:
        kv = await self._kv()
        with _translate("kv put"):
            return int(await kv.put(key, value))

    async def delete(self, key: str, revision: int | None = None) -> None:
        kv = await self._kv()
        with _translate("kv delete"):
            try:
                await kv.delete(key, last=revision)
            except nats.js.errors.KeyWrongLastSequenceError as e:
                raise RevisionMismatch(key) from e

    async def keys(self) -> list[str]:
        kv = await self._kv()
        with _translate("kv keys"):
            try:
                return list(await kv.keys())
            except nats.js.errors.NoKeysError:
                return []

    async def last_revision(self) -> int:
        self._state.require_connected()
        with _translate("kv status"):
            info = await self._state.js.stream_info(f"KV_{self.spec.name}")
        return int(info.state.last_seq)

    async def watch_all(self) -> AsyncIterator[KVEntry]:
        while True:
            generation = self._state.generation
            watcher = None
            try:
                kv = await self._kv()
                watcher = await kv.watchall()
                while self._state.generation == generation:
                    try:
                        e = await watcher.updates(timeout=0.5)  # type: ignore[no-untyped-call]
                    except nats.errors.TimeoutError as exc:
                        # Python 3.11's wait_for can turn a cancel that races the timeout
                        # into a timeout; do not let that swallow the cancel.
                        raise_if_cancelling(exc)
                        continue
                    if e is None:
                        continue
                    deleted = e.operation in ("DEL", "PURGE")
                    yield KVEntry(e.key, None if deleted else e.value, int(e.revision or 0))
            except _INTERRUPTED as exc:
                raise_if_cancelling(exc)
                _log.warning(
                    "kv watch interrupted", bucket=self.spec.name, error=type(exc).__name__
                )
                await self._state.wait_connected()
            finally:
                if watcher is not None:
                    with contextlib.suppress(Exception):
                        await watcher.stop()  # type: ignore[no-untyped-call]


class NatsEventLog:
    def __init__(self, state: NatsState, spec: StreamSpec, subject: str) -> None:
        self._state = state
        self.spec = spec
        self.subject = subject

    async def append(self, data: bytes, msg_id: str) -> int:
        return (await self.publish(data, msg_id))[0]

    async def publish(self, data: bytes, msg_id: str) -> tuple[int, bool]:
        """Append; returns (sequence, duplicate): duplicate when another writer already
        appended this msg_id within the stream's duplicate window."""
        self._state.require_connected()
        js = self._state.js
        with _translate("stream publish"):
            ack = await js.publish(
                self.subject,
                data,
                stream=self.spec.name,
                timeout=self._state.op_timeout_s,
                headers={"Nats-Msg-Id": msg_id},
            )
        return int(ack.seq), bool(ack.duplicate)

    async def last_seq(self) -> int:
        with _translate("stream info"):
            info = await self._state.js.stream_info(self.spec.name)
        return int(info.state.last_seq)

    async def follow(self, from_seq: int) -> AsyncIterator[StreamMessage]:
        next_seq = max(1, from_seq)
        while True:
            generation = self._state.generation
            sub = None
            try:
                await self._state.wait_connected()
                sub = await self._state.js.subscribe(
                    self.subject,
                    stream=self.spec.name,
                    ordered_consumer=True,
                    config=ConsumerConfig(
                        deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=next_seq
                    ),
                    inactive_threshold=300.0,
                )
                while self._state.generation == generation:
                    try:
                        msg = await sub.next_msg(timeout=0.5)
                    except nats.errors.TimeoutError as exc:
                        # Python 3.11's wait_for can turn a cancel that races the timeout
                        # into a timeout; do not let that swallow the cancel.
                        raise_if_cancelling(exc)
                        continue
                    seq = int(msg.metadata.sequence.stream)
                    if seq < next_seq:
                        continue
                    next_seq = seq + 1
                    yield StreamMessage(seq, msg.data)
            except _INTERRUPTED as exc:
                raise_if_cancelling(exc)
                _log.warning(
                    "stream follow interrupted", stream=self.spec.name, error=type(exc).__name__
                )
                await asyncio.sleep(0.2)
            finally:
                if sub is not None:
                    with contextlib.suppress(Exception):
                        await sub.unsubscribe()

    # -- bounded reads (issue 19: queries served from the stream, not from one replica's memory)

    async def bounds(self) -> tuple[int, int]:
        self._state.require_connected()
        with _translate("stream info"):
            info = await self._state.js.stream_info(self.spec.name)
        return int(info.state.first_seq), int(info.state.last_seq)

    async def read(
        self, start_seq: int, end_seq: int, batch: int = 1024
    ) -> AsyncIterator[StreamMessage]:
        if end_seq < max(1, start_seq):
            return
        reader = await self._reader(
            ConsumerConfig(
                deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=max(1, start_seq)
            )
        )
        try:
            next_seq = max(1, start_seq)
            while next_seq <= end_seq:
                want = min(batch, end_seq - next_seq + 1)
                with _translate("stream read"):
                    msgs = await reader.fetch(want)
                for subject, seq, data in msgs:
                    if seq > end_seq:
                        return
                    next_seq = seq + 1
                    if subject == self.subject:
                        yield StreamMessage(seq, data)
                if len(msgs) < want:
                    return  # the fetch asks "no wait": fewer than asked is all there is
        finally:
            await reader.close()

    async def seq_at(self, at: datetime) -> int:
        first, last = await self.bounds()
        if last == 0 or last < first:
            return last + 1
        reader = await self._reader(
            ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_TIME, opt_start_time=at)
        )
        try:
            with _translate("stream seek"):
                msgs = await reader.fetch(1)
            return msgs[0][1] if msgs else last + 1
        finally:
            await reader.close()

    async def _reader(self, config: ConsumerConfig) -> StreamReader:
        self._state.require_connected()
        nc = self._state.nc
        assert nc is not None
        with _translate("stream reader"):
            return await StreamReader.open(
                nc,
                self._state.js,
                self.spec.name,
                self.spec.subjects[0],
                config,
                self._state.op_timeout_s,
            )


@dataclass
class NatsState:
    url: str
    replicas: int = 1
    connect_timeout_s: float = 5.0
    op_timeout_s: float = 5.0
    on_connection_change: Callable[[bool], None] | None = None
    nc: Client | None = None
    generation: int = 0
    _js: JetStreamContext | None = None
    _buckets: dict[str, NatsKV] = field(default_factory=dict)
    _connected: asyncio.Event = field(default_factory=asyncio.Event)
    _provisioned: bool = False
    _ready_cache: tuple[float, dict[str, str]] | None = None

    @property
    def js(self) -> JetStreamContext:
        if self._js is None:
            raise StateUnavailable("NATS is not connected")
        return self._js

    @property
    def connected(self) -> bool:
        return self.nc is not None and self.nc.is_connected

    def require_connected(self) -> None:
        """Fail at once while the client knows it is disconnected: waiting out a request
        timeout would only delay the same 503."""
        if not self.connected:
            raise StateUnavailable("NATS is not connected")

    def _drop_unsent(self) -> None:
        """Forget what the client buffered but never sent. nats-py re-sends its pending buffer
        after a reconnect: a write whose request already failed (or is about to time out)
        would land later, a ghost. With `pending_size=0` nothing new is buffered while
        disconnected; this drops what was queued when the connection broke."""
        nc = self.nc
        if nc is not None and nc.pending_data_size:
            _log.warning("dropping unsent NATS commands", bytes=nc.pending_data_size)
            # nats-py has no public way to discard its buffer.
            nc._pending = []
            nc._pending_data_size = 0

    async def wait_connected(self) -> None:
        await self._connected.wait()

    def _set_connected(self, up: bool) -> None:
        if up:
            self._connected.set()
        else:
            self._connected.clear()
        self._ready_cache = None
        if self.on_connection_change is not None:
            self.on_connection_change(up)

    async def connect(self) -> None:
        async def disconnected() -> None:
            _log.warning("nats disconnected")
            self._drop_unsent()
            self.generation += 1
            self._set_connected(False)

        async def reconnected() -> None:
            _log.info("nats reconnected")
            self.generation += 1
            self._buckets.clear()
            self._set_connected(True)

        async def error(e: Exception) -> None:
            _log.warning("nats error", error=type(e).__name__)

        try:
            self.nc = await nats.connect(
                servers=[self.url],
                name="cloudlysis-control",
                connect_timeout=self.connect_timeout_s,
                max_reconnect_attempts=-1,
                reconnect_time_wait=0.25,
                allow_reconnect=True,
                # Never buffer a write across a disconnect (it would be delivered after its
                # request failed): publishing while disconnected raises at once.
                pending_size=0,
                disconnected_cb=disconnected,
                reconnected_cb=reconnected,
                error_cb=error,
            )
        except Exception as e:
            raise StateUnavailable(f"cannot connect to NATS: {type(e).__name__}") from e
        self._js = self.nc.jetstream(timeout=self.op_timeout_s)
        self._set_connected(True)

    async def provision(self, buckets: list[BucketSpec], streams: list[StreamSpec]) -> None:
        """Create buckets and streams if missing (idempotent; safe from several replicas)."""
        js = self.js
        with _translate("provision"):
            for b in buckets:
                self._buckets[b.name] = await js.create_key_value(
                    KeyValueConfig(
                        bucket=b.name,
                        history=b.history,
                        storage=StorageType.FILE,
                        replicas=self.replicas,
                        description=b.description,
                    )
                )
            for s in streams:
                cfg = StreamConfig(
                    name=s.name,
                    subjects=s.subjects,
                    storage=StorageType.FILE,
                    num_replicas=self.replicas,
                    description=s.description,
                    duplicate_window=120.0,
                )
                try:
                    await js.add_stream(cfg)
                except nats.js.errors.BadRequestError:
                    await js.update_stream(cfg)
        self._provisioned = True

    async def bucket(self, name: str) -> NatsKV:
        kv = self._buckets.get(name)
        if kv is None:
            with _translate("bucket lookup"):
                kv = await self.js.key_value(name)
            self._buckets[name] = kv
        return kv

    async def readiness(self, buckets: list[str], streams: list[str]) -> dict[str, str]:
        """Map of failing dependency → reason; empty when ready. Cached for 1 s."""
        now = time.monotonic()
        if self._ready_cache is not None and now - self._ready_cache[0] < 1.0:
            return self._ready_cache[1]
        failures: dict[str, str] = {}
        if not self.connected:
            failures["nats"] = "not connected"
        else:
            for name in streams + [f"KV_{b}" for b in buckets]:
                try:
                    await self.js.stream_info(name)
                except nats.js.errors.NotFoundError:
                    failures[f"jetstream:{name}"] = "missing"
                except Exception as e:  # any failure here means "not ready", never a 500
                    failures[f"jetstream:{name}"] = type(e).__name__
        self._ready_cache = (now, failures)
        return failures

    async def close(self) -> None:
        # close(), not drain(): every publish we make is acknowledged already, and drain() can
        # wait its full timeout on a watcher callback blocked on a full queue.
        if self.nc is not None and not self.nc.is_closed:
            with contextlib.suppress(Exception):
                await self.nc.close()
