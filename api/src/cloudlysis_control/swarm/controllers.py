from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import HeaderParameter, JSONBody, PathParameter
from litestar.status_codes import HTTP_202_ACCEPTED

from cloudlysis_control.auth.principal import Principal
from cloudlysis_control.core.errors import PreflightRefused, SwarmUnavailable
from cloudlysis_control.core.openapi import problems
from cloudlysis_control.jobs.schemas import Job, JobCreate
from cloudlysis_control.jobs.service import JobService
from cloudlysis_control.swarm.schemas import SwarmNodeList, SwarmService, SwarmServiceList
from cloudlysis_control.swarm.service import SwarmView

ServiceName = Annotated[str, PathParameter(max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
IdempotencyKey = Annotated[str | None, HeaderParameter(name="Idempotency-Key", max_length=256)]


class DeployRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Deploy a new image to a service: give `image` (full reference) or `tag` (same
    repository). `confirm` must repeat the service name."""

    reason: str
    confirm: str
    image: str | None = None
    tag: str | None = None
    git_sha: str | None = None
    health_timeout_s: float | None = None


class RollbackRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Roll back to Swarm's previous spec, or to `to_spec_version` (a spec version recorded by
    a deployment, see GET /admin/v1/deployments). `confirm` must repeat the service name."""

    reason: str
    confirm: str
    to_spec_version: int | None = None
    health_timeout_s: float | None = None


class SwarmController(Controller):
    path = "/admin/v1/swarm"
    tags = ["swarm"]

    @get(
        "/services",
        operation_id="ListSwarmServices",
        opt={"right": "control.fleet.read"},
        responses=problems(),
        description="Every Swarm service, normalised (image, tag, git_sha, spec version, update "
        "state, replicas, tasks with node and error). 503 `swarm_unavailable` when no engine "
        "is reachable or CONTROL_SWARM_MODE=off.",
    )
    async def list_services(self, swarm: NamedDependency[SwarmView]) -> SwarmServiceList:
        return await swarm.list_services()

    @get(
        "/services/{name:str}",
        operation_id="GetSwarmService",
        opt={"right": "control.fleet.read"},
        responses=problems(404),
    )
    async def get_service(
        self, swarm: NamedDependency[SwarmView], name: ServiceName
    ) -> SwarmService:
        return await swarm.get_service(name)

    @get(
        "/nodes",
        operation_id="ListSwarmNodes",
        opt={"right": "control.fleet.read"},
        responses=problems(),
    )
    async def list_nodes(self, swarm: NamedDependency[SwarmView]) -> SwarmNodeList:
        return await swarm.list_nodes()

    async def _create(
        self,
        request: Request[Principal, Any, Any],
        jobs: JobService,
        kind_name: str,
        reason: str,
        params: dict[str, Any],
        idempotency_key: str | None,
    ) -> Job:
        kind = jobs.kinds.get(kind_name)
        if kind is None:
            raise SwarmUnavailable("Swarm integration is off (CONTROL_SWARM_MODE=off)")
        validated = kind.validate(params)
        preflight = getattr(kind, "preflight", None)
        if preflight is not None:
            try:
                await preflight(validated)
            except PreflightRefused as refusal:
                # A refused mutation is audited like a lock refusal; nothing was created.
                await jobs.audit.record(
                    actor=request.user.id,
                    action=f"job.create.{kind_name}",
                    target=f"service:{params['service']}",
                    outcome="refused",
                    reason=reason.strip() or None,
                    detail={
                        "params": validated,
                        "code": refusal.code,
                        "failures": refusal.extra.get("failures"),
                    },
                )
                raise
        return await jobs.create(
            kind_name=kind_name,
            body=JobCreate(reason=reason, params=params),
            principal_id=request.user.id,
            idempotency_key=idempotency_key,
        )

    @post(
        "/services/{name:str}/deploy",
        operation_id="CreateServiceDeployJob",
        status_code=HTTP_202_ACCEPTED,
        opt={"right": "control.deployments.operate"},
        responses=problems(404, 409, 422),
        description="Start a `service.deploy` job (Idempotency-Key and reason required). "
        "Refused with 422 `preflight_refused` (listing `failures`) when the service is "
        "updating, paused or not fully running; 409 `lock_held` while another job holds the "
        "service.",
    )
    async def deploy(
        self,
        request: Request[Principal, Any, Any],
        jobs: NamedDependency[JobService],
        name: ServiceName,
        data: JSONBody[DeployRequest],
        idempotency_key: IdempotencyKey = None,
    ) -> Job:
        params: dict[str, Any] = {"service": name, "confirm": data.confirm}
        for key in ("image", "tag", "git_sha", "health_timeout_s"):
            if getattr(data, key) is not None:
                params[key] = getattr(data, key)
        return await self._create(
            request, jobs, "service.deploy", data.reason, params, idempotency_key
        )

    @post(
        "/services/{name:str}/rollback",
        operation_id="CreateServiceRollbackJob",
        status_code=HTTP_202_ACCEPTED,
        opt={"right": "control.deployments.operate"},
        responses=problems(404, 409, 422),
        description="Start a `service.rollback` job (Idempotency-Key and reason required).",
    )
    async def rollback(
        self,
        request: Request[Principal, Any, Any],
        jobs: NamedDependency[JobService],
        name: ServiceName,
        data: JSONBody[RollbackRequest],
        idempotency_key: IdempotencyKey = None,
    ) -> Job:
        params: dict[str, Any] = {"service": name, "confirm": data.confirm}
        for key in ("to_spec_version", "health_timeout_s"):
            if getattr(data, key) is not None:
                params[key] = getattr(data, key)
        return await self._create(
            request, jobs, "service.rollback", data.reason, params, idempotency_key
        )
