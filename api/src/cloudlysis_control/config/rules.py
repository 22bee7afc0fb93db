"""Semantic validation of each domain: what the schema cannot say, against the live world.
Every finding carries a stable code `config.<domain>.<rule>` (the table in
docs/config-surfaces.md) and a JSON pointer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cloudlysis_control.config.documents import Flags, RunnerActivation, duration_s
from cloudlysis_control.config.model import ConfigId
from cloudlysis_control.config.parse import pointer
from cloudlysis_control.core.checks import Finding
from cloudlysis_control.core.validation import SHARD_RE, TENANT_ID_RE
from cloudlysis_control.placement.schemas import (
    ENDPOINT_RE,
    MAX_TENANTS_PER_MAP,
    PlacementKind,
    PlacementMap,
    RoutingConfig,
)

DefinitionKey = tuple[str, str]  # (type, name)


def normalise_url(url: str) -> str:
    return url.rstrip("/").lower()


@dataclass(frozen=True)
class World:
    """What validation checks a document against: placement, the fleet, runner definitions."""

    placement: Mapping[PlacementKind, PlacementMap | None] = field(default_factory=dict)
    instance_urls: frozenset[str] = frozenset()  # normalised (normalise_url)
    # (type, name) → versions every answering runner has; None: no runner answered.
    definitions: Mapping[DefinitionKey, frozenset[int]] | None = None


def _f(code: str, at: str, message: str, severity: str = "error") -> Finding:
    return Finding(code=code, pointer=at, message=message, severity=severity)  # type: ignore[arg-type]


def routing_rules(doc: RoutingConfig, cid: ConfigId, world: World) -> list[Finding]:
    c = "config.routing"
    out: list[Finding] = []
    if not doc.routes:
        out.append(_f(f"{c}.empty_directory", "/routes", "the route directory is empty"))
    seen: set[str] = set()
    for i, route in enumerate(doc.routes):
        at = pointer("routes", i, "path_prefix")
        if not route.path_prefix.startswith("/"):
            out.append(_f(f"{c}.path_prefix_invalid", at, "path_prefix must start with /"))
        if route.path_prefix in seen:
            out.append(_f(f"{c}.path_prefix_twice", at, f"{route.path_prefix!r} is listed twice"))
        seen.add(route.path_prefix)
        if world.placement.get(route.kind) is None:
            out.append(
                _f(
                    f"{c}.no_placement",
                    pointer("routes", i, "kind"),
                    f"there is no {route.kind} placement map to route with",
                    "warning",
                )
            )
    if not 1 <= doc.upstream_timeout_ms <= 600_000:
        out.append(_f(f"{c}.timeout_out_of_range", "/upstream_timeout_ms", "must be 1..600000 ms"))
    routed: dict[tuple[str, str], int] = {}
    fine: set[tuple[str, str]] = set()  # (kind, shard) targets already found valid
    for i, o in enumerate(doc.overrides):
        if not TENANT_ID_RE.match(o.tenant):
            out.append(_f(f"{c}.tenant_id_invalid", pointer("overrides", i, "tenant"), "invalid"))
        first = routed.setdefault((o.tenant, o.kind), i)
        if first != i:
            out.append(
                _f(
                    f"{c}.tenant_routed_twice",
                    pointer("overrides", i),
                    f"{o.tenant} ({o.kind}) is already routed by /overrides/{first}",
                )
            )
        if o.endpoints or (o.kind, o.shard) not in fine:
            found = _override_target(c, i, o.kind, o.shard, o.endpoints, world)
            out += found
            if not found and not o.endpoints:
                fine.add((o.kind, o.shard))
    return out


def _override_target(
    c: str, i: int, kind: PlacementKind, shard: str, endpoints: list[str], world: World
) -> list[Finding]:
    out: list[Finding] = []
    doc = world.placement.get(kind)
    if doc is None:
        return [_f(f"{c}.no_placement", pointer("overrides", i, "kind"), f"no {kind} placement")]
    if shard not in doc.shards:
        out.append(
            _f(
                f"{c}.unknown_shard",
                pointer("overrides", i, "shard"),
                f"shard {shard[:80]!r} is not in the {kind} placement map",
            )
        )
    known = (
        {normalise_url(u) for u in doc.shards[shard].endpoints} if shard in doc.shards else set()
    )
    for j, url in enumerate(endpoints):
        at = pointer("overrides", i, "endpoints", j)
        if not ENDPOINT_RE.match(url):
            out.append(_f(f"{c}.endpoint_invalid", at, f"{url[:120]!r} is not an http(s) URL"))
        elif known and normalise_url(url) not in known:
            out.append(
                _f(f"{c}.endpoint_not_in_shard", at, f"{url[:120]!r} is not one of {shard}'s")
            )
    return out


def placement_rules(doc: PlacementMap, cid: ConfigId, world: World) -> list[Finding]:
    c = "config.placement"
    out: list[Finding] = []
    if doc.kind != cid.scope:
        out.append(_f(f"{c}.kind_mismatch", "/kind", f"kind is {doc.kind}, scope {cid.scope}"))
    if not doc.shards:
        out.append(_f(f"{c}.empty_targets", "/shards", "the shard directory is empty"))
    owner: dict[str, str] = {}
    for name, shard in doc.shards.items():
        at = pointer("shards", name)
        if not SHARD_RE.match(name):
            out.append(_f(f"{c}.shard_name_invalid", at, f"{name[:80]!r} is not a shard name"))
        if not shard.endpoints:
            out.append(_f(f"{c}.empty_targets", f"{at}/endpoints", f"{name} has no endpoints"))
        for j, url in enumerate(shard.endpoints):
            eat = f"{at}/endpoints/{j}"
            norm = normalise_url(url)
            if not ENDPOINT_RE.match(url):
                out.append(_f(f"{c}.endpoint_invalid", eat, f"{url[:120]!r} is not a URL"))
            elif norm not in world.instance_urls:
                out.append(
                    _f(
                        f"{c}.unknown_instance",
                        eat,
                        f"no fleet instance answers at {url[:120]} (CONTROL_FLEET_FILE or "
                        "Swarm discovery)",
                    )
                )
            if owner.setdefault(norm, name) != name:
                out.append(
                    _f(
                        f"{c}.endpoint_in_two_shards",
                        eat,
                        f"{url[:120]} is already an endpoint of {owner[norm]}",
                    )
                )
    if doc.default_shard not in doc.shards:
        out.append(
            _f(f"{c}.default_shard_unknown", "/default_shard", f"{doc.default_shard!r} unknown")
        )
    if len(doc.tenants) > MAX_TENANTS_PER_MAP:
        out.append(_f(f"{c}.too_many_tenants", "/tenants", f"over {MAX_TENANTS_PER_MAP}"))
    for tenant, placed in doc.tenants.items():
        at = pointer("tenants", tenant)
        if not TENANT_ID_RE.match(tenant):
            out.append(_f(f"{c}.tenant_id_invalid", at, f"{tenant[:80]!r} is not a tenant id"))
        if placed not in doc.shards:
            out.append(_f(f"{c}.unknown_shard", at, f"shard {placed[:80]!r} is not in shards"))
    return out


def activation_rules(doc: RunnerActivation, cid: ConfigId, world: World) -> list[Finding]:
    c = "config.runner.activation"
    out: list[Finding] = []
    seen: dict[tuple[str, str], int] = {}
    for i, a in enumerate(doc.activations):
        first = seen.setdefault((a.type, a.name), i)
        if first != i:
            out.append(
                _f(
                    f"{c}.duplicate",
                    pointer("activations", i),
                    f"{a.type} {a.name} is already activated by /activations/{first}",
                )
            )
    if world.definitions is None:
        if doc.activations:
            out.append(
                _f(
                    f"{c}.definitions_unavailable",
                    "/activations",
                    "no runner answered with its definitions: activation cannot be checked",
                )
            )
        return out
    for i, a in enumerate(doc.activations):
        versions = world.definitions.get((a.type, a.name))
        if versions is None:
            out.append(
                _f(f"{c}.unknown_definition", pointer("activations", i), f"no {a.type} {a.name}")
            )
        elif a.version not in versions:
            have = ", ".join(str(v) for v in sorted(versions)) or "none"
            out.append(
                _f(
                    f"{c}.unknown_definition",
                    pointer("activations", i, "version"),
                    f"{a.type} {a.name} has no version {a.version} (the runners have {have})",
                )
            )
    return out


def flags_rules(doc: Flags, cid: ConfigId, world: World) -> list[Finding]:
    seconds = duration_s(doc.verify_timeout)
    if not 0.1 <= seconds <= 600:
        return [_f("config.flags.duration_out_of_range", "/verify_timeout", "must be 100ms..10m")]
    return []


def no_rules(doc: Any, cid: ConfigId, world: World) -> list[Finding]:
    return []
