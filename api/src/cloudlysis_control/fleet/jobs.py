"""`platform.verify`: probe every service of the fleet, one step per service.

This is the post-deploy verification playbook: a step fails when its service is not healthy and
ready or exposes no build info; the job then fails and lists every finding. The fleet is the
live registry, so instances discovered from Swarm labels are verified like configured ones.
"""

from __future__ import annotations

from typing import Any, ClassVar

import msgspec

from cloudlysis_control.core.errors import ParamsInvalid
from cloudlysis_control.fleet.ports import Prober
from cloudlysis_control.fleet.registry import FleetRegistry
from cloudlysis_control.jobs.kinds import JobKind, Params, RetryPolicy, StepContext, StepFailed
from cloudlysis_control.jobs.schemas import Job


class VerifyParams(msgspec.Struct, forbid_unknown_fields=True):
    services: list[str] | None = None  # default: the whole fleet


class PlatformVerify(JobKind):
    name = "platform.verify"
    description = "Probe /health, /ready and /metrics of every service in the fleet"
    right = "control.jobs.run"
    params_type: ClassVar[type[msgspec.Struct]] = VerifyParams
    step_timeout_s = 10.0
    job_timeout_s = 300.0
    retry = RetryPolicy(max_attempts=3, base_delay_s=0.3, max_delay_s=3.0)
    continue_on_failure = True

    def __init__(self, fleet: FleetRegistry, probe: Prober) -> None:
        self.fleet = fleet
        self.probe = probe

    def validate(self, params: Params, tenant_id: str | None) -> Params:
        p = super().validate(params, tenant_id)
        known = self.fleet.names()
        if not known:
            raise ParamsInvalid(
                "the fleet is empty: no instance is configured (CONTROL_FLEET_FILE) or "
                "discovered from Swarm labels yet"
            )
        if p["services"] is None:
            return {"services": known}
        unknown = sorted(set(p["services"]) - set(known))
        if unknown:
            raise ParamsInvalid(f"unknown services: {', '.join(unknown)}")
        if not p["services"]:
            raise ParamsInvalid("services must not be empty when given")
        return {"services": sorted(set(p["services"]))}

    def steps(self, params: Params) -> list[str]:
        return [f"probe:{name}" for name in params["services"]]

    async def run_step(self, ctx: StepContext) -> dict[str, Any]:
        name = ctx.step.name.removeprefix("probe:")
        service = self.fleet.get(name)
        if service is None:
            raise StepFailed("service_unknown", f"{name} is no longer in the fleet")
        result = await self.probe.probe(service.url)
        output = {"service": name, "kind": service.kind, **msgspec.to_builtins(result)}
        if result.health is None and result.ready is None:
            raise StepFailed(
                "service_unreachable", result.error or "unreachable", retryable=True, output=output
            )
        problems = []
        if result.health != 200:
            problems.append(f"/health answered {result.health}")
        if result.ready != 200:
            problems.append(f"/ready answered {result.ready}")
        if not result.metrics_ok or result.version is None:
            problems.append("no *_build_info in /metrics")
        if problems:
            raise StepFailed(
                "service_unhealthy",
                f"{name}: " + "; ".join(problems),
                retryable=True,
                output=output,
            )
        return output

    def summarize(self, job: Job) -> str:
        ok = sum(1 for s in job.steps if s.status == "succeeded")
        return f"{ok}/{len(job.steps)} services healthy"
