from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Operation, Schema
from litestar.params import FromQuery, QueryParameter
from litestar.response import Stream

from cloudlysis_control.audit.export import as_csv, as_ndjson
from cloudlysis_control.audit.schemas import AuditFilter, AuditOutcome, AuditPage
from cloudlysis_control.audit.service import AuditService
from cloudlysis_control.core.openapi import Cursor, Limit, problems
from cloudlysis_control.core.scope import SCOPE_ANY, ScopedCaller

Text = Annotated[str | None, QueryParameter(max_length=200)]
Id = Annotated[str | None, QueryParameter(max_length=128)]
Time = Annotated[str | None, QueryParameter(max_length=40, description="RFC 3339, inclusive")]


RIGHT_READ = "control.audit.read"
RIGHT_EXPORT = "control.audit.export"

JobIdParam = Annotated[
    str | None, QueryParameter(max_length=40, description="Events of this job (j_…)")
]


def _filter(
    actor: str | None,
    action: str | None,
    tenant_id: str | None,
    outcome: AuditOutcome | None,
    since: str | None,
    until: str | None,
    correlation_id: str | None,
    job_id: str | None = None,
) -> AuditFilter:
    return AuditFilter(
        actor=actor,
        action=action,
        tenant_id=tenant_id,
        outcome=outcome,
        since=since,
        until=until,
        correlation_id=correlation_id,
        job_id=job_id,
    )


@dataclass
class ExportOperation(Operation):
    """Documents both export formats: the 200 answer is NDJSON or CSV, never JSON."""

    def __post_init__(self) -> None:
        ok = (self.responses or {}).get("200")
        if isinstance(ok, OpenAPIResponse):
            ok.content = {
                "application/x-ndjson": OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING)),
                "text/csv": OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING)),
            }


class AuditController(Controller):
    path = "/admin/v1/audit"
    tags = ["audit"]

    @get(
        "/",
        operation_id="ListAuditEvents",
        opt={"right": RIGHT_READ, **SCOPE_ANY},
        responses=problems(),
        description="Audit events, newest first. A principal whose right is limited to some "
        "tenants sees those tenants' events only.",
    )
    async def list_events(
        self,
        request: Request[ScopedCaller, Any, Any],
        audit: NamedDependency[AuditService],
        actor: Text = None,
        action: Text = None,
        tenant_id: Annotated[str | None, QueryParameter(max_length=63)] = None,
        outcome: FromQuery[AuditOutcome | None] = None,
        since: Time = None,
        until: Time = None,
        correlation_id: Id = None,
        job_id: JobIdParam = None,
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> AuditPage:
        flt = _filter(actor, action, tenant_id, outcome, since, until, correlation_id, job_id)
        flt.scope = request.user.scope(RIGHT_READ)
        return audit.query(flt, cursor, limit)

    @get(
        "/export",
        operation_id="ExportAuditEvents",
        opt={"right": RIGHT_EXPORT, **SCOPE_ANY},
        responses=problems(),
        description="Every matching event, newest first, as NDJSON or CSV (within a tenant "
        "scope, those tenants' events only).",
        operation_class=ExportOperation,
    )
    async def export_events(
        self,
        request: Request[ScopedCaller, Any, Any],
        audit: NamedDependency[AuditService],
        format: FromQuery[Literal["ndjson", "csv"]] = "ndjson",
        actor: Text = None,
        action: Text = None,
        tenant_id: Annotated[str | None, QueryParameter(max_length=63)] = None,
        outcome: FromQuery[AuditOutcome | None] = None,
        since: Time = None,
        until: Time = None,
        correlation_id: Id = None,
        job_id: JobIdParam = None,
    ) -> Stream:
        flt = _filter(actor, action, tenant_id, outcome, since, until, correlation_id, job_id)
        flt.scope = request.user.scope(RIGHT_EXPORT)
        events = list(audit.iter_matching(flt))
        if format == "csv":
            return Stream(
                as_csv(events),
                media_type="text/csv",
                headers={"content-disposition": 'attachment; filename="audit.csv"'},
            )
        return Stream(
            as_ndjson(events),
            media_type="application/x-ndjson",
            headers={"content-disposition": 'attachment; filename="audit.ndjson"'},
        )
