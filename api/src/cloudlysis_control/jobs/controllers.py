"""Jobs over HTTP: list, read, the generic create and cancel.

The generic `POST /admin/v1/jobs/kinds/{kind}` needs the kind's own right (the guard resolves it
from the path) and runs exactly the checks of the kind's dedicated endpoint: both go through
`JobService.create`.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, HeaderParameter, JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_202_ACCEPTED

from cloudlysis_control.auth.guards import RIGHT_OF_KIND
from cloudlysis_control.auth.principal import Principal
from cloudlysis_control.core.openapi import Cursor, IdempotencyKey, Limit, problems
from cloudlysis_control.core.scope import SCOPE_ANY
from cloudlysis_control.core.validation import TENANT_ID_PATTERN
from cloudlysis_control.jobs.schemas import Job, JobCreate, JobKindInfo, JobPage, JobStatus
from cloudlysis_control.jobs.service import CANCEL_RIGHT, JobFilter, JobService

RIGHT_READ = "control.jobs.read"

# Any string: an id that is not a job's (j_ and 32 hex digits) is simply not found (404).
JobId = Annotated[str, PathParameter(description="A job id (j_ and 32 hex digits)")]
KindName = Annotated[
    str,
    PathParameter(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+){1,4}$", description="A job kind"),
]
OptionalTenantHeader = Annotated[
    str | None,
    HeaderParameter(
        name="x-tenant-id",
        pattern=TENANT_ID_PATTERN,
        description="The tenant, required by tenant-scoped kinds (see ListJobKinds)",
    ),
]


class JobsController(Controller):
    path = "/admin/v1/jobs"
    tags = ["jobs"]

    @get(
        "/",
        operation_id="ListJobs",
        opt={"right": RIGHT_READ, **SCOPE_ANY},
        responses=problems(),
        description="Jobs, newest first. A principal whose right is limited to some tenants "
        "sees those tenants' jobs only.",
    )
    async def list_jobs(
        self,
        request: Request[Principal, Any, Any],
        jobs: NamedDependency[JobService],
        kind: Annotated[str | None, QueryParameter(max_length=100)] = None,
        status: FromQuery[JobStatus | None] = None,
        tenant_id: Annotated[str | None, QueryParameter(pattern=TENANT_ID_PATTERN)] = None,
        since: Annotated[str | None, QueryParameter(max_length=40)] = None,
        until: Annotated[str | None, QueryParameter(max_length=40)] = None,
        correlation_id: Annotated[str | None, QueryParameter(max_length=128)] = None,
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> JobPage:
        flt = JobFilter(
            kind=kind,
            status=status,
            tenant_id=tenant_id,
            since=since,
            until=until,
            correlation_id=correlation_id,
            scope=request.user.scope(RIGHT_READ),
        )
        return await jobs.page(flt, cursor, limit)

    @get(
        "/kinds",
        operation_id="ListJobKinds",
        opt={"right": RIGHT_READ, **SCOPE_ANY},
        responses=problems(),
    )
    async def list_kinds(self, jobs: NamedDependency[JobService]) -> list[JobKindInfo]:
        return jobs.kind_info()

    @get(
        "/{job_id:str}",
        operation_id="GetJob",
        opt={"right": RIGHT_READ, **SCOPE_ANY},
        responses=problems(404),
        description="One job; a job of a tenant outside the caller's scope is 403.",
    )
    async def get_job(
        self,
        request: Request[Principal, Any, Any],
        jobs: NamedDependency[JobService],
        job_id: JobId,
    ) -> Job:
        return await jobs.get_for(job_id, request.user, RIGHT_READ)

    @post(
        "/kinds/{kind:str}",
        operation_id="CreateJob",
        status_code=HTTP_202_ACCEPTED,
        opt={"right": RIGHT_OF_KIND},
        responses=problems(404, 409, 422),
        description="Start a job of any kind; needs the kind's own right (ListJobKinds). "
        "The checks are those of the kind's dedicated endpoint: preflight (422 "
        "`preflight_refused` listing `failures`), locks (409 `lock_held`), plan hash (409 "
        "`plan_stale`). Tenant-scoped kinds name their tenant in x-tenant-id. The same "
        "Idempotency-Key and body from the same principal return the same job and never run "
        "it twice.",
    )
    async def create_job(
        self,
        request: Request[Principal, Any, Any],
        jobs: NamedDependency[JobService],
        kind: KindName,
        data: JSONBody[JobCreate],
        idempotency_key: IdempotencyKey,
        x_tenant_id: OptionalTenantHeader = None,
    ) -> Job:
        return await jobs.create(
            kind_name=kind,
            reason=data.reason,
            params=data.params,
            principal=request.user,
            idempotency_key=idempotency_key,
            tenant_id=x_tenant_id,
        )

    @post(
        "/{job_id:str}/cancel",
        operation_id="CancelJob",
        status_code=HTTP_202_ACCEPTED,
        opt={"right": CANCEL_RIGHT, **SCOPE_ANY},
        description="Cancel a job; needs the right on the job's tenant (platform-wide for a "
        "job of no tenant).",
        responses=problems(404, 409),
    )
    async def cancel_job(
        self,
        request: Request[Principal, Any, Any],
        jobs: NamedDependency[JobService],
        job_id: JobId,
    ) -> Job:
        return await jobs.cancel(job_id, request.user)
