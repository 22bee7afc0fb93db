"""Runner definitions (effects, sagas): what each Runner has loaded (its documents are large
immutable artifacts, read-only here) and which are active where (the `runner.activation`
configs). Activation changes go through the config registry like any other change."""

from __future__ import annotations

from typing import Any

import msgspec

from cloudlysis_control.config.documents import RunnerActivation
from cloudlysis_control.config.model import ConfigId
from cloudlysis_control.config.store import ConfigStore
from cloudlysis_control.config.world import WorldView
from cloudlysis_control.core.errors import ControlError, NotFound


class DefinitionView(msgspec.Struct, kw_only=True):
    type: str
    name: str
    version: int
    sha256: str
    description: str
    runners: list[str]  # the Runner instances that have it
    missing_on: list[str]  # answering Runners that do not
    sha256_mismatch: bool  # two Runners hold different documents under this version
    active_in: list[str]  # the scopes whose activation names this version


class RunnerView(msgspec.Struct, kw_only=True):
    instance: str
    reachable: bool
    activation: dict[str, str | None]  # scope → the activation revision it runs


class ActivationView(msgspec.Struct, kw_only=True):
    scope: str
    revision: str | None


class DefinitionsOverview(msgspec.Struct, kw_only=True):
    definitions: list[DefinitionView]
    runners: list[RunnerView]
    activations: list[ActivationView]


class DefinitionsService:
    def __init__(self, world: WorldView, store: ConfigStore) -> None:
        self.world = world
        self.store = store

    async def _activations(self) -> dict[str, tuple[str | None, RunnerActivation | None]]:
        out: dict[str, tuple[str | None, RunnerActivation | None]] = {}
        for scope in sorted(set(await self.store.activation_scopes()) | {"platform"}):
            stored = await self.store.read(ConfigId("runner.activation", "activation", scope))
            doc = None
            if stored.raw is not None:
                try:
                    doc = msgspec.json.decode(stored.raw, type=RunnerActivation)
                except (msgspec.DecodeError, msgspec.ValidationError):
                    doc = None
            out[scope] = (stored.revision, doc)
        return out

    async def overview(self) -> DefinitionsOverview:
        runners = [i for i in self.world.instances() if i.kind == "runner"]
        reports = dict(await self.world.runner_reports())
        activations = await self._activations()
        found: dict[tuple[str, str, int], dict[str, Any]] = {}
        for instance, report in sorted(reports.items()):
            for d in report.definitions:
                entry = found.setdefault(
                    (d.type, d.name, d.version),
                    {
                        "sha": d.sha256,
                        "description": d.description,
                        "runners": [],
                        "mismatch": False,
                    },
                )
                entry["runners"].append(instance)
                entry["mismatch"] = entry["mismatch"] or entry["sha"] != d.sha256
        views = []
        for (type_, name, version), e in sorted(found.items()):
            active = [
                scope
                for scope, (_, doc) in activations.items()
                if doc is not None
                and any(
                    a.type == type_ and a.name == name and a.version == version
                    for a in doc.activations
                )
            ]
            views.append(
                DefinitionView(
                    type=type_,
                    name=name,
                    version=version,
                    sha256=e["sha"],
                    description=e["description"],
                    runners=e["runners"],
                    missing_on=sorted(set(reports) - set(e["runners"])),
                    sha256_mismatch=e["mismatch"],
                    active_in=active,
                )
            )
        return DefinitionsOverview(
            definitions=views,
            runners=[
                RunnerView(
                    instance=r.name,
                    reachable=r.name in reports,
                    activation=dict(reports[r.name].activation) if r.name in reports else {},
                )
                for r in runners
            ],
            activations=[
                ActivationView(scope=s, revision=rev) for s, (rev, _) in activations.items()
            ],
        )

    async def document(self, type_: str, name: str, version: int) -> dict[str, Any]:
        for instance in self.world.instances():
            if instance.kind != "runner":
                continue
            try:
                return await self.world.agents.definition(instance.url, type_, name, version)
            except ControlError:
                continue
        raise NotFound(f"no Runner has {type_} {name} version {version}")
