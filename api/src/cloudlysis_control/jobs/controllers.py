from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter
from litestar.status_codes import HTTP_202_ACCEPTED

from cloudlysis_control.auth.guards import deny, tenant_from_headers
from cloudlysis_control.auth.principal import Principal
from cloudlysis_control.core.errors import ValidationFailed
from cloudlysis_control.core.openapi import problems
from cloudlysis_control.jobs.schemas import Job, JobCreate, JobKindInfo, JobPage, JobStatus
from cloudlysis_control.jobs.service import JobFilter, JobService

Limit = Annotated[int, QueryParameter(ge=1, le=500, description="Page size")]
Cursor = Annotated[str | None, QueryParameter(max_length=512, description="Opaque cursor")]


class JobsController(Controller):
    path = "/admin/v1/jobs"
    tags = ["jobs"]

    @get("/", operation_id="ListJobs", opt={"right": "control.jobs.read"}, responses=problems())
    async def list_jobs(
        self,
        jobs: NamedDependency[JobService],
        kind: Annotated[str | None, QueryParameter(max_length=100)] = None,
        status: FromQuery[JobStatus | None] = None,
        tenant_id: Annotated[str | None, QueryParameter(max_length=63)] = None,
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
        )
        return jobs.page(flt, cursor, limit)

    @get(
        "/kinds",
        operation_id="ListJobKinds",
        opt={"right": "control.jobs.read"},
        responses=problems(),
    )
    async def list_kinds(self, jobs: NamedDependency[JobService]) -> list[JobKindInfo]:
        return jobs.kind_info()

    @get(
        "/{job_id:str}",
        operation_id="GetJob",
        opt={"right": "control.jobs.read"},
        responses=problems(404),
    )
    async def get_job(self, jobs: NamedDependency[JobService], job_id: FromPath[str]) -> Job:
        return await jobs.get(job_id)

    @post(
        "/{kind:str}",
        operation_id="CreateJob",
        status_code=HTTP_202_ACCEPTED,
        opt={"right": "control.jobs.run"},
        responses=problems(404, 409),
        description="Start a job. Requires an Idempotency-Key: the same key and body from the "
        "same principal return the same job and never run it twice.",
    )
    async def create_job(
        self,
        request: Request[Principal, Any, Any],
        jobs: NamedDependency[JobService],
        kind: FromPath[str],
        data: JSONBody[JobCreate],
        idempotency_key: Annotated[
            str | None, HeaderParameter(name="Idempotency-Key", max_length=256)
        ] = None,
    ) -> Job:
        principal = request.user
        job_kind = jobs.kinds.get(kind)
        if job_kind is not None and job_kind.right not in principal.rights:
            await deny(request, job_kind.right)
        endpoint = getattr(job_kind, "endpoint", None)
        if endpoint is not None:
            # Its checks (plan hash, preflight) run before the job exists: only there.
            raise ValidationFailed(f"{kind} jobs are created with {endpoint}")
        tenant_id = tenant_from_headers(request) if job_kind and job_kind.tenant_scoped else None
        return await jobs.create(
            kind_name=kind,
            body=data,
            principal_id=principal.id,
            idempotency_key=idempotency_key,
            tenant_id=tenant_id,
        )

    @post(
        "/{job_id:str}/cancel",
        operation_id="CancelJob",
        status_code=HTTP_202_ACCEPTED,
        opt={"right": "control.jobs.run"},
        responses=problems(404, 409),
    )
    async def cancel_job(
        self,
        request: Request[Principal, Any, Any],
        jobs: NamedDependency[JobService],
        job_id: FromPath[str],
    ) -> Job:
        return await jobs.cancel(job_id, request.user.id)
