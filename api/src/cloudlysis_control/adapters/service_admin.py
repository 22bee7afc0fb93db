"""Calls to a platform service's admin API (docs/contracts/service-admin.md) over aiohttp.

aiohttp, not httpx, for the same reason as the fleet probes (docs/decisions/0005): a
`config.reload` of many services is one request to each of as many hosts, and httpx's pool
scanned and closed keep-alive connections on every request (≈ 20 % of the API's time with 500
jobs at once; docs/performance.md "Issue 19 — job path"). Identity headers, error translation
(UpstreamTimeout / UpstreamUnavailable / UpstreamError), the `service-admin` outbound metrics
and the per-call timeout are those of every other outbound call.
"""

from __future__ import annotations

from typing import TypeVar
from urllib.parse import quote

import aiohttp

from cloudlysis_control.adapters.http import PooledSession, aio_request, decode_body
from cloudlysis_control.core.metrics import Metrics
from cloudlysis_control.tenants.ports import ReloadResult, TenantStatus

UPSTREAM = "service-admin"
T = TypeVar("T")


class ServiceAdminClient:
    def __init__(self, metrics: Metrics | None, timeout_s: float) -> None:
        self.metrics = metrics
        self.timeout_s = timeout_s
        # Callers bound what is in flight (the jobs engine's workers); one idle connection
        # per service is kept for the next call to it.
        self._pool = PooledSession(
            timeout_s,
            lambda: aiohttp.TCPConnector(limit=0, limit_per_host=4, keepalive_timeout=30),
        )

    def _client(self) -> aiohttp.ClientSession:
        return self._pool.get()

    async def aclose(self) -> None:
        await self._pool.aclose()

    async def _call(
        self, method: str, url: str, model: type[T], what: str, ok: tuple[int, ...]
    ) -> T:
        status, body = await aio_request(
            self._client(),
            method,
            url,
            metrics=self.metrics,
            upstream=UPSTREAM,
            timeout_detail=f"{UPSTREAM} did not answer in time",
            unreachable_detail=f"{UPSTREAM} is unreachable",
            timeout_s=self.timeout_s,
        )
        return decode_body(status, body, model, what, ok=ok)

    async def tenant_status(self, endpoint: str, tenant_id: str) -> TenantStatus:
        return await self._tenant_call("GET", endpoint, tenant_id, "status")

    async def drain(self, endpoint: str, tenant_id: str) -> TenantStatus:
        """Idempotent: draining a draining tenant is one drain (service-admin.md §2)."""
        return await self._tenant_call("POST", endpoint, tenant_id, "drain")

    async def resume(self, endpoint: str, tenant_id: str) -> TenantStatus:
        return await self._tenant_call("POST", endpoint, tenant_id, "resume")

    async def reload(self, endpoint: str) -> ReloadResult:
        url = f"{endpoint.rstrip('/')}/admin/v1/config/reload"
        return await self._call("POST", url, ReloadResult, "reload", (200, 202))

    async def _tenant_call(
        self, method: str, endpoint: str, tenant_id: str, action: str
    ) -> TenantStatus:
        url = f"{endpoint.rstrip('/')}/admin/v1/tenants/{quote(tenant_id, safe='')}/{action}"
        return await self._call(method, url, TenantStatus, f"tenant {action}", (200, 202))
