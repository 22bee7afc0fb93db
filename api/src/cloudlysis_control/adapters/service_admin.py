"""Calls to a platform service's admin API (docs/contracts/service-admin.md) over httpx."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import msgspec

from cloudlysis_control.adapters.http import truncate, upstream_call
from cloudlysis_control.core.errors import UpstreamError
from cloudlysis_control.core.metrics import Metrics


class TenantStatus(msgspec.Struct, kw_only=True):
    """`GET /admin/v1/tenants/{tenant_id}/status` of one instance (unknown fields ignored)."""

    tenant_id: str
    inflight: int
    lag: int | None = None
    lag_seconds: float | None = None
    draining: bool = False
    drained: bool = False
    accepting: bool = True


class ServiceAdminClient:
    def __init__(
        self, client: httpx.AsyncClient, metrics: Metrics | None, timeout_s: float
    ) -> None:
        self.client = client
        self.metrics = metrics
        self.timeout_s = timeout_s

    async def tenant_status(self, endpoint: str, tenant_id: str) -> TenantStatus:
        url = f"{endpoint.rstrip('/')}/admin/v1/tenants/{quote(tenant_id, safe='')}/status"
        with upstream_call(self.metrics, "service-admin"):
            resp = await self.client.get(url, timeout=self.timeout_s)
        if resp.status_code != 200:
            raise UpstreamError(f"HTTP {resp.status_code}: {truncate(resp.content, 120)}")
        try:
            return msgspec.json.decode(resp.content, type=TenantStatus)
        except (msgspec.DecodeError, msgspec.ValidationError) as e:
            raise UpstreamError(f"invalid tenant status body: {str(e)[:120]}") from e
