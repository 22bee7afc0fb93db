"""The config registry's calls to platform services (config.ports.ConfigAgents) over httpx."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from cloudlysis_control.adapters.http import decode_json, upstream_call
from cloudlysis_control.config.ports import AgentResolution, AgentState, RunnerDefinitions
from cloudlysis_control.core.metrics import Metrics


class ConfigAgentsClient:
    def __init__(
        self, client: httpx.AsyncClient, metrics: Metrics | None, timeout_s: float
    ) -> None:
        self.client = client
        self.metrics = metrics
        self.timeout_s = timeout_s

    async def _call(self, method: str, url: str, **kw: Any) -> httpx.Response:
        with upstream_call(self.metrics, "service-admin"):
            return await self.client.request(method, url, timeout=self.timeout_s, **kw)

    async def reload(self, url: str) -> AgentState:
        resp = await self._call("POST", f"{url.rstrip('/')}/admin/v1/config/reload")
        return decode_json(resp, AgentState, "reload", ok=(200, 202))

    async def state(self, url: str) -> AgentState:
        resp = await self._call("GET", f"{url.rstrip('/')}/admin/v1/instance")
        return decode_json(resp, AgentState, "instance")

    async def resolve(self, url: str, tenant: str, kind: str) -> AgentResolution:
        resp = await self._call(
            "GET",
            f"{url.rstrip('/')}/admin/routing/resolve",
            params={"tenant": tenant, "kind": kind},
        )
        return decode_json(resp, AgentResolution, "resolve")

    async def definitions(self, url: str) -> RunnerDefinitions:
        resp = await self._call("GET", f"{url.rstrip('/')}/admin/v1/definitions")
        return decode_json(resp, RunnerDefinitions, "definitions")

    async def definition(self, url: str, type_: str, name: str, version: int) -> dict[str, Any]:
        path = "/".join(quote(p, safe="") for p in (type_, name, str(version)))
        resp = await self._call("GET", f"{url.rstrip('/')}/admin/v1/definitions/{path}")
        doc: dict[str, Any] = decode_json(resp, dict[str, Any], "definition")
        return doc
