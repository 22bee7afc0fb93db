"""The platform services' admin API as the tenant operations need it (service-admin.md): one
port for tenant status, drain, resume and config reload. `adapters.service_admin` implements
it over HTTP; unit tests use an in-memory fake."""

from __future__ import annotations

from typing import Protocol

import msgspec


class TenantStatus(msgspec.Struct, kw_only=True):
    """`GET /admin/v1/tenants/{tenant_id}/status` of one instance (unknown fields ignored)."""

    tenant_id: str
    inflight: int
    lag: int | None = None
    lag_seconds: float | None = None
    draining: bool = False
    drained: bool = False
    accepting: bool = True


class ReloadResult(msgspec.Struct, kw_only=True):
    """`POST /admin/v1/config/reload` (unknown fields ignored)."""

    service: str
    instance: str
    config_generation: int
    reloaded_at: float | None = None


class ServiceAdmin(Protocol):
    async def tenant_status(self, endpoint: str, tenant_id: str) -> TenantStatus: ...

    async def drain(self, endpoint: str, tenant_id: str) -> TenantStatus:
        """Idempotent: draining a draining tenant is one drain (service-admin.md §2)."""
        ...

    async def resume(self, endpoint: str, tenant_id: str) -> TenantStatus: ...

    async def reload(self, endpoint: str) -> ReloadResult: ...
