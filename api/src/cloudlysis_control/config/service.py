"""The config registry: list, read, history, validate and plan (no side effects). Changes are
the `config.apply` / `config.rollback` jobs (`jobs.py`), which plan again through this service."""

from __future__ import annotations

import re
from typing import Any

import msgspec

from cloudlysis_control.config.assets import AssetCatalog
from cloudlysis_control.config.domains import (
    DOMAINS,
    DomainSpec,
    Validated,
    validate_data,
    validate_text,
)
from cloudlysis_control.config.history import ConfigHistory
from cloudlysis_control.config.model import (
    CONFIG_NAME_PATTERN,
    ConfigId,
    DomainName,
    Format,
    as_builtins,
    canonical,
    pretty,
    sha256,
)
from cloudlysis_control.config.plan import PlanInputs, make_plan
from cloudlysis_control.config.rules import normalise_url
from cloudlysis_control.config.schemas import (
    ConfigDetail,
    ConfigPage,
    ConfigPlan,
    ConfigRevisionView,
    ConfigSummary,
    DomainInfo,
    DomainList,
    HistoryPage,
    ValidationReport,
)
from cloudlysis_control.config.store import ConfigStore, Stored
from cloudlysis_control.config.world import WorldView
from cloudlysis_control.core.checks import CheckResult
from cloudlysis_control.core.errors import ConfigInvalid, NotFound, PlanStale
from cloudlysis_control.core.pagination import decode_cursor, encode_cursor
from cloudlysis_control.placement.schemas import KINDS

_NAME_RE = re.compile(CONFIG_NAME_PATTERN)


class ConfigService:
    def __init__(
        self,
        store: ConfigStore,
        history: ConfigHistory,
        world: WorldView,
        assets: AssetCatalog,
    ) -> None:
        self.store = store
        self.history = history
        self.world = world
        self.assets = assets

    # -- identity -----------------------------------------------------------------------------

    def config_id(self, domain: DomainName, name: str, scope: str) -> tuple[DomainSpec, ConfigId]:
        spec = DOMAINS.get(domain)
        if spec is None:
            raise NotFound(f"no config domain {domain[:60]!r}")
        if domain == "observability":
            if self.assets.get(name) is None:
                raise NotFound(f"no observability asset {name[:120]!r}")
        elif name not in spec.names:
            raise NotFound(f"{domain} has the configs {', '.join(spec.names)}")
        if not spec.scopes(scope):
            raise NotFound(f"{domain}/{name} has the scopes {spec.scope_hint}")
        return spec, ConfigId(domain, name, scope)

    async def ids(self) -> list[ConfigId]:
        out = [ConfigId("routing", "gateway", "platform")]
        out += [ConfigId("placement", "map", k) for k in KINDS]
        out.append(ConfigId("flags", "control", "platform"))
        scopes = set(await self.store.activation_scopes()) | {"platform"}
        out += [ConfigId("runner.activation", "activation", s) for s in sorted(scopes)]
        out += [
            ConfigId("observability", a.name, "platform")
            for a in self.assets.list()
            if _NAME_RE.match(a.name)
        ]
        return sorted(out)

    # -- reading ------------------------------------------------------------------------------

    async def read(self, cid: ConfigId) -> tuple[Stored, str | None]:
        """The stored value and its sha256 (of the canonical encoding)."""
        if cid.domain == "observability":
            asset = self.assets.get(cid.name)
            if asset is None:
                raise NotFound(str(cid))
            raw = canonical({"path": asset.path, "sha256": asset.sha256, "size": asset.size})
            return Stored(asset.sha256[:16], raw), sha256(raw)
        stored = await self.store.read(cid)
        if stored.raw is None:
            return stored, None
        spec = DOMAINS[cid.domain]
        assert spec.model is not None
        try:
            value = msgspec.json.decode(stored.raw, type=spec.model)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return stored, sha256(stored.raw)
        return Stored(stored.revision, canonical(value)), sha256(canonical(value))

    def _summary(self, cid: ConfigId, stored: Stored, digest: str | None) -> ConfigSummary:
        rec = self.history.at(cid, stored.revision) if stored.revision else None
        return ConfigSummary(
            domain=cid.domain,
            name=cid.name,
            scope=cid.scope,
            present=stored.raw is not None,
            revision=stored.revision,
            sha256=digest,
            updated_at=rec.at if rec and rec.op != "baseline" else None,
            updated_by=rec.actor if rec else None,
            job_id=rec.job_id if rec else None,
            reason=rec.reason if rec else None,
            source=self.store.source(cid),
            read_only=DOMAINS[cid.domain].read_only,
        )

    async def page(
        self, domain: DomainName | None, scope: str | None, cursor: str | None, limit: int
    ) -> ConfigPage:
        after = decode_cursor(cursor)
        ids = [
            c
            for c in await self.ids()
            if (domain is None or c.domain == domain) and (scope is None or c.scope == scope)
        ]
        if after is not None:
            ids = [c for c in ids if f"{c.domain}|{c.name}|{c.scope}" > after]
        chosen = ids[:limit]
        items = [self._summary(c, *(await self.read(c))) for c in chosen]
        last = chosen[-1] if chosen else None
        more = len(ids) > limit and last is not None
        return ConfigPage(
            items=items,
            next_cursor=encode_cursor(f"{last.domain}|{last.name}|{last.scope}")
            if more and last
            else None,
        )

    async def detail(self, cid: ConfigId) -> ConfigDetail:
        stored, digest = await self.read(cid)
        value = msgspec.json.decode(stored.raw) if stored.raw is not None else None
        summary = self._summary(cid, stored, digest)
        asset = self.assets.get(cid.name) if cid.domain == "observability" else None
        return ConfigDetail(
            **msgspec.structs.asdict(summary),
            value=value,
            document=pretty(value) if value is not None else "",
            formats=list(DOMAINS[cid.domain].formats),
            path=asset.path if asset else None,
        )

    def history_page(self, cid: ConfigId, cursor: str | None, limit: int) -> HistoryPage:
        raw = decode_cursor(cursor)
        before = int(raw) if raw is not None and raw.isdigit() else None
        records = [(s, r) for s, r in self.history.records(cid) if before is None or s < before]
        chosen = records[:limit]
        more = len(records) > limit and bool(chosen)
        return HistoryPage(
            items=[r.entry() for _, r in chosen],
            next_cursor=encode_cursor(str(chosen[-1][0])) if more else None,
        )

    async def revision(self, cid: ConfigId, revision: str) -> ConfigRevisionView:
        data, digest, entry = await self.value_at(cid, revision)
        return ConfigRevisionView(
            domain=cid.domain,
            name=cid.name,
            scope=cid.scope,
            revision=revision,
            sha256=digest,
            value=data,
            document=pretty(data),
            entry=entry.entry() if entry else None,
        )

    async def value_at(self, cid: ConfigId, revision: str) -> tuple[Any, str, Any]:
        rec = self.history.at(cid, revision)
        if rec is not None:
            raw = rec.canonical_value()
            return msgspec.json.decode(raw), rec.sha256, rec
        stored, digest = await self.read(cid)
        if stored.revision == revision and stored.raw is not None and digest is not None:
            return msgspec.json.decode(stored.raw), digest, None
        raise NotFound(f"{cid} has no revision {revision} in its history")

    # -- validating and planning ----------------------------------------------------------------

    async def validate(self, cid: ConfigId, text: str, fmt: Format) -> Validated:
        spec = DOMAINS[cid.domain]
        self.store.writable(cid)
        return validate_text(spec, cid, text, fmt, await self.world.world(cid))

    async def report(self, cid: ConfigId, text: str, fmt: Format) -> ValidationReport:
        checked = await self.validate(cid, text, fmt)
        if not checked.ok:
            raise ConfigInvalid(_first(checked), findings=checked.findings)
        return ValidationReport(ok=True, sha256=checked.sha256, findings=checked.findings)

    async def validate_value(self, cid: ConfigId, data: Any) -> Validated:
        return validate_data(DOMAINS[cid.domain], cid, data, await self.world.world(cid))

    async def plan(
        self, cid: ConfigId, base_revision: str | None, text: str, fmt: Format
    ) -> ConfigPlan:
        checked = await self.validate(cid, text, fmt)
        if not checked.ok:
            raise ConfigInvalid(_first(checked), findings=checked.findings)
        return await self.plan_value(cid, base_revision, checked)

    async def plan_rollback(
        self, cid: ConfigId, base_revision: str | None, target: str
    ) -> ConfigPlan:
        self.store.writable(cid)
        data, _, _ = await self.value_at(cid, target)
        checked = await self.validate_value(cid, data)
        if not checked.ok:
            raise ConfigInvalid(
                f"revision {target} would not be accepted now: {_first(checked)}",
                findings=checked.findings,
            )
        return await self.plan_value(cid, base_revision, checked, target)

    async def plan_value(
        self,
        cid: ConfigId,
        base_revision: str | None,
        checked: Validated,
        target: str | None = None,
    ) -> ConfigPlan:
        stored, base_sha = await self.read(cid)
        if stored.revision != base_revision:
            raise stale_base(cid, stored.revision, base_revision)
        spec = DOMAINS[cid.domain]
        assert spec.model is not None
        base_value = base_data = None
        if stored.raw is not None:
            try:
                base_value = msgspec.json.decode(stored.raw, type=spec.model)
                base_data = as_builtins(base_value)
            except (msgspec.DecodeError, msgspec.ValidationError):
                base_data = msgspec.json.decode(stored.raw)
        health = await self.world.health()
        return make_plan(
            PlanInputs(
                cid=cid,
                base_revision=stored.revision,
                base_sha256=base_sha,
                base_value=base_value,
                base_data=base_data,
                proposed_value=checked.value,
                proposed_data=checked.data,
                proposed_sha256=checked.sha256 or "",
                flags=await self.world.flags(),
                placement=self.world.maps(),
                routing=self.world.routing(),
                tenants=self.world.tenants(),
                fleet=self.world.instances(),
                healthy=lambda url: health.get(normalise_url(url)),
                findings=checked.findings,
                target_revision=target,
            )
        )

    def domains(self) -> DomainList:
        items = []
        for spec in DOMAINS.values():
            schema = msgspec.json.schema(spec.model) if spec.model is not None else None
            items.append(
                DomainInfo(
                    domain=spec.name,
                    description=spec.description,
                    names=list(spec.names) or [a.name for a in self.assets.list()],
                    scopes=spec.scope_hint,
                    formats=list(spec.formats),
                    read_only=spec.read_only,
                    reloads=spec.reloads,
                    json_schema=schema,
                )
            )
        return DomainList(items=items)


def _first(checked: Validated) -> str:
    errors = [f for f in checked.findings if f.severity == "error"]
    head = errors[0] if errors else None
    if head is None:
        return "invalid"
    where = head.pointer or "the document"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{head.code} at {where}: {head.message}{more}"


def stale_base(cid: ConfigId, current: str | None, base: str | None) -> PlanStale:
    """409 plan_stale: the config is not at the revision the plan (or the editor) started from."""
    return PlanStale(
        f"{cid} is at revision {current or 'none (absent)'}, not {base or 'none'}: reload it "
        "and plan again",
        current_revision=current,
        failures=[
            CheckResult(
                check="base_revision",
                ok=False,
                value=current,
                threshold=base,
                detail="the config moved since the plan was made",
            )
        ],
    )
