"""Find everything the control plane knows about an id, or did for one tenant."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from cloudlysis_control.auth.principal import Principal
from cloudlysis_control.core.openapi import TenantIdHeader, problems
from cloudlysis_control.core.scope import SCOPE_ANY
from cloudlysis_control.core.validation import REQUEST_ID_PATTERN
from cloudlysis_control.investigate.schemas import Investigation, TenantActivity
from cloudlysis_control.investigate.service import InvestigateService

RIGHT_READ = "control.audit.read"

SearchId = Annotated[
    str,
    QueryParameter(
        pattern=REQUEST_ID_PATTERN,
        description="A request id, correlation id or 32-hex trace id",
    ),
]


class InvestigateController(Controller):
    path = "/admin/v1/investigate"
    tags = ["investigate"]

    @get(
        "/",
        operation_id="Investigate",
        opt={"right": RIGHT_READ, **SCOPE_ANY},
        responses=problems(),
        description="The jobs and audit events a request, correlation or trace id names; "
        "within a tenant scope, those tenants' only.",
    )
    async def investigate(
        self,
        request: Request[Principal, Any, Any],
        investigations: NamedDependency[InvestigateService],
        id: SearchId,
    ) -> Investigation:
        return await investigations.investigate(id, request.user.scope(RIGHT_READ))


class TenantActivityController(Controller):
    path = "/admin/v1/tenant"
    tags = ["tenants"]

    @get(
        "/activity",
        operation_id="GetTenantActivity",
        opt={"right": "control.tenants.read", "tenant_scoped": True},
        responses=problems(),
        description="Recent jobs and audit events of the tenant named by x-tenant-id.",
    )
    async def activity(
        self, investigations: NamedDependency[InvestigateService], x_tenant_id: TenantIdHeader
    ) -> TenantActivity:
        return await investigations.tenant_activity(x_tenant_id)
