"""The effective placement: one immutable state object, replaced whole on every change.

Readers take `service.state` once and build their answer from that object only, so a reader can
never see half of one revision and half of another. Sources (`kv_source`, `file_source`) feed raw
values in; a value that fails to decode or validate is refused and the last known good value keeps
being served with the refusal reported beside it. The tenant index is rebuilt on each swap, never
per request.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from itertools import accumulate
from types import MappingProxyType
from typing import Literal

from cloudlysis_control.core.clock import rfc3339
from cloudlysis_control.core.logging import get_logger
from cloudlysis_control.core.staleness import Staleness
from cloudlysis_control.placement.schemas import (
    KINDS,
    MAP_KEYS,
    ROUTING_KEY,
    PlacementInvalid,
    PlacementKind,
    PlacementMap,
    PlacementMapView,
    PlacementOverview,
    RoutingConfig,
    RoutingView,
    SourceError,
    decode_file,
    decode_map,
    decode_routing,
)

_log = get_logger("control.placement")
SourceName = Literal["nats", "file"]
_KIND_BY_KEY: dict[str, PlacementKind] = {v: k for k, v in MAP_KEYS.items()}


@dataclass(frozen=True, slots=True)
class Loaded:
    """One stored value as served: the last known good document and the newest refusal."""

    value: PlacementMap | RoutingConfig | None = None
    revision: str | None = None
    updated_at: str | None = None
    loaded_mono: float | None = None
    error: SourceError | None = None


@dataclass(frozen=True, slots=True)
class TenantPlacement:
    shard: str | None
    explicit: bool


@dataclass(frozen=True)
class TenantIndex:
    """Sorted tenant ids (every tenant named in any map) and each kind's tenant → shard map.

    The per-kind maps are the decoded documents' own dicts (never copied or mutated), so a
    rebuild costs one set union and one sort.
    """

    tenants: tuple[str, ...] = ()
    by_kind: Mapping[PlacementKind, Mapping[str, str]] = field(
        default_factory=lambda: MappingProxyType({k: {} for k in KINDS})
    )
    defaults: Mapping[PlacementKind, str | None] = field(
        default_factory=lambda: MappingProxyType(dict.fromkeys(KINDS))
    )

    @classmethod
    def build(cls, maps: Mapping[PlacementKind, Loaded]) -> TenantIndex:
        by_kind: dict[PlacementKind, Mapping[str, str]] = {}
        defaults: dict[PlacementKind, str | None] = {}
        for kind in KINDS:
            doc = maps[kind].value
            if isinstance(doc, PlacementMap):
                by_kind[kind], defaults[kind] = doc.tenants, doc.default_shard
            else:
                by_kind[kind], defaults[kind] = {}, None
        tenants = tuple(sorted(set().union(*by_kind.values())))
        return cls(tenants, MappingProxyType(by_kind), MappingProxyType(defaults))

    def placement(self, tenant_id: str, kind: PlacementKind) -> TenantPlacement:
        shard = self.by_kind[kind].get(tenant_id)
        if shard is not None:
            return TenantPlacement(shard, True)
        return TenantPlacement(self.defaults.get(kind), False)

    def known(self, tenant_id: str) -> bool:
        return any(tenant_id in m for m in self.by_kind.values())

    def iter_from(self, after: str | None, q: str | None, match: str) -> Iterator[str]:
        """Tenant ids after `after` (exclusive), in order, matching q by prefix or substring."""
        if q and match == "prefix":
            start = bisect.bisect_left(self.tenants, q)
            if after is not None and after >= q:
                start = bisect.bisect_right(self.tenants, after)
            for tenant in self.tenants[start:]:
                if not tenant.startswith(q):
                    return
                yield tenant
            return
        start = 0 if after is None else bisect.bisect_right(self.tenants, after)
        if not q:
            yield from self.tenants[start:]
            return
        for tenant in self.substring(q):
            if after is None or tenant > after:
                yield tenant

    @cached_property
    def _joined(self) -> tuple[str, tuple[int, ...]]:
        """Every id on one line each, and where each starts: a substring search is one C-speed
        `str.find` per matching id instead of a Python loop over every id."""
        starts = tuple(accumulate((len(t) + 1 for t in self.tenants[:-1]), initial=0))
        return "\n".join(self.tenants), starts

    def substring(self, q: str) -> tuple[str, ...]:
        """The ids containing q, in order."""
        if not q or "\n" in q:
            return ()
        blob, starts = self._joined
        found: list[str] = []
        pos = blob.find(q)
        while pos != -1:
            i = bisect.bisect_right(starts, pos) - 1
            found.append(self.tenants[i])
            if i + 1 >= len(starts):
                break
            pos = blob.find(q, starts[i + 1])  # the next id: each id once
        return tuple(found)


@dataclass(frozen=True)
class PlacementState:
    maps: Mapping[PlacementKind, Loaded]
    routing: Loaded
    index: TenantIndex
    generation: int = 0


class PlacementService:
    def __init__(self, source: SourceName, clock: Callable[[], float] = time.monotonic) -> None:
        self.source: SourceName = source
        self.clock = clock
        maps = MappingProxyType({k: Loaded() for k in KINDS})
        self._state = PlacementState(maps, Loaded(), TenantIndex())
        self._staleness = Staleness(clock)
        self._listeners: list[Callable[[PlacementState], None]] = []

    @property
    def state(self) -> PlacementState:
        return self._state

    def subscribe(self, listener: Callable[[PlacementState], None]) -> None:
        self._listeners.append(listener)

    # -- staleness --------------------------------------------------------------------------------

    def set_live(self, live: bool) -> None:
        self._staleness.set_live(live)

    @property
    def stale(self) -> bool:
        return self._staleness.stale

    def stale_for_s(self) -> float | None:
        return self._staleness.stale_for_s()

    # -- applying source values --------------------------------------------------------------

    def apply(self, key: str, raw: bytes | None, revision: str, *, ordered: bool = True) -> bool:
        """Apply one stored value (NATS KV). Returns True when the served state changed.

        `ordered`: revisions are integers that only grow (KV); older or equal ones are re-sends
        (a watcher recreated after a reconnect) and are ignored.
        """
        state = self._state
        current = self._loaded(state, key)
        if current is None:
            return False  # not one of our keys
        if ordered and _newer_or_equal(current, revision):
            return False
        now = rfc3339()
        if raw is None:
            new = Loaded(None, revision, now, self.clock(), None)
        else:
            try:
                kind = _KIND_BY_KEY.get(key)
                value: PlacementMap | RoutingConfig = (
                    decode_map(raw, kind) if kind is not None else decode_routing(raw)
                )
            except PlacementInvalid as e:
                _log.warning("placement value refused", key=key, revision=revision, error=str(e))
                new = replace(current, error=SourceError(revision, str(e), now))
                self._swap(state, {key: new}, rebuild_index=False)
                return False
            new = Loaded(value, revision, now, self.clock(), None)
        self._swap(state, {key: new}, rebuild_index=key != ROUTING_KEY)
        return True

    def apply_file(self, raw: bytes, revision: str) -> bool:
        """Apply the whole dev file at once: every key changes together or none does."""
        state = self._state
        if state.routing.revision == revision and all(
            state.maps[k].revision == revision for k in KINDS
        ):
            return False
        now = rfc3339()
        try:
            doc = decode_file(raw)
        except PlacementInvalid as e:
            _log.warning("placement file refused", revision=revision, error=str(e))
            self.refuse_all(SourceError(revision, str(e), now))
            return False
        mono = self.clock()
        changes: dict[str, Loaded] = {
            MAP_KEYS[k]: Loaded(getattr(doc, MAP_KEYS[k]), revision, now, mono) for k in KINDS
        }
        changes[ROUTING_KEY] = Loaded(doc.routing, revision, now, mono)
        self._swap(state, changes, rebuild_index=True)
        return True

    def refuse_all(self, error: SourceError) -> None:
        state = self._state
        changes = {MAP_KEYS[k]: replace(state.maps[k], error=error) for k in KINDS}
        changes[ROUTING_KEY] = replace(state.routing, error=error)
        self._swap(state, changes, rebuild_index=False)

    @staticmethod
    def _loaded(state: PlacementState, key: str) -> Loaded | None:
        if key == ROUTING_KEY:
            return state.routing
        kind = _KIND_BY_KEY.get(key)
        return state.maps[kind] if kind is not None else None

    def _swap(self, state: PlacementState, changes: dict[str, Loaded], rebuild_index: bool) -> None:
        maps = dict(state.maps)
        routing = state.routing
        for key, loaded in changes.items():
            if key == ROUTING_KEY:
                routing = loaded
            else:
                maps[_KIND_BY_KEY[key]] = loaded
        frozen = MappingProxyType(maps)
        index = TenantIndex.build(frozen) if rebuild_index else state.index
        new_state = PlacementState(frozen, routing, index, state.generation + 1)
        self._state = new_state  # the one atomic step readers can observe
        for listener in self._listeners:
            listener(new_state)

    # -- views ------------------------------------------------------------------------------------

    def _age(self, loaded: Loaded) -> float | None:
        if loaded.loaded_mono is None:
            return None
        return round(self.clock() - loaded.loaded_mono, 3)

    def map_view(
        self, kind: PlacementKind, state: PlacementState | None = None
    ) -> PlacementMapView:
        state = state or self._state
        loaded = state.maps[kind]
        doc = loaded.value if isinstance(loaded.value, PlacementMap) else None
        return PlacementMapView(
            kind=kind,
            key=MAP_KEYS[kind],
            source=self.source,
            present=doc is not None,
            revision=loaded.revision,
            updated_at=loaded.updated_at,
            age_s=self._age(loaded),
            stale=self.stale,
            stale_for_s=self.stale_for_s(),
            default_shard=doc.default_shard if doc else None,
            shards=dict(doc.shards) if doc else {},
            tenants=doc.tenants if doc else {},
            tenant_count=len(doc.tenants) if doc else 0,
            last_error=loaded.error,
        )

    def routing_view(self, state: PlacementState | None = None) -> RoutingView:
        state = state or self._state
        loaded = state.routing
        config = loaded.value if isinstance(loaded.value, RoutingConfig) else None
        return RoutingView(
            key=ROUTING_KEY,
            source=self.source,
            present=config is not None,
            revision=loaded.revision,
            updated_at=loaded.updated_at,
            age_s=self._age(loaded),
            stale=self.stale,
            stale_for_s=self.stale_for_s(),
            config=config,
            last_error=loaded.error,
        )

    def overview(self) -> PlacementOverview:
        state = self._state
        return PlacementOverview(
            source=self.source,
            stale=self.stale,
            stale_for_s=self.stale_for_s(),
            maps=[self.map_view(k, state) for k in KINDS],
            routing=self.routing_view(state),
        )

    def shard_endpoints(
        self, kind: PlacementKind, shard: str | None, state: PlacementState | None = None
    ) -> list[str]:
        doc = (state or self._state).maps[kind].value
        if shard is None or not isinstance(doc, PlacementMap) or shard not in doc.shards:
            return []
        return list(doc.shards[shard].endpoints)


def _newer_or_equal(current: Loaded, revision: str) -> bool:
    if current.revision is None:
        return False
    try:
        return int(current.revision) >= int(revision)
    except ValueError:
        return current.revision == revision
