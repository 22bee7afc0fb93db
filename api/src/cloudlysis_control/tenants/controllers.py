from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from cloudlysis_control.auth.principal import Principal
from cloudlysis_control.core.openapi import Cursor, Limit, TenantIdPath, problems
from cloudlysis_control.core.scope import SCOPE_ANY, SCOPE_TENANT_PATH
from cloudlysis_control.tenants.schemas import TenantDetail, TenantPage
from cloudlysis_control.tenants.service import TenantService

RIGHT_READ = "control.tenants.read"


class TenantsController(Controller):
    path = "/admin/v1/tenants"
    tags = ["tenants"]

    @get(
        "/",
        operation_id="ListTenants",
        opt={"right": "control.tenants.read", **SCOPE_ANY},
        responses=problems(),
        description="Every tenant named in a placement map, in id order, with its shard per "
        "kind. `q` searches by prefix (default) or substring. A principal whose right is "
        "limited to some tenants sees those tenants only.",
        sync_to_thread=False,
    )
    def list_tenants(
        self,
        request: Request[Principal, Any, Any],
        tenants: NamedDependency[TenantService],
        q: Annotated[str | None, QueryParameter(max_length=63, description="Search")] = None,
        match: FromQuery[Literal["prefix", "substring"]] = "prefix",
        cursor: Cursor = None,
        limit: Limit = 100,
    ) -> TenantPage:
        return tenants.page(q, match, cursor, limit, request.user.scope(RIGHT_READ))

    @get(
        "/{tenant_id:str}",
        operation_id="GetTenant",
        opt={"right": RIGHT_READ, **SCOPE_TENANT_PATH},
        responses=problems(),
        description="Placement per kind, the endpoints serving the tenant with their health and "
        "the tenant's inflight/lag there (errors per endpoint), recent jobs and audit events.",
    )
    async def get_tenant(
        self,
        tenants: NamedDependency[TenantService],
        tenant_id: TenantIdPath,
    ) -> TenantDetail:
        return await tenants.detail(tenant_id)
