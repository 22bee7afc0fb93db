"""What a change touches: which tenants' routing resolution moves (from where to where), which
services reload, and the tenants a verification resolves afterwards. Pure functions of the
values, so a plan is deterministic."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from cloudlysis_control.config.model import ConfigId, scope_tenant
from cloudlysis_control.config.schemas import RouteChange, ServiceImpact, VerifySample
from cloudlysis_control.placement.schemas import KINDS, PlacementKind, PlacementMap, RoutingConfig

MAX_CHANGES = 1000
SourceKind = Literal["override", "placement", "none"]
Resolution = tuple[str | None, SourceKind, tuple[str, ...]]  # shard, where from, endpoints


@dataclass(frozen=True)
class Instance:
    name: str
    kind: str
    url: str


@dataclass(frozen=True)
class Change:
    tenants_total: int
    changes: list[RouteChange]  # sorted (tenant, kind)
    unchanged: Sequence[tuple[str, PlacementKind]]  # every other (tenant, kind) pair, sorted
    resolve: Mapping[tuple[str, PlacementKind], Resolution]  # after the change
    before: Mapping[tuple[str, PlacementKind], Resolution]  # before it
    summary: str

    @property
    def tenants_changed(self) -> int:
        return len({c.tenant for c in self.changes})


def _overrides(doc: RoutingConfig | None) -> dict[tuple[str, PlacementKind], Any]:
    return {(o.tenant, o.kind): o for o in doc.overrides} if doc is not None else {}


def _placed(doc: PlacementMap | None, tenant: str) -> str | None:
    if doc is None:
        return None
    return doc.tenants.get(tenant, doc.default_shard)


def _resolve(
    tenant: str,
    kind: PlacementKind,
    overrides: Mapping[tuple[str, PlacementKind], Any],
    placement: Mapping[PlacementKind, PlacementMap | None],
) -> Resolution:
    o = overrides.get((tenant, kind))
    if o is not None:
        return o.shard, "override", tuple(o.endpoints)
    shard = _placed(placement.get(kind), tenant)
    return shard, ("placement" if shard is not None else "none"), ()


def routing_change(
    base: RoutingConfig | None,
    proposed: RoutingConfig,
    placement: Mapping[PlacementKind, PlacementMap | None],
    tenants: Iterable[str],
) -> Change:
    before, after = _overrides(base), _overrides(proposed)
    everyone = set(tenants)
    everyone.update(t for t, _ in before)
    everyone.update(t for t, _ in after)
    resolved: dict[tuple[str, PlacementKind], Resolution] = {}
    changes = []
    for key in sorted(
        before.keys() ^ after.keys()
        | {k for k in before.keys() & after.keys() if before[k] != after[k]}
    ):
        old = _resolve(*key, before, placement)
        new = _resolve(*key, after, placement)
        resolved[key] = new
        if old != new:
            changes.append(_route_change(key[0], key[1], old, new))
    moved: set[tuple[str, PlacementKind]] = {(c.tenant, c.kind) for c in changes}  # type: ignore[misc]
    routes = (
        "" if base is not None and base.routes == proposed.routes else "; route directory changes"
    )
    return Change(
        len(everyone),
        changes,
        _Unchanged(sorted(everyone), moved),
        _Lazy(resolved, after, placement),
        _Lazy({}, before, placement),
        f"{len({c.tenant for c in changes})} of {len(everyone)} tenants change route{routes}",
    )


class _Unchanged(Sequence[tuple[str, PlacementKind]]):
    """Every (tenant, kind) pair whose route does not change, without building the list: a
    sample only ever indexes a few of them."""

    def __init__(self, tenants: list[str], moved: set[tuple[str, PlacementKind]]) -> None:
        pairs = [(t, k) for t in tenants for k in KINDS] if len(tenants) * 3 <= 3000 else None
        self._pairs = [p for p in pairs if p not in moved] if pairs is not None else None
        self._tenants, self._moved = tenants, moved

    def __len__(self) -> int:
        if self._pairs is not None:
            return len(self._pairs)
        return len(self._tenants) * len(KINDS) - len(self._moved)

    def __getitem__(self, index: Any) -> Any:
        if self._pairs is not None:
            return self._pairs[index]
        # Large: index the full grid and step past moved pairs (a handful at most per index).
        i = index if index >= 0 else len(self) + index
        skipped = 0
        while True:
            t, k = divmod(i + skipped, len(KINDS))
            pair = (self._tenants[t], KINDS[k])
            if pair not in self._moved:
                return pair
            skipped += 1


def placement_change(
    kind: PlacementKind,
    base: PlacementMap | None,
    proposed: PlacementMap,
    routing: RoutingConfig | None,
    tenants: Iterable[str],
) -> Change:
    overrides = _overrides(routing)
    everyone = set(tenants) | set(proposed.tenants) | (set(base.tenants) if base else set())
    changes, unchanged = [], []
    for tenant in sorted(everyone):
        if (tenant, kind) in overrides:
            unchanged.append((tenant, kind))  # an override routes it, whatever placement says
            continue
        old, new = _placed(base, tenant), _placed(proposed, tenant)
        if old != new:
            changes.append(
                RouteChange(
                    tenant=tenant,
                    kind=kind,
                    from_shard=old,
                    to_shard=new,
                    from_source="placement" if old else "none",
                    to_source="placement",
                )
            )
        else:
            unchanged.append((tenant, kind))
    return Change(
        len(everyone),
        changes,
        unchanged,
        _Lazy({}, overrides, {kind: proposed}),
        _Lazy({}, overrides, {kind: base}),
        f"{len(changes)} of {len(everyone)} tenants move ({kind})",
    )


class _Lazy(Mapping[tuple[str, PlacementKind], Resolution]):
    """Resolution after the change, computed on demand (only samples are ever looked up)."""

    def __init__(
        self,
        known: dict[tuple[str, PlacementKind], Resolution],
        overrides: Mapping[tuple[str, PlacementKind], Any],
        placement: Mapping[PlacementKind, PlacementMap | None],
    ) -> None:
        self.known, self.overrides, self.placement = known, overrides, placement

    def __getitem__(self, key: tuple[str, PlacementKind]) -> Resolution:
        found = self.known.get(key)
        return found if found is not None else _resolve(*key, self.overrides, self.placement)

    def __iter__(self) -> Any:
        return iter(self.known)

    def __len__(self) -> int:
        return len(self.known)


def _route_change(tenant: str, kind: str, old: Resolution, new: Resolution) -> RouteChange:
    return RouteChange(
        tenant=tenant,
        kind=kind,
        from_shard=old[0],
        to_shard=new[0],
        from_source=old[1],
        to_source=new[1],
    )


def no_change(summary: str, total: int = 0) -> Change:
    return Change(total, [], [], {}, {}, summary)


def activation_change(cid: ConfigId, tenants_total: int) -> Change:
    tenant = scope_tenant(cid.scope)
    who = f"tenant {tenant}" if tenant else f"all {tenants_total} tenants"
    return no_change(f"runners change the definitions they run for {who}", tenants_total)


def affected(cid: ConfigId, fleet: Sequence[Instance]) -> list[ServiceImpact]:
    if cid.domain == "routing":
        kinds = {"gateway"}
    elif cid.domain == "placement":
        kinds = {"gateway", cid.scope}
    elif cid.domain == "runner.activation":
        kinds = {"runner"}
    else:
        kinds = set()
    return [
        ServiceImpact(instance=i.name, kind=i.kind, url=i.url)
        for i in sorted(fleet, key=lambda i: i.name)
        if i.kind in kinds
    ]


def verification(
    change: Change, plan_hash: str, changed_n: int, unchanged_n: int
) -> list[VerifySample]:
    """A deterministic sample (seeded by the plan hash) of changed and unchanged tenants."""
    rng = random.Random(int(plan_hash[:16], 16))  # noqa: S311 - a sample, not a secret
    changed = [(c.tenant, c.kind) for c in change.changes]
    picked = sorted(rng.sample(changed, min(changed_n, len(changed))))
    others = sorted(set(rng.sample(change.unchanged, min(unchanged_n, len(change.unchanged)))))
    out = []
    for group, is_changed in ((picked, True), (others, False)):
        for tenant, kind in group:
            key = (tenant, kind)
            shard, _, endpoints = change.resolve[key]  # type: ignore[index]
            old_shard, _, old_endpoints = change.before[key]  # type: ignore[index]
            out.append(
                VerifySample(
                    tenant=tenant,
                    kind=kind,
                    changed=is_changed,
                    shard=shard,
                    endpoints=list(endpoints),
                    before_shard=old_shard,
                    before_endpoints=list(old_endpoints),
                )
            )
    return out
