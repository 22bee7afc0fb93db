"""`config.reload`: reload routing/config on chosen services of the live fleet."""

from __future__ import annotations

from typing import Any

import msgspec

from cloudlysis_control.core.errors import ParamsInvalid
from cloudlysis_control.jobs.kinds import (
    JobKind,
    LockSpec,
    Params,
    RetryPolicy,
    StepContext,
    StepFailed,
)
from cloudlysis_control.jobs.schemas import Job
from cloudlysis_control.operations.deps import RIGHT_CONFIG, OpsDeps


class ReloadParams(msgspec.Struct, forbid_unknown_fields=True):
    services: list[str]


class ConfigReload(JobKind):
    name = "config.reload"
    description = "Reload routing/config on chosen services (POST /admin/v1/config/reload)"
    right = RIGHT_CONFIG
    endpoint = "POST /admin/v1/config/reload"
    params_type = ReloadParams
    job_timeout_s = 300.0
    retry = RetryPolicy(max_attempts=3, base_delay_s=0.2, max_delay_s=2.0)
    continue_on_failure = True

    def __init__(self, deps: OpsDeps) -> None:
        self.deps = deps
        self.step_timeout_s = deps.settings.step_timeout_s
        self.fleet = deps.fleet

    def locks(self, params: Params) -> list[LockSpec]:
        return [("config", name) for name in params["services"]]

    def validate(self, params: Params, tenant_id: str | None) -> Params:
        p = super().validate(params, tenant_id)
        if not p["services"]:
            raise ParamsInvalid("services must name at least one fleet service")
        unknown = sorted(set(p["services"]) - set(self.fleet.names()))
        if unknown:
            raise ParamsInvalid(f"unknown services: {', '.join(unknown)}")
        return {"services": sorted(set(p["services"]))}

    def steps(self, params: Params) -> list[str]:
        return [f"reload:{name}" for name in params["services"]]

    async def run_step(self, ctx: StepContext) -> dict[str, Any]:
        name = ctx.step.name.removeprefix("reload:")
        service = self.fleet.get(name)
        if service is None:
            raise StepFailed("service_unknown", f"{name} is no longer in the fleet")
        result = await self.deps.admin.reload(service.url)
        out: dict[str, Any] = msgspec.to_builtins(result)
        return out

    def summarize(self, job: Job) -> str:
        ok = sum(1 for s in job.steps if s.status == "succeeded")
        return f"{ok}/{len(job.steps)} services reloaded"

    def remediation(self, job: Job) -> str | None:
        failed = [s.name.removeprefix("reload:") for s in job.steps if s.status == "failed"]
        if not failed:
            return None
        return (
            f"Not reloaded: {', '.join(failed)}. Their previous config stays in force; check "
            "their /ready and logs, then run config.reload for them again."
        )
