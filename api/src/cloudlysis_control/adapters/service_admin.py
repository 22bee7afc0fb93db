"""Calls to a platform service's admin API (docs/contracts/service-admin.md) over httpx."""

from __future__ import annotations

from urllib.parse import quote

import httpx

from cloudlysis_control.adapters.http import decode_json, upstream_call
from cloudlysis_control.core.metrics import Metrics
from cloudlysis_control.tenants.ports import ReloadResult, TenantStatus


class ServiceAdminClient:
    def __init__(
        self, client: httpx.AsyncClient, metrics: Metrics | None, timeout_s: float
    ) -> None:
        self.client = client
        self.metrics = metrics
        self.timeout_s = timeout_s

    async def tenant_status(self, endpoint: str, tenant_id: str) -> TenantStatus:
        return await self._tenant_call("GET", endpoint, tenant_id, "status")

    async def drain(self, endpoint: str, tenant_id: str) -> TenantStatus:
        """Idempotent: draining a draining tenant is one drain (service-admin.md §2)."""
        return await self._tenant_call("POST", endpoint, tenant_id, "drain")

    async def resume(self, endpoint: str, tenant_id: str) -> TenantStatus:
        return await self._tenant_call("POST", endpoint, tenant_id, "resume")

    async def reload(self, endpoint: str) -> ReloadResult:
        url = f"{endpoint.rstrip('/')}/admin/v1/config/reload"
        with upstream_call(self.metrics, "service-admin"):
            resp = await self.client.post(url, timeout=self.timeout_s)
        return decode_json(resp, ReloadResult, "reload", ok=(200, 202))

    async def _tenant_call(
        self, method: str, endpoint: str, tenant_id: str, action: str
    ) -> TenantStatus:
        url = f"{endpoint.rstrip('/')}/admin/v1/tenants/{quote(tenant_id, safe='')}/{action}"
        with upstream_call(self.metrics, "service-admin"):
            resp = await self.client.request(method, url, timeout=self.timeout_s)
        return decode_json(resp, TenantStatus, f"tenant {action}", ok=(200, 202))
