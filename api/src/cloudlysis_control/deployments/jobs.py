"""Job kinds `service.deploy` and `service.rollback`.

Both hold the `service` lock for their service, run a preflight before any side effect (the
service exists, is not already updating, every desired task runs), and check post-conditions:
the update converges (UpdateStatus completed and all replicas running), then the verify step
runs the verification playbook (`playbook.post_deploy` after a deploy, `playbook.rollback_verify`
after a rollback: the one implementation behind the `DeployVerifier` port) and stores its
report, every check with its value and threshold, as the step's output. A deploy that fails
either is rolled back automatically (Swarm `rollback=previous`) and the job fails with
`deploy_failed_rolled_back`. Both require `confirm` equal to the service name.
"""

from __future__ import annotations

import asyncio
import copy
import time
from typing import Any

import msgspec

from cloudlysis_control.core.checks import CheckResult
from cloudlysis_control.core.clock import parse_rfc3339
from cloudlysis_control.core.errors import (
    ConfirmationMismatch,
    ControlError,
    ParamsInvalid,
)
from cloudlysis_control.deployments.diff import JOB_LABEL
from cloudlysis_control.deployments.plan import (
    ServicePlanner,
    current_image,
    deploy_spec,
    target_image,
)
from cloudlysis_control.deployments.ports import (
    DeployVerifier,
    PlaybookName,
    PlaybookReport,
    VerifyRequest,
)
from cloudlysis_control.deployments.schemas import DeployParams, RollbackParams
from cloudlysis_control.deployments.service import DeploymentService
from cloudlysis_control.guardrails import checks
from cloudlysis_control.jobs.kinds import (
    JobKind,
    LockSpec,
    Params,
    PreflightContext,
    RetryPolicy,
    StepContext,
    StepFailed,
)
from cloudlysis_control.jobs.schemas import Job
from cloudlysis_control.swarm.normalise import split_image
from cloudlysis_control.swarm.ports import Raw, SwarmEngine
from cloudlysis_control.swarm.schemas import SwarmService

POLL_S = 0.5
UPDATE_FAILED = ("paused", "rollback_started", "rollback_completed", "rollback_paused")
RIGHT_DEPLOY = "control.deployments.operate"
# The longest a playbook waits for its window after the deploy (flags.playbook_window_s ≤ 3600)
# plus the store's settle time and its queries.
MAX_PLAYBOOK_WAIT_S = 3600 + 120


def _check_confirm(service: str, confirm: str) -> None:
    if confirm != service:
        raise ConfirmationMismatch(
            "confirm must repeat the service name exactly", errors=[{"field": "confirm"}]
        )


class _ServiceJob(JobKind):
    right = RIGHT_DEPLOY
    retry = RetryPolicy(max_attempts=1)
    continue_on_failure = False

    def __init__(
        self, planner: ServicePlanner, verifier: DeployVerifier, health_timeout_s: float = 120.0
    ) -> None:
        # Registered whether or not a Swarm is configured: without one, every request is a
        # clear 503 swarm_unavailable (not an unknown kind).
        self.planner = planner
        self.verifier = verifier
        self.health_timeout_s = health_timeout_s
        self.step_timeout_s = 2 * health_timeout_s + 60
        self.job_timeout_s = 4 * health_timeout_s + 300 + MAX_PLAYBOOK_WAIT_S

    def step_timeout_for(self, step: str) -> float:
        if step == "verify":  # health, then the playbook's window after the deploy
            return self.step_timeout_s + MAX_PLAYBOOK_WAIT_S
        return self.step_timeout_s

    @property
    def engine(self) -> SwarmEngine:
        return self.planner.engine

    @property
    def deployments(self) -> DeploymentService:
        return self.planner.deployments

    def locks(self, params: Params) -> list[LockSpec]:
        return [("service", str(params["service"]))]

    def validate(self, params: Params, tenant_id: str | None) -> Params:
        p = super().validate(params, tenant_id)
        _check_confirm(p["service"], p["confirm"])
        return {k: v for k, v in p.items() if v is not None}

    async def preflight(self, params: Params, ctx: PreflightContext) -> Params:
        """Refuse (422 preflight_refused, naming every failed invariant) before any side effect.
        Runs before the job is created, and again as the job's first step."""
        checks.refuse(
            await self._preflight_failures(params, ctx.job_id), subject=str(params["service"])
        )
        return params

    async def _preflight_failures(self, params: Params, job_id: str) -> list[CheckResult]:
        return await self.planner.failures(str(params["service"]), job_id=job_id)

    async def _inspect(self, name: str) -> tuple[Raw, SwarmService]:
        return await self.planner.inspect(name)

    async def _wait_converged(
        self, name: str, timeout_s: float, ok_states: tuple[str, ...], fail_states: tuple[str, ...]
    ) -> tuple[bool, SwarmService]:
        deadline = time.monotonic() + timeout_s
        while True:
            raw, s = await self._inspect(name)
            image = raw["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"]
            live = [t for t in s.tasks if t.desired_state == "running"]
            if (
                s.update_state in ok_states
                and all(t.image == image for t in live)
                and (s.replicas_desired is None or s.replicas_running >= s.replicas_desired)
            ):
                return True, s
            if s.update_state in fail_states or time.monotonic() >= deadline:
                return False, s
            await asyncio.sleep(POLL_S)

    async def _rollback_and_wait(self, name: str, job_id: str, timeout_s: float) -> dict[str, Any]:
        raw = await self.engine.service(name)
        state = (raw.get("UpdateStatus") or {}).get("State")
        if state not in ("rollback_started", "rollback_completed"):
            self.deployments.expect_job(str(raw["ID"]), job_id)
            await self.engine.rollback(str(raw["ID"]), int(raw["Version"]["Index"]))
        ok, s = await self._wait_converged(
            name, timeout_s, ("rollback_completed",), ("rollback_paused",)
        )
        return {
            "rolled_back": ok,
            "rollback_state": s.update_state,
            "image": s.image,
            "image_tag": s.image_tag,
        }

    def _timeout_of(self, job: Job) -> float:
        return float(job.params.get("health_timeout_s") or self.health_timeout_s)

    async def _playbook(
        self,
        job: Job,
        playbook: PlaybookName,
        change_step: str,
        versions: tuple[str | None, str | None],
    ) -> PlaybookReport:
        """Run the verification playbook over this job's own change: the window before ends
        when its `change_step` (update or rollback) started, the window after starts when the
        converge step finished."""
        steps = {s.name: s for s in job.steps}
        started = steps[change_step].started_at
        converged = steps["converge"].finished_at
        now = time.time()
        request = VerifyRequest(
            playbook=playbook,
            service=str(job.params["service"]),
            started_at=parse_rfc3339(started).timestamp() if started else now,
            converged_at=parse_rfc3339(converged).timestamp() if converged else now,
            from_version=versions[0],
            to_version=versions[1],
            health_wait_s=self._timeout_of(job),
        )
        return await self.verifier.verify(request)

    async def _step_preflight(self, ctx: StepContext) -> dict[str, Any]:
        name = ctx.job.params["service"]
        failures = await self._preflight_failures(ctx.job.params, ctx.job.id)
        if failures:
            raise StepFailed(
                "preflight_refused",
                "; ".join(f.detail for f in failures),
                output={"failures": msgspec.to_builtins(failures)},
            )
        _raw, s = await self._inspect(name)
        return {
            "spec_version": s.spec_version,
            "image": f"{s.image}:{s.image_tag}" if s.image_tag else s.image,
        }


class ServiceDeploy(_ServiceJob):
    name = "service.deploy"
    description = (
        "Deploy a new image (or tag) to a Swarm service; roll back if it does not converge"
    )
    endpoint = "POST /admin/v1/swarm/services/{name}/deploy"
    params_type = DeployParams

    def validate(self, params: Params, tenant_id: str | None) -> Params:
        p = super().validate(params, tenant_id)
        if ("image" in p) == ("tag" in p):
            raise ParamsInvalid("give exactly one of image (a full reference) or tag")
        return p

    def steps(self, params: Params) -> list[str]:
        return ["preflight", "update", "converge", "verify"]

    async def _preflight_failures(self, params: Params, job_id: str) -> list[CheckResult]:
        """The service's checks, and that the engine can resolve the target image."""
        name = str(params["service"])
        try:
            raw = await self.engine.service(name)
        except ControlError as e:
            if e.status == 404:
                return await self.planner.failures(name, job_id=job_id)
            raise
        image = target_image(raw, params.get("image"), params.get("tag"))
        return await self.planner.failures(name, image, job_id)

    async def run_step(self, ctx: StepContext) -> dict[str, Any]:
        step = ctx.step.name
        if step == "preflight":
            return await self._step_preflight(ctx)
        params = ctx.job.params
        name = params["service"]
        if step == "update":
            raw = await self.engine.service(name)
            current = current_image(raw)
            spec, target = deploy_spec(
                raw, params.get("image"), params.get("tag"), params.get("git_sha"), ctx.job.id
            )
            before = ctx.job.steps[0].output or {}
            if current.split("@")[0] == target and int(raw["Version"]["Index"]) != before.get(
                "spec_version"
            ):
                return {"from_image": before.get("image"), "to_image": target, "resumed": True}
            self.deployments.expect_job(str(raw["ID"]), ctx.job.id)
            await self.engine.update(str(raw["ID"]), int(raw["Version"]["Index"]), spec)
            return {"from_image": current, "to_image": target}
        timeout_s = self._timeout_of(ctx.job)
        if step == "converge":
            ok, s = await self._wait_converged(name, timeout_s, ("completed",), UPDATE_FAILED)
            out = {
                "update_state": s.update_state,
                "running": s.replicas_running,
                "desired": s.replicas_desired,
            }
            if ok:
                return out
            if s.update_state in ("rollback_started", "rollback_completed", "rollback_paused"):
                raise StepFailed(
                    "swarm_rolled_back",
                    f"Swarm rolled {name} back ({s.update_message})",
                    output=out,
                )
            out |= await self._rollback_and_wait(name, ctx.job.id, timeout_s)
            raise StepFailed(
                "deploy_failed_rolled_back",
                f"{name} did not converge ({s.update_state}); rolled back",
                output=out,
            )
        if step == "verify":
            update = ctx.job.steps[1].output or {}
            versions = (_tag(update.get("from_image")), _tag(update.get("to_image")))
            report = await self._playbook(ctx.job, "post_deploy", "update", versions)
            verified = _output(report)
            if not report.ok:
                verified |= await self._rollback_and_wait(name, ctx.job.id, timeout_s)
                raise StepFailed(
                    "deploy_failed_rolled_back",
                    f"{name} failed playbook.post_deploy ({', '.join(report.failed())}); "
                    "rolled back",
                    output=verified,
                )
            return verified
        raise StepFailed("unknown_step", step)

    def summarize(self, job: Job) -> str:
        target = job.params.get("image") or f"tag {job.params.get('tag')}"
        return f"deploy {target} to {job.params['service']}: {job.status}"


class ServiceRollback(_ServiceJob):
    name = "service.rollback"
    description = "Roll a Swarm service back (to its previous spec, or to a recorded spec version)"
    endpoint = "POST /admin/v1/swarm/services/{name}/rollback"
    params_type = RollbackParams

    def validate(self, params: Params, tenant_id: str | None) -> Params:
        p = super().validate(params, tenant_id)
        version = p.get("to_spec_version")
        if version is not None:
            self.planner.rollback_spec({}, p["service"], int(version))  # ParamsInvalid if unknown
        return p

    def steps(self, params: Params) -> list[str]:
        return ["preflight", "rollback", "converge", "verify"]

    async def _preflight_failures(self, params: Params, job_id: str) -> list[CheckResult]:
        """The service's checks, and that there is a spec to roll back to."""
        version = params.get("to_spec_version")
        return await self.planner.rollback_failures(
            str(params["service"]), int(version) if version is not None else None, job_id
        )

    async def run_step(self, ctx: StepContext) -> dict[str, Any]:
        step = ctx.step.name
        if step == "preflight":
            return await self._step_preflight(ctx)
        params = ctx.job.params
        name = params["service"]
        timeout_s = self._timeout_of(ctx.job)
        wanted = params.get("to_spec_version")
        if step == "rollback":
            raw = await self.engine.service(name)
            before = ctx.job.steps[0].output or {}
            if int(raw["Version"]["Index"]) != before.get("spec_version"):
                return {"resumed": True}  # already sent before a takeover
            self.deployments.expect_job(str(raw["ID"]), ctx.job.id)
            if wanted is None:
                await self.engine.rollback(str(raw["ID"]), int(raw["Version"]["Index"]))
                return {"to": "previous"}
            recorded = self.deployments.recorded_spec(name, int(wanted))
            if recorded is None:
                raise StepFailed("spec_unknown", f"spec version {wanted} is no longer recorded")
            spec = copy.deepcopy(recorded)
            if not isinstance(spec.get("Labels"), dict):
                spec["Labels"] = {}
            spec["Labels"][JOB_LABEL] = ctx.job.id
            await self.engine.update(str(raw["ID"]), int(raw["Version"]["Index"]), spec)
            return {"to": f"spec version {wanted}"}
        if step == "converge":
            ok_states = ("rollback_completed",) if wanted is None else ("completed",)
            fail = ("rollback_paused",) if wanted is None else UPDATE_FAILED
            ok, s = await self._wait_converged(name, timeout_s, ok_states, fail)
            out = {
                "update_state": s.update_state,
                "running": s.replicas_running,
                "desired": s.replicas_desired,
                "image": s.image,
                "image_tag": s.image_tag,
            }
            if not ok:
                raise StepFailed(
                    "rollback_not_converged",
                    f"{name} did not converge ({s.update_state})",
                    output=out,
                )
            return out
        if step == "verify":
            before = ctx.job.steps[0].output or {}
            after = ctx.job.steps[2].output or {}
            versions = (_tag(before.get("image")), after.get("image_tag"))
            report = await self._playbook(ctx.job, "rollback_verify", "rollback", versions)
            verified = _output(report)
            if not report.ok:
                raise StepFailed(
                    "rollback_unhealthy",
                    f"{name} failed playbook.rollback_verify ({', '.join(report.failed())})",
                    output=verified,
                )
            return verified
        raise StepFailed("unknown_step", step)

    def summarize(self, job: Job) -> str:
        to = job.params.get("to_spec_version")
        target = f"spec v{to}" if to else "the previous spec"
        return f"rollback {job.params['service']} to {target}: {job.status}"


def _tag(image: Any) -> str | None:
    """An image reference's tag (None without one)."""
    return split_image(image)[1] if isinstance(image, str) and image else None


def _output(report: PlaybookReport) -> dict[str, Any]:
    out: dict[str, Any] = msgspec.to_builtins(report)
    return out
