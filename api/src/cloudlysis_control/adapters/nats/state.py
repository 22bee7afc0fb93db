"""Connection to NATS JetStream and the control plane's buckets and streams.

The client takes one server or a cluster's list and reconnects forever, to any of them. KV
watchers and stream followers are ordered consumers on the underlying stream, recreated after
every reconnect (an ordered consumer does not survive its server's death: it would silently
deliver nothing for a while) and resumed from the last stream sequence they delivered + 1, so a
failover neither loses nor repeats a change.

Replication (`replicas`, CONTROL_NATS_REPLICAS): None = auto, 3 on a JetStream cluster that can
place three replicas (a probe stream tells), else 1. Every bucket and stream is created with it,
and an existing one with fewer replicas is raised to it (never lowered).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import (
    ConsumerConfig,
    DeliverPolicy,
    Header,
    KeyValueConfig,
    StorageType,
    StreamConfig,
    StreamInfo,
)
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
_KV_OP = "KV-Operation"  # header of a KV delete (DEL) or purge (PURGE) marker
# A consumer idle this long is asked whether it still exists (its server may have died without
# the client's connection breaking: an ordered consumer lives on one server).
_STALL_CHECK_S = 3.0
_READ_WAIT_S = 2.0  # a bulk read's fetch waits this long for sequences that should exist
# JetStream API errors (err_code) the replication probe tells apart.
_ERR_NOT_CLUSTERED = 10074  # replicas > 1 not supported in non-clustered mode
_ERR_NO_PEERS = 10005  # no suitable peers for placement


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


# nats-py's KV key rule (nats.js.kv.VALID_KEY_RE), for the delete this adapter writes itself.
_VALID_KEY = re.compile(r"^[-/_=.a-zA-Z0-9]+$")
# JetStream's "wrong last sequence" errors (JSStreamWrongLastSequenceErrF, ...ConstantErr).
_WRONG_LAST_SEQUENCE = (10071, 10164)


class NatsKeyValue:
    # Delete markers this adapter wrote, remembered per key (bounded): see create().
    TOMBSTONES_MAX = 10_000

    def __init__(self, state: NatsState, spec: BucketSpec) -> None:
        self._state = state
        self.spec = spec
        self._tombstones: dict[str, int] = {}

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
        """Write `key` only if it holds no value. On a key that was deleted before, nats-py's
        create fails, reads the key back (a JetStream API request whose headers it parses
        with the email parser) and writes again: three round trips for every lock taken on
        a key released before. When this adapter wrote that delete marker itself it knows its
        revision, and one write conditional on it does the same — it succeeds only while the
        marker is still the key's last revision (deleted, nothing written since); otherwise
        the general path decides."""
        kv = await self._kv()
        tombstone = self._tombstones.pop(key, None)
        with _translate("kv create"):
            if tombstone is not None:
                try:
                    return int(await kv.update(key, value, last=tombstone))
                except nats.js.errors.KeyWrongLastSequenceError:
                    pass  # written since the delete: the general path decides
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
        """A delete marker (what nats-py's delete writes), conditional on `revision` when
        given: RevisionMismatch when the key moved on. Written here rather than through
        nats-py, whose delete returns no revision (and reports a wrong revision as a bare
        APIError): the marker's revision is remembered for the next create of the key."""
        if key.startswith(".") or key.endswith(".") or not _VALID_KEY.match(key):
            raise nats.js.errors.InvalidKeyError(key)
        self._state.require_connected()
        headers = {_KV_OP: "DEL"}
        if revision:
            headers[Header.EXPECTED_LAST_SUBJECT_SEQUENCE] = str(revision)
        with _translate("kv delete"):
            try:
                ack = await self._state.js.publish(
                    f"$KV.{self.spec.name}.{key}", b"", headers=headers
                )
            except nats.js.errors.APIError as e:
                if e.err_code in _WRONG_LAST_SEQUENCE:
                    raise RevisionMismatch(key) from e
                raise
        if len(self._tombstones) >= self.TOMBSTONES_MAX:
            del self._tombstones[next(iter(self._tombstones))]
        self._tombstones[key] = int(ack.seq)

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
        """Current values (one per key, deletes as None) first, then every change in revision
        order; after a reconnect or a failover it resumes at the last revision seen + 1."""
        bucket = self.spec.name
        prefix = f"$KV.{bucket}."
        async for seq, msg in self._state.ordered(f"KV_{bucket}", f"{prefix}>", None):
            op = (msg.headers or {}).get(_KV_OP)
            deleted = op in ("DEL", "PURGE")
            yield KVEntry(msg.subject[len(prefix) :], None if deleted else msg.data, seq)


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
        async for seq, msg in self._state.ordered(self.spec.name, self.subject, max(1, from_seq)):
            yield StreamMessage(seq, msg.data)

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
                    # Every sequence asked for exists (end_seq is a snapshot of the log's last),
                    # so the server fills the batch at once. On a cluster the first pull can
                    # reach the new consumer before it serves (503): the reader asks again,
                    # and any other early end raises — the HA suite's 1,000,000-event export
                    # once lost whole windows to a read that ended early in silence.
                    msgs = await reader.fetch(want, wait_s=_READ_WAIT_S)
                for subject, seq, data in msgs:
                    if seq > end_seq:
                        return
                    next_seq = seq + 1
                    if subject == self.subject:
                        yield StreamMessage(seq, data)
                if len(msgs) < want:
                    return  # waited _READ_WAIT_S: the rest was removed (limits) meanwhile
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


@dataclass(frozen=True, slots=True)
class StreamHealth:
    """One bucket's (its KV_<name> stream's) or stream's replication as the server reports it."""

    replicas: int | None  # as configured on the server (None: its info did not answer)
    leader: str | None  # server name of its leader (None: no leader, so no quorum)
    problem: str | None = None  # why it is not usable, when it is not


@dataclass(frozen=True, slots=True)
class StateReport:
    """What /ready says of the state: failures (empty when ready) and every stream's health."""

    failures: dict[str, str]
    replicas: int | None  # chosen for every bucket and stream (None: not chosen yet)
    replicas_source: str  # how it was chosen
    server: str | None  # name of the server the client is connected to
    streams: dict[str, StreamHealth]


def _err_code(e: BaseException) -> int | None:
    code = getattr(e, "err_code", None)
    return int(code) if isinstance(code, int) else None


@dataclass
class NatsState:
    url: str  # one server or several, comma-separated (a cluster's)
    replicas: int | None = None  # None = auto (see the module's docstring)
    connect_timeout_s: float = 5.0
    op_timeout_s: float = 5.0
    on_connection_change: Callable[[bool], None] | None = None
    # A server that stops answering without closing the socket (partition, SIGSTOP) is given up
    # after ping_interval_s * (max_outstanding_pings + 1) and the client moves to another one.
    ping_interval_s: float = 3.0
    max_outstanding_pings: int = 2
    ready_timeout_s: float = 2.0  # per stream info of a /ready check (run concurrently)
    nc: Client | None = None
    generation: int = 0
    replication: int | None = None  # chosen at the first provision()
    replication_source: str = "not chosen yet"
    _js: JetStreamContext | None = None
    _buckets: dict[str, NatsKV] = field(default_factory=dict)
    _connected: asyncio.Event = field(default_factory=asyncio.Event)
    _provisioned: bool = False
    _ready_cache: tuple[float, StateReport] | None = None
    _choose_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def servers(self) -> list[str]:
        return [u.strip() for u in self.url.split(",") if u.strip()]

    @property
    def js(self) -> JetStreamContext:
        if self._js is None:
            raise StateUnavailable("NATS is not connected")
        return self._js

    @property
    def connected(self) -> bool:
        return self.nc is not None and self.nc.is_connected

    @property
    def server_info(self) -> dict[str, Any]:
        """The connected server's INFO (nats-py keeps it private)."""
        info = getattr(self.nc, "_server_info", None) if self.nc is not None else None
        return info if isinstance(info, dict) else {}

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
            _log.info("nats reconnected", server=self.server_info.get("server_name"))
            self.generation += 1
            self._buckets.clear()
            self._set_connected(True)

        async def error(e: Exception) -> None:
            _log.warning("nats error", error=type(e).__name__)

        try:
            self.nc = await nats.connect(
                servers=self.servers,
                name="cloudlysis-control",
                connect_timeout=self.connect_timeout_s,
                max_reconnect_attempts=-1,
                reconnect_time_wait=0.25,
                allow_reconnect=True,
                ping_interval=self.ping_interval_s,
                max_outstanding_pings=self.max_outstanding_pings,
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

    # -- replication ----------------------------------------------------------------------------

    async def choose_replicas(self) -> int:
        """The replicas of every bucket and stream (chosen once; see the module docstring)."""
        async with self._choose_lock:
            if self.replication is None:
                self.replication, self.replication_source = await self._choose()
                _log.info(
                    "nats replication chosen",
                    replicas=self.replication,
                    source=self.replication_source,
                )
            return self.replication

    async def _choose(self) -> tuple[int, str]:
        cluster = self.server_info.get("cluster")
        if self.replicas is not None:
            if self.replicas > 1 and not cluster:
                return 1, (
                    f"CONTROL_NATS_REPLICAS={self.replicas}, but the server is not part of a "
                    "cluster: 1"
                )
            return self.replicas, f"CONTROL_NATS_REPLICAS={self.replicas}"
        if not cluster:
            return 1, "auto: a single server (not part of a cluster)"
        # A cluster: can it place three replicas? Ask it with a throwaway stream (its meta
        # leader counts the JetStream peers, including ones that are down right now).
        deadline = time.monotonic() + max(self.connect_timeout_s, self.op_timeout_s) * 3
        name = f"CONTROL_REPLICAS_PROBE_{uuid.uuid4().hex[:12]}"
        last = ""
        while True:
            try:
                await self.js.add_stream(
                    StreamConfig(
                        name=name,
                        subjects=[f"control.probe.{name}"],
                        storage=StorageType.MEMORY,
                        num_replicas=3,
                        max_msgs=1,
                        description="Replication probe of a starting control API (deleted)",
                    )
                )
            except nats.js.errors.APIError as e:
                code = _err_code(e)
                if code == _ERR_NOT_CLUSTERED:
                    return 1, f"auto: cluster {cluster} has no clustered JetStream"
                if code == _ERR_NO_PEERS:
                    return 1, f"auto: JetStream cluster {cluster} has fewer than 3 peers"
                last = f"{type(e).__name__} {code}"
            except _TRANSIENT as e:
                raise_if_cancelling(e)
                last = type(e).__name__
            else:
                with contextlib.suppress(Exception):
                    await self.js.delete_stream(name)
                return 3, f"auto: JetStream cluster {cluster} places 3 replicas"
            if time.monotonic() > deadline:
                raise StateUnavailable(
                    f"cannot choose the NATS replication: cluster {cluster} did not place a "
                    f"probe stream ({last})"
                )
            await asyncio.sleep(0.5)

    # -- provisioning ---------------------------------------------------------------------------

    async def provision(self, buckets: list[BucketSpec], streams: list[StreamSpec]) -> None:
        """Create buckets and streams if missing, raise their replicas to the chosen
        replication (idempotent; safe when several replicas start at once)."""
        replicas = await self.choose_replicas()
        for b in buckets:

            async def create(b: BucketSpec = b) -> None:
                await self.js.create_key_value(
                    KeyValueConfig(
                        bucket=b.name,
                        history=b.history,
                        storage=StorageType.FILE,
                        replicas=replicas,
                        description=b.description,
                    )
                )

            await self._ensure(f"KV_{b.name}", create, replicas, None)
            self._buckets.pop(b.name, None)  # looked up again at first use
        for s in streams:
            cfg = StreamConfig(
                name=s.name,
                subjects=s.subjects,
                storage=StorageType.FILE,
                num_replicas=replicas,
                description=s.description,
                duplicate_window=120.0,
            )

            async def create_stream(cfg: StreamConfig = cfg) -> None:
                await self.js.add_stream(cfg)

            await self._ensure(s.name, create_stream, replicas, s)
        self._provisioned = True

    async def _ensure(
        self,
        name: str,
        create: Callable[[], Any],
        replicas: int,
        spec: StreamSpec | None,
    ) -> None:
        """One stream: created when missing; otherwise its replicas raised to `replicas` and (a
        stream's) subjects and description brought to `spec`. A create or update that loses a
        race to another replica is followed by a fresh read, until nothing is left to do; a
        timeout or an unavailable JetStream (a cluster still electing) is retried for a while."""
        deadline = time.monotonic() + max(30.0, 3 * self.op_timeout_s)
        races = 0
        created = False
        while True:
            try:
                with _translate("provision"):
                    try:
                        info: StreamInfo = await self.js.stream_info(name)
                    except nats.js.errors.NotFoundError:
                        if created and time.monotonic() < deadline:
                            # Just created (here or by another replica): on a cluster its info
                            # can answer "not found" until its group is up. Read again.
                            await asyncio.sleep(0.2)
                            continue
                        await create()  # idempotent: the same config again is no change
                        created = True
                        continue
                    leaderless = info.cluster is not None and not info.cluster.leader
                    if leaderless and time.monotonic() < deadline:
                        await asyncio.sleep(0.2)  # not usable before it has a leader
                        continue
                    cfg = info.config
                    changed = False
                    if (cfg.num_replicas or 1) < replicas:
                        cfg.num_replicas = replicas
                        changed = True
                    if spec is not None:
                        if sorted(cfg.subjects or []) != sorted(spec.subjects):
                            cfg.subjects = list(spec.subjects)
                            changed = True
                        if cfg.description != spec.description:
                            cfg.description = spec.description
                            changed = True
                    if not changed:
                        return
                    _log.info("updating nats stream", stream=name, replicas=cfg.num_replicas)
                    await self.js.update_stream(cfg)
                    return
            except StateUnavailable as e:
                cause = e.__cause__
                transient = isinstance(
                    cause, (*_TRANSIENT, nats.js.errors.ServiceUnavailableError)
                ) or not isinstance(cause, nats.js.errors.APIError)
                if transient:
                    if time.monotonic() > deadline:
                        raise
                else:
                    # An API error after a concurrent create/update by another replica
                    # (already in use, update in progress): read again, a few times.
                    races += 1
                    if races > 8:
                        raise StateUnavailable(f"cannot provision {name}: {cause}") from cause
                _log.warning("provisioning retried", stream=name, error=type(cause).__name__)
                await asyncio.sleep(0.5 if transient else 0.2)

    async def bucket(self, name: str) -> NatsKV:
        kv = self._buckets.get(name)
        if kv is None:
            with _translate("bucket lookup"):
                kv = await self.js.key_value(name)
            self._buckets[name] = kv
        return kv

    # -- consuming ------------------------------------------------------------------------------

    async def ordered(
        self, stream: str, subject: str, from_seq: int | None
    ) -> AsyncIterator[tuple[int, Msg]]:
        """Every message of `stream` on `subject` from `from_seq` (None: the last message per
        subject first, as a KV watch starts), each once and in sequence order, across
        reconnects and failovers: the ordered consumer is recreated after each and resumes
        at the last sequence delivered + 1."""
        next_seq = from_seq
        while True:
            generation = self.generation
            sub = None
            try:
                await self.wait_connected()
                if next_seq is not None and next_seq > 1:
                    last = int((await self.js.stream_info(stream)).state.last_seq)
                    if last < next_seq - 1:
                        # Deleted and created again (its sequences start over): start over too.
                        _log.warning("stream recreated; reading it again", stream=stream)
                        next_seq = None if from_seq is None else 1
                config = (
                    ConsumerConfig(deliver_policy=DeliverPolicy.LAST_PER_SUBJECT)
                    if next_seq is None
                    else ConsumerConfig(
                        deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=next_seq
                    )
                )
                sub = await self.js.subscribe(
                    subject,
                    stream=stream,
                    ordered_consumer=True,
                    config=config,
                    idle_heartbeat=1.0,
                    inactive_threshold=300.0,
                )
                idle = 0.0
                while self.generation == generation:
                    try:
                        msg = await sub.next_msg(timeout=0.5)
                    except nats.errors.TimeoutError as exc:
                        # Python 3.11's wait_for can turn a cancel that races the timeout
                        # into a timeout; do not let that swallow the cancel.
                        raise_if_cancelling(exc)
                        idle += 0.5
                        if idle >= _STALL_CHECK_S:
                            idle = 0.0
                            # Raises when the consumer (or its server) is gone: recreate it.
                            await sub.consumer_info()
                            if next_seq is not None and await self._behind(stream, next_seq):
                                # Idle while the stream holds newer messages: the consumer
                                # stalled in a failover without saying so (the HA suite saw a
                                # placement watch miss its own replica's write). Recreate it at
                                # the next sequence.
                                _log.warning("stream consumer stalled; recreating", stream=stream)
                                break
                        continue
                    idle = 0.0
                    seq = int(msg.metadata.sequence.stream)
                    if next_seq is not None and seq < next_seq:
                        continue
                    next_seq = seq + 1
                    yield seq, msg
            except _INTERRUPTED as exc:
                raise_if_cancelling(exc)
                _log.warning("stream consumer interrupted", stream=stream, error=type(exc).__name__)
                await asyncio.sleep(0.2)
            finally:
                if sub is not None:
                    with contextlib.suppress(Exception):
                        await sub.unsubscribe()

    async def _behind(self, stream: str, next_seq: int) -> bool:
        """The stream holds a message at or past `next_seq` (for a consumer that is idle)."""
        info = await self.js.stream_info(stream)
        return int(info.state.last_seq) >= next_seq

    # -- readiness ------------------------------------------------------------------------------

    async def readiness(self, buckets: list[str], streams: list[str]) -> StateReport:
        """Failures (empty when ready) and each bucket's and stream's replicas and leader.
        A stream without a leader, or whose info does not answer in time (no JetStream quorum),
        is a failure: the API must not look ready on state it cannot read or write. Cached 1 s."""
        now = time.monotonic()
        if self._ready_cache is not None and now - self._ready_cache[0] < 1.0:
            return self._ready_cache[1]
        failures: dict[str, str] = {}
        health: dict[str, StreamHealth] = {}
        nc = self.nc
        if nc is None or not self.connected:
            failures["nats"] = "not connected"
        else:
            js = nc.jetstream(timeout=min(self.op_timeout_s, self.ready_timeout_s))
            names = streams + [f"KV_{b}" for b in buckets]
            results = await asyncio.gather(
                *(self._stream_health(js, n) for n in names), return_exceptions=True
            )
            for name, h in zip(names, results, strict=True):
                if isinstance(h, BaseException):
                    h = StreamHealth(None, None, type(h).__name__)
                health[name] = h
                if h.problem is not None:
                    failures[f"jetstream:{name}"] = h.problem
        report = StateReport(
            failures=failures,
            replicas=self.replication,
            replicas_source=self.replication_source,
            server=self.server_info.get("server_name") if self.connected else None,
            streams=health,
        )
        self._ready_cache = (now, report)
        return report

    async def _stream_health(self, js: JetStreamContext, name: str) -> StreamHealth:
        try:
            info: StreamInfo = await js.stream_info(name)
        except nats.js.errors.NotFoundError:
            return StreamHealth(None, None, "missing")
        except (TimeoutError, nats.errors.TimeoutError, nats.errors.NoRespondersError):
            return StreamHealth(None, None, "no answer: no JetStream quorum or leader")
        except nats.js.errors.ServiceUnavailableError:
            return StreamHealth(None, None, "JetStream unavailable: no quorum")
        except Exception as e:  # any failure here means "not ready", never a 500
            return StreamHealth(None, None, type(e).__name__)
        replicas = int(info.config.num_replicas or 1)
        cluster = info.cluster
        if cluster is None:  # a single server: it is the leader
            return StreamHealth(replicas, self.server_info.get("server_name") or "standalone")
        leader = cluster.leader or None
        if leader is None:
            return StreamHealth(replicas, None, "no leader: no quorum of its replicas")
        return StreamHealth(replicas, leader)

    async def close(self) -> None:
        # close(), not drain(): every publish we make is acknowledged already, and drain() can
        # wait its full timeout on a watcher callback blocked on a full queue.
        if self.nc is not None and not self.nc.is_closed:
            with contextlib.suppress(Exception):
                await self.nc.close()
