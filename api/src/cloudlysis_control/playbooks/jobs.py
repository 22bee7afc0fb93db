"""Job kinds `playbook.post_deploy` and `playbook.rollback_verify`: run a verification playbook
again over a recorded deployment (or a deploy given by its times), read-only and idempotent.

The windows come from the deployment record (`deployment_id`, by default the service's latest
deploy, or rollback for `rollback_verify`): the window before ends when it started, the window
after starts when it finished. The job fails (`playbook_failed`) when a check fails; its one
step's output is the report, every check with its value and threshold."""

from __future__ import annotations

import time
from typing import Annotated, Any, ClassVar

import msgspec

from cloudlysis_control.core.clock import parse_rfc3339
from cloudlysis_control.core.errors import ParamsInvalid
from cloudlysis_control.core.validation import ServiceName
from cloudlysis_control.deployments.history import DeploymentFilter
from cloudlysis_control.deployments.jobs import RIGHT_DEPLOY
from cloudlysis_control.deployments.plan import ServicePlanner
from cloudlysis_control.deployments.ports import DeployVerifier, PlaybookName, VerifyRequest
from cloudlysis_control.deployments.schemas import Deployment, ImageTag
from cloudlysis_control.jobs.kinds import (
    JobKind,
    Params,
    PreflightContext,
    RetryPolicy,
    StepContext,
    StepFailed,
)
from cloudlysis_control.jobs.schemas import Job
from cloudlysis_control.swarm.normalise import split_image

MAX_WINDOW_S = 3600  # flags.playbook_window_s ≤ 3600
HealthWait = Annotated[
    float, msgspec.Meta(ge=0, le=600, description="Seconds to wait for /health and /ready")
]
UnixTime = Annotated[float, msgspec.Meta(ge=0, description="Unix seconds")]


class PlaybookParams(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The deploy to verify: `deployment_id` (GET /admin/v1/deployments), or its times
    (`started_at`, `converged_at`) and versions; without either, the service's latest one."""

    service: ServiceName
    deployment_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    started_at: UnixTime | None = None
    converged_at: UnixTime | None = None
    from_version: ImageTag | None = None
    to_version: ImageTag | None = None
    health_wait_s: HealthWait = 0.0


def _tag(image: str | None) -> str | None:
    return split_image(image)[1] if image else None


class _Playbook(JobKind):
    right = RIGHT_DEPLOY
    params_type: ClassVar[type[msgspec.Struct]] = PlaybookParams
    playbook: ClassVar[PlaybookName]
    deployment_kind: ClassVar[str]
    retry = RetryPolicy(max_attempts=1)

    def __init__(self, planner: ServicePlanner, verifier: DeployVerifier) -> None:
        self.planner = planner
        self.verifier = verifier

    def validate(self, params: Params, tenant_id: str | None) -> Params:
        p = super().validate(params, tenant_id)
        if p.get("deployment_id") is not None and p.get("started_at") is not None:
            raise ParamsInvalid("give deployment_id or started_at, not both")
        return {k: v for k, v in p.items() if v is not None}

    # The longest health wait, then the window after the deploy, the store's settle time.
    step_timeout_s = 600 + MAX_WINDOW_S + 120
    job_timeout_s = step_timeout_s + 60

    async def preflight(self, params: Params, ctx: PreflightContext) -> Params:
        """Fix the windows when the job is created, so every run asks the same questions."""
        if "started_at" in params:
            return {**params, "converged_at": params.get("converged_at", params["started_at"])}
        d = await self._deployment(params)
        started = parse_rfc3339(d.started_at).timestamp()
        finished = parse_rfc3339(d.finished_at).timestamp() if d.finished_at else time.time()
        return {
            **params,
            "deployment_id": d.id,
            "started_at": started,
            "converged_at": max(finished, started),
            "from_version": params.get("from_version") or _tag(d.from_image),
            "to_version": params.get("to_version") or _tag(d.to_image) or d.version,
        }

    async def _deployment(self, params: Params) -> Deployment:
        service = str(params["service"])
        did = params.get("deployment_id")
        if did is not None:
            d = (await self.planner.deployments.get(str(did))).deployment
            if d.service != service:
                raise ParamsInvalid(f"deployment {d.id} is of {d.service}, not {service}")
            return d
        flt = DeploymentFilter(service=service, kind=self.deployment_kind)
        page = await self.planner.deployments.page(flt, None, 1)
        if not page.items:
            raise ParamsInvalid(
                f"no {self.deployment_kind} of {service} is recorded: give deployment_id or "
                "started_at"
            )
        return page.items[0]

    def steps(self, params: Params) -> list[str]:
        return ["verify"]

    async def run_step(self, ctx: StepContext) -> dict[str, Any]:
        p = ctx.job.params
        request = VerifyRequest(
            playbook=self.playbook,
            service=str(p["service"]),
            started_at=float(p["started_at"]),
            converged_at=float(p["converged_at"]),
            from_version=p.get("from_version"),
            to_version=p.get("to_version"),
            health_wait_s=float(p.get("health_wait_s", 0.0)),
        )
        report = await self.verifier.verify(request)
        out: dict[str, Any] = msgspec.to_builtins(report)
        if p.get("deployment_id"):
            out["deployment_id"] = p["deployment_id"]
        if not report.ok:
            raise StepFailed(
                "playbook_failed",
                f"{request.service}: {', '.join(report.failed())} failed",
                output=out,
            )
        return out

    def summarize(self, job: Job) -> str:
        return f"playbook.{self.playbook} of {job.params['service']}: {job.status}"


class PlaybookPostDeploy(_Playbook):
    name = "playbook.post_deploy"
    description = (
        "Verify a service after a deploy: tasks converged, healthy and ready, error rate and p99 "
        "after vs before (metrics store), routing sampled, no new drift"
    )
    playbook = "post_deploy"
    deployment_kind = "update"


class PlaybookRollbackVerify(_Playbook):
    name = "playbook.rollback_verify"
    description = (
        "Verify a service after a rollback: the same checks as playbook.post_deploy over the "
        "rollback's windows"
    )
    playbook = "rollback_verify"
    deployment_kind = "rollback"
