"""Placement maps, the shard directory and routing config (docs/contracts/placement-and-routing.md).

The stored documents (`PlacementMap`, `RoutingConfig`, `PlacementFile`) are decoded strictly and
then validated as a whole; a value that fails either is never served (the last known good value
stays in place and the failure is reported next to it).
"""

from __future__ import annotations

import re
from typing import Literal

import msgspec

from cloudlysis_control.core.validation import SHARD_RE, TENANT_ID_RE, TENANT_ID_RULE

PlacementKind = Literal["aggregate", "projection", "runner"]
KINDS: tuple[PlacementKind, ...] = ("aggregate", "projection", "runner")
MAP_KEYS: dict[PlacementKind, str] = {k: f"{k}_placement" for k in KINDS}
ROUTING_KEY = "routing"
KEYS: tuple[str, ...] = (*MAP_KEYS.values(), ROUTING_KEY)
MAX_TENANTS_PER_MAP = 200_000

_ALL_TENANT_IDS_RE = re.compile(rf"{TENANT_ID_RULE}(?:\n{TENANT_ID_RULE})*")
ENDPOINT_RE = re.compile(r"^https?://[^\s/?#]+(/[^\s?#]*)?$")


class PlacementInvalid(ValueError):
    """A stored placement or routing document failed to decode or validate."""


class Shard(msgspec.Struct, forbid_unknown_fields=True):
    endpoints: list[str]


class PlacementMap(msgspec.Struct, forbid_unknown_fields=True):
    """One service kind's map: tenant → shard (with a default) plus its shard directory."""

    schema_version: Literal[1]
    kind: PlacementKind
    default_shard: str
    shards: dict[str, Shard]
    tenants: dict[str, str] = {}


class Route(msgspec.Struct, forbid_unknown_fields=True):
    path_prefix: str
    kind: PlacementKind


class RouteOverride(msgspec.Struct, forbid_unknown_fields=True):
    """Route one tenant's `kind` to `shard` whatever its placement map says; `endpoints`, when
    given, narrows the shard's endpoints to these (a subset of the shard directory's)."""

    tenant: str
    kind: PlacementKind
    shard: str
    endpoints: list[str] = []


class RoutingConfig(msgspec.Struct, forbid_unknown_fields=True):
    """The Gateway's routing config: which service kind serves which path prefix, and the
    per-tenant overrides of placement."""

    schema_version: Literal[1]
    routes: list[Route]
    upstream_timeout_ms: int = 5000
    overrides: list[RouteOverride] = []


class PlacementFile(msgspec.Struct, forbid_unknown_fields=True):
    """The dev file source: every map (and optionally routing) in one document."""

    schema_version: Literal[1]
    aggregate_placement: PlacementMap | None = None
    projection_placement: PlacementMap | None = None
    runner_placement: PlacementMap | None = None
    routing: RoutingConfig | None = None


def validate_map(doc: PlacementMap, expected_kind: PlacementKind | None = None) -> PlacementMap:
    if expected_kind is not None and doc.kind != expected_kind:
        raise PlacementInvalid(f"kind is {doc.kind!r}, expected {expected_kind!r}")
    if not doc.shards:
        raise PlacementInvalid("shards must not be empty")
    for name, shard in doc.shards.items():
        if not SHARD_RE.match(name):
            raise PlacementInvalid(f"shard name {name[:80]!r} is invalid")
        if not shard.endpoints:
            raise PlacementInvalid(f"shard {name!r} has no endpoints")
        for url in shard.endpoints:
            if not ENDPOINT_RE.match(url):
                raise PlacementInvalid(f"shard {name!r} has an invalid endpoint {url[:120]!r}")
    if doc.default_shard not in doc.shards:
        raise PlacementInvalid(f"default_shard {doc.default_shard!r} is not in shards")
    if len(doc.tenants) > MAX_TENANTS_PER_MAP:
        raise PlacementInvalid(f"more than {MAX_TENANTS_PER_MAP} tenants")
    unknown = set(doc.tenants.values()).difference(doc.shards)
    if unknown:
        shard_name = min(unknown)
        tenant = next(t for t, s in doc.tenants.items() if s == shard_name)
        raise PlacementInvalid(f"tenant {tenant!r} is placed on unknown shard {shard_name!r}")
    # One regex over all ids at once (newline-joined) instead of one match per tenant.
    joined = "\n".join(doc.tenants)
    if doc.tenants and (
        joined.count("\n") != len(doc.tenants) - 1 or not _ALL_TENANT_IDS_RE.fullmatch(joined)
    ):
        bad = next(t for t in doc.tenants if not TENANT_ID_RE.fullmatch(t))
        raise PlacementInvalid(f"tenant id {bad[:80]!r} is invalid")
    return doc


def validate_routing(doc: RoutingConfig) -> RoutingConfig:
    if doc.upstream_timeout_ms < 1 or doc.upstream_timeout_ms > 600_000:
        raise PlacementInvalid("upstream_timeout_ms must be between 1 and 600000")
    seen: set[str] = set()
    for route in doc.routes:
        if not route.path_prefix.startswith("/"):
            raise PlacementInvalid(f"path_prefix {route.path_prefix[:80]!r} must start with /")
        if route.path_prefix in seen:
            raise PlacementInvalid(f"path_prefix {route.path_prefix[:80]!r} is listed twice")
        seen.add(route.path_prefix)
    routed: set[tuple[str, str]] = set()
    for o in doc.overrides:
        if not TENANT_ID_RE.match(o.tenant):
            raise PlacementInvalid(f"override tenant {o.tenant[:80]!r} is invalid")
        if not SHARD_RE.match(o.shard):
            raise PlacementInvalid(f"override shard {o.shard[:80]!r} is invalid")
        if (o.tenant, o.kind) in routed:
            raise PlacementInvalid(f"tenant {o.tenant!r} ({o.kind}) is overridden twice")
        routed.add((o.tenant, o.kind))
        for url in o.endpoints:
            if not ENDPOINT_RE.match(url):
                raise PlacementInvalid(f"override endpoint {url[:120]!r} is invalid")
    return doc


def _decode(raw: bytes, model: type[msgspec.Struct]) -> msgspec.Struct:
    try:
        return msgspec.json.decode(raw, type=model)
    except (msgspec.DecodeError, msgspec.ValidationError) as e:
        raise PlacementInvalid(str(e)[:300]) from e


def decode_map(raw: bytes, kind: PlacementKind) -> PlacementMap:
    doc = _decode(raw, PlacementMap)
    assert isinstance(doc, PlacementMap)
    return validate_map(doc, kind)


def decode_routing(raw: bytes) -> RoutingConfig:
    doc = _decode(raw, RoutingConfig)
    assert isinstance(doc, RoutingConfig)
    return validate_routing(doc)


def decode_file(raw: bytes) -> PlacementFile:
    doc = _decode(raw, PlacementFile)
    assert isinstance(doc, PlacementFile)
    for kind in KINDS:
        m = getattr(doc, MAP_KEYS[kind])
        if m is not None:
            try:
                validate_map(m, kind)
            except PlacementInvalid as e:
                raise PlacementInvalid(f"{MAP_KEYS[kind]}: {e}") from e
    if doc.routing is not None:
        try:
            validate_routing(doc.routing)
        except PlacementInvalid as e:
            raise PlacementInvalid(f"routing: {e}") from e
    return doc


# -- API views -----------------------------------------------------------------------------------


class SourceError(msgspec.Struct):
    """Why the newest value was refused; the last known good value is still served."""

    revision: str | None
    detail: str
    at: str


class PlacementMapView(msgspec.Struct):
    kind: PlacementKind
    key: str
    source: Literal["nats", "file"]
    present: bool
    revision: str | None
    updated_at: str | None
    age_s: float | None
    stale: bool
    stale_for_s: float | None
    default_shard: str | None
    shards: dict[str, Shard]
    tenants: dict[str, str]
    tenant_count: int
    last_error: SourceError | None = None


class RoutingView(msgspec.Struct):
    key: str
    source: Literal["nats", "file"]
    present: bool
    revision: str | None
    updated_at: str | None
    age_s: float | None
    stale: bool
    stale_for_s: float | None
    config: RoutingConfig | None
    last_error: SourceError | None = None


class PlacementOverview(msgspec.Struct):
    source: Literal["nats", "file"]
    stale: bool
    stale_for_s: float | None
    maps: list[PlacementMapView]
    routing: RoutingView
