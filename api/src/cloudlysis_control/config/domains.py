"""The registry's domains: each one's document type, names, scopes, formats and rules, and the
one validation pipeline every document goes through (parse → secrets → keys given twice →
schema → rules)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from cloudlysis_control.config.documents import Flags, RunnerActivation
from cloudlysis_control.config.model import (
    SCOPE_RE,
    ConfigId,
    DomainName,
    Format,
    as_builtins,
    canonical,
    sha256,
)
from cloudlysis_control.config.parse import convert, parse_text, pointer, secrets
from cloudlysis_control.config.rules import (
    World,
    activation_rules,
    flags_rules,
    no_rules,
    placement_rules,
    routing_rules,
)
from cloudlysis_control.core.checks import Finding
from cloudlysis_control.placement.schemas import KINDS, PlacementMap, RoutingConfig

Rules = Callable[[Any, ConfigId, World], list[Finding]]


@dataclass(frozen=True)
class DomainSpec:
    name: DomainName
    description: str
    model: type[msgspec.Struct] | None  # None: read-only entries, no document type
    names: tuple[str, ...]  # the fixed names (observability: its files, found at run time)
    scopes: Callable[[str], bool]
    scope_hint: str
    formats: tuple[Format, ...]
    read_only: bool
    id_maps: frozenset[str]  # pointers of objects keyed by identifiers (tenants, shards)
    rules: Rules
    reloads: str  # which services reload after a change (documentation)

    @property
    def code(self) -> str:
        return f"config.{self.name}"


def _platform(scope: str) -> bool:
    return scope == "platform"


def _kind(scope: str) -> bool:
    return scope in KINDS


def _platform_or_tenant(scope: str) -> bool:
    return scope == "platform" or (scope.startswith("tenant:") and bool(SCOPE_RE.match(scope)))


DOMAINS: dict[DomainName, DomainSpec] = {
    "routing": DomainSpec(
        name="routing",
        description="The Gateway's routing config: route directory and per-tenant overrides",
        model=RoutingConfig,
        names=("gateway",),
        scopes=_platform,
        scope_hint="platform",
        formats=("json",),
        read_only=False,
        id_maps=frozenset(),
        rules=routing_rules,
        reloads="every Gateway instance",
    ),
    "placement": DomainSpec(
        name="placement",
        description="Placement map per service kind: shard directory, default shard, tenants",
        model=PlacementMap,
        names=("map",),
        scopes=_kind,
        scope_hint="aggregate | projection | runner",
        formats=("json",),
        read_only=False,
        id_maps=frozenset({"/tenants", "/shards"}),
        rules=placement_rules,
        reloads="every Gateway instance and every instance of the kind",
    ),
    "runner.activation": DomainSpec(
        name="runner.activation",
        description="Which runner definitions (effects, sagas) are active, at which version",
        model=RunnerActivation,
        names=("activation",),
        scopes=_platform_or_tenant,
        scope_hint="platform | tenant:<id>",
        formats=("json", "yaml"),
        read_only=False,
        id_maps=frozenset(),
        rules=activation_rules,
        reloads="every Runner instance",
    ),
    "flags": DomainSpec(
        name="flags",
        description="Control-plane feature flags and guardrail thresholds",
        model=Flags,
        names=("control",),
        scopes=_platform,
        scope_hint="platform",
        formats=("json", "yaml"),
        read_only=False,
        id_maps=frozenset(),
        rules=flags_rules,
        reloads="the control plane (read on every plan)",
    ),
    "observability": DomainSpec(
        name="observability",
        description="Provisioning assets of Grafana, vmagent, Loki and Tempo (read-only: "
        "changed through the repository)",
        model=None,
        names=(),
        scopes=_platform,
        scope_hint="platform",
        formats=(),
        read_only=True,
        id_maps=frozenset(),
        rules=no_rules,
        reloads="none (Swarm configs, deployed with the stack)",
    ),
}


@dataclass(frozen=True)
class Validated:
    """A document that passed parse and schema: its typed value, plain data and sha256.
    `findings` also lists the rule findings (errors make `ok` false)."""

    value: Any | None
    data: Any | None
    sha256: str | None
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        return self.value is not None and not any(f.severity == "error" for f in self.findings)


def _duplicates(spec: DomainSpec, duplicates: list[tuple[str, ...]]) -> list[Finding]:
    out = []
    for tokens in duplicates:
        at = pointer(*tokens)
        if spec.name == "placement" and len(tokens) == 2 and tokens[0] == "tenants":
            code, msg = f"{spec.code}.tenant_on_two_shards", f"tenant {tokens[1]} is listed twice"
        else:
            code, msg = f"{spec.code}.duplicate_key", f"{tokens[-1]!r} is given twice"
        out.append(Finding(code=code, pointer=at, message=msg))
    return out


def validate_data(
    spec: DomainSpec,
    cid: ConfigId,
    data: Any,
    world: World,
    duplicates: list[tuple[str, ...]] | None = None,
) -> Validated:
    """Plain data (already parsed) through secrets, keys given twice, schema and rules."""
    assert spec.model is not None
    findings = secrets(data, spec.id_maps, f"{spec.code}.secret_refused")
    findings += _duplicates(spec, duplicates or [])
    value, schema_findings = convert(data, spec.model, f"{spec.code}.schema")
    findings += schema_findings
    if value is None:
        return Validated(None, None, None, findings)
    findings += spec.rules(value, cid, world)
    encoded = canonical(value)
    return Validated(value, as_builtins(value), sha256(encoded), findings)


def validate_text(
    spec: DomainSpec, cid: ConfigId, text: str, fmt: Format, world: World
) -> Validated:
    if fmt not in spec.formats:
        allowed = " or ".join(spec.formats) or "nothing (read-only)"
        finding = Finding(
            code=f"{spec.code}.format_unsupported",
            pointer="",
            message=f"{spec.name} documents are written in {allowed}",
        )
        return Validated(None, None, None, [finding])
    data, findings, duplicates = parse_text(text, fmt, spec.code)
    if findings:
        return Validated(None, None, None, findings)
    return validate_data(spec, cid, data, world, duplicates)
