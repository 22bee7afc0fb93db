"""A tenant-scoped view: what the control plane did for the tenant in x-tenant-id."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import HeaderParameter

from cloudlysis_control.audit.schemas import AuditEvent, AuditFilter
from cloudlysis_control.audit.service import AuditService
from cloudlysis_control.auth.guards import tenant_from_headers
from cloudlysis_control.core.openapi import problems
from cloudlysis_control.jobs.schemas import Job
from cloudlysis_control.jobs.service import JobFilter, JobService


class TenantActivity(msgspec.Struct):
    tenant_id: str
    jobs: list[Job]
    audit_events: list[AuditEvent]


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
        self,
        request: Request[Any, Any, Any],
        jobs: NamedDependency[JobService],
        audit: NamedDependency[AuditService],
        x_tenant_id: Annotated[
            str | None,
            HeaderParameter(name="x-tenant-id", description="Tenant id: [a-z0-9][a-z0-9-]{0,62}"),
        ] = None,
    ) -> TenantActivity:
        tenant_id = tenant_from_headers(request)
        return TenantActivity(
            tenant_id=tenant_id,
            jobs=jobs.find(JobFilter(tenant_id=tenant_id), 50),
            audit_events=audit.query(AuditFilter(tenant_id=tenant_id), None, 50).items,
        )
