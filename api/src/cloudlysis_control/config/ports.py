"""What the registry needs from the platform services (docs/contracts/service-admin.md §6):
reload, the revisions an instance serves, the Gateway's resolution, the runners' definitions.
`adapters.config_agents` implements it over HTTP; unit tests use a fake."""

from __future__ import annotations

from typing import Any, Protocol

import msgspec


class AgentState(msgspec.Struct, kw_only=True):
    """`GET /admin/v1/instance` (unknown fields ignored): the config an instance serves."""

    config_generation: int = 0
    # config → revision it serves: a kind's placement ("aggregate"), "routing",
    # "activation:<scope>" (runners).
    revisions: dict[str, str | None] = {}


class AgentResolution(msgspec.Struct, kw_only=True):
    """`GET /admin/routing/resolve?tenant=&kind=` of a Gateway (unknown fields ignored)."""

    tenant: str
    kind: str
    shard: str | None
    endpoints: list[str] = []
    revision: str | None = None
    routing_revision: str | None = None
    config_generation: int = 0


class DefinitionInfo(msgspec.Struct, kw_only=True, frozen=True):
    type: str
    name: str
    version: int
    sha256: str
    description: str = ""


class RunnerDefinitions(msgspec.Struct, kw_only=True):
    """`GET /admin/v1/definitions` of a Runner."""

    definitions: list[DefinitionInfo] = []
    activation: dict[str, str | None] = {}  # scope → the activation revision it runs


class ConfigAgents(Protocol):
    async def reload(self, url: str) -> AgentState: ...
    async def state(self, url: str) -> AgentState: ...
    async def resolve(self, url: str, tenant: str, kind: str) -> AgentResolution: ...
    async def definitions(self, url: str) -> RunnerDefinitions: ...
    async def definition(self, url: str, type_: str, name: str, version: int) -> dict[str, Any]: ...


class Annotator(Protocol):
    """Grafana annotations (adapters.grafana.GrafanaAnnotator): never blocks, never raises."""

    def submit(self, payload: dict[str, Any]) -> None: ...
