from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Operation, Schema
from litestar.params import FromQuery, QueryParameter
from litestar.response import Stream

from cloudlysis_control.audit.export import as_csv, as_ndjson
from cloudlysis_control.audit.schemas import AuditFilter, AuditOutcome, AuditPage
from cloudlysis_control.audit.service import AuditService
from cloudlysis_control.core.clock import rfc3339, strict_rfc3339
from cloudlysis_control.core.errors import ValidationFailed
from cloudlysis_control.core.openapi import Cursor, Limit, problems
from cloudlysis_control.core.scope import SCOPE_ANY, ScopedCaller
from cloudlysis_control.core.validation import TENANT_ID_PATTERN

Text = Annotated[str | None, QueryParameter(max_length=200)]
Id = Annotated[str | None, QueryParameter(max_length=128)]


def _time_param(description: str) -> Any:
    """An RFC 3339 date-time query parameter (read strictly by `_bound`)."""
    return QueryParameter(
        max_length=64, schema_extra={"format": "date-time"}, description=description
    )


Since = Annotated[str | None, _time_param("RFC 3339 date-time; events at or after it (inclusive)")]
Until = Annotated[str | None, _time_param("RFC 3339 date-time; events before it (exclusive)")]


def _bound(name: str, value: str | None) -> str | None:
    """As events store their time (UTC, milliseconds, `Z`), so text order is time order."""
    if value is None:
        return None
    try:
        return rfc3339(strict_rfc3339(value))
    except ValueError:
        raise ValidationFailed(
            f"{name} is not an RFC 3339 date-time (e.g. 2026-12-06T10:00:00Z)"
        ) from None


RIGHT_READ = "control.audit.read"
RIGHT_EXPORT = "control.audit.export"

JobIdParam = Annotated[
    str | None, QueryParameter(max_length=40, description="Events of this job (j_…)")
]


def audit_filter(
    actor: Text = None,
    action: Text = None,
    q: Annotated[
        str | None,
        QueryParameter(
            max_length=200, description="Case-insensitive substring of actor, action or target"
        ),
    ] = None,
    tenant_id: Annotated[str | None, QueryParameter(pattern=TENANT_ID_PATTERN)] = None,
    outcome: Annotated[
        list[AuditOutcome] | None, QueryParameter(description="Only these outcomes")
    ] = None,
    exclude_outcome: Annotated[
        list[AuditOutcome] | None, QueryParameter(description="Not these outcomes")
    ] = None,
    since: Since = None,
    until: Until = None,
    correlation_id: Id = None,
    job_id: JobIdParam = None,
) -> AuditFilter:
    """The filter of the list and of the export (one definition of their query parameters)."""
    return AuditFilter(
        actor=actor,
        action=action,
        text=q or None,
        tenant_id=tenant_id,
        outcomes=frozenset(outcome) if outcome else None,
        exclude_outcomes=frozenset(exclude_outcome or ()),
        since=_bound("since", since),
        until=_bound("until", until),
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
    dependencies = {"flt": Provide(audit_filter, sync_to_thread=False)}

    @get(
        "/",
        operation_id="ListAuditEvents",
        opt={"right": RIGHT_READ, **SCOPE_ANY},
        responses=problems(),
        description="Audit events, newest first. A principal whose right is limited to some "
        "tenants sees those tenants' events only. A page examines at most 100,000 events: a "
        "search for something rare may answer fewer rows than `limit` with a `next_cursor` to "
        "continue.",
    )
    async def list_events(
        self,
        request: Request[ScopedCaller, Any, Any],
        audit: NamedDependency[AuditService],
        flt: NamedDependency[AuditFilter],
        cursor: Cursor = None,
        limit: Limit = 50,
        collapse_denials: Annotated[
            bool,
            QueryParameter(
                description="One row, with `repeat`, for a run of denials of one right to one "
                "principal"
            ),
        ] = False,
        count: Annotated[
            bool, QueryParameter(description="Count the matches (`total`, capped at 10,000)")
        ] = False,
    ) -> AuditPage:
        flt.scope = request.user.scope(RIGHT_READ)
        return await audit.query(flt, cursor, limit, collapse_denials=collapse_denials, count=count)

    @get(
        "/export",
        operation_id="ExportAuditEvents",
        opt={"right": RIGHT_EXPORT, **SCOPE_ANY},
        responses=problems(),
        description="Every matching event of the requested range (`since`, `until`), newest "
        "first, as NDJSON or CSV (within a tenant scope, those tenants' events only). Read from "
        "the audit stream as it is sent, so any range can be exported from any replica.",
        operation_class=ExportOperation,
    )
    async def export_events(
        self,
        request: Request[ScopedCaller, Any, Any],
        audit: NamedDependency[AuditService],
        flt: NamedDependency[AuditFilter],
        format: FromQuery[Literal["ndjson", "csv"]] = "ndjson",
    ) -> Stream:
        flt.scope = request.user.scope(RIGHT_EXPORT)
        events = await audit.export(flt)
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
