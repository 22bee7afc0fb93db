"""`tenant.drain` and `tenant.resume`: per kind, on every instance of the tenant's shard.

Both are idempotent on the services (service-admin.md §2), so a job taken over after a crash
simply runs its unfinished step again. A drain is refused before it exists when another job
holds the tenant or an instance cannot be reached (the preflight lists every failed check).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import msgspec

from cloudlysis_control.core.errors import ParamsInvalid
from cloudlysis_control.core.validation import TenantId
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
from cloudlysis_control.operations.deps import RIGHT_OPERATE, OpsDeps
from cloudlysis_control.operations.preflight import raise_refusal
from cloudlysis_control.placement.schemas import KINDS, PlacementKind

_POLL_S = 0.1


class _TenantOps:
    """Drain / resume helpers shared by the tenant kinds (migrate drains and resumes too)."""

    deps: OpsDeps

    def require_loaded(self, kind: PlacementKind) -> None:
        if self.deps.placement.state.maps[kind].value is None:
            # Just started (a takeover at start-up): the placement watch has not delivered yet.
            raise StepFailed(
                "placement_not_loaded", f"the {kind} placement is not loaded yet", retryable=True
            )

    def endpoints(self, kind: PlacementKind, shard: str | None) -> list[str]:
        self.require_loaded(kind)
        urls = self.deps.placement.shard_endpoints(kind, shard)
        if not urls:
            raise StepFailed("no_endpoints", f"{kind} shard {shard} has no endpoints")
        return urls

    async def drain(self, kind: PlacementKind, shard: str | None, tenant: str) -> dict[str, Any]:
        urls = self.endpoints(kind, shard)
        admin = self.deps.admin
        await asyncio.gather(*(admin.drain(u, tenant) for u in urls))
        started = time.monotonic()
        timeout = self.deps.settings.drain_timeout_s
        while True:
            statuses = await asyncio.gather(*(admin.tenant_status(u, tenant) for u in urls))
            inflight = sum(s.inflight for s in statuses)
            waited = round(time.monotonic() - started, 3)
            output = {
                "kind": kind,
                "shard": shard,
                "endpoints": urls,
                "inflight": inflight,
                "waited_s": waited,
            }
            if inflight == 0:
                return output
            if waited >= timeout:
                raise StepFailed(
                    "drain_timeout",
                    f"{tenant} still has {inflight} inflight on {kind} shard {shard} after "
                    f"{timeout:g} s",
                    output=output,
                )
            await asyncio.sleep(_POLL_S)

    async def resume(self, kind: PlacementKind, shard: str | None, tenant: str) -> dict[str, Any]:
        urls = self.endpoints(kind, shard)
        statuses = await asyncio.gather(*(self.deps.admin.resume(u, tenant) for u in urls))
        return {
            "kind": kind,
            "shard": shard,
            "endpoints": urls,
            "accepting": all(s.accepting for s in statuses),
        }


class TenantOpParams(msgspec.Struct, forbid_unknown_fields=True):
    tenant_id: TenantId
    kinds: list[PlacementKind] | None = None


class _DrainOrResume(_TenantOps, JobKind):
    action: str
    right = RIGHT_OPERATE
    tenant_scoped = True
    params_type = TenantOpParams
    job_timeout_s = 600.0
    retry = RetryPolicy(max_attempts=3, base_delay_s=0.2, max_delay_s=2.0)
    continue_on_failure = False

    def __init__(self, deps: OpsDeps) -> None:
        self.deps = deps
        self.step_timeout_s = deps.settings.step_timeout_s

    def step_timeout_for(self, step: str) -> float:
        s = self.deps.settings
        return s.step_timeout_s + (s.drain_timeout_s if step.startswith("drain:") else 0)

    def locks(self, params: Params) -> list[LockSpec]:
        return [("tenant", params["tenant_id"])]

    def validate(self, params: Params, tenant_id: str | None) -> Params:
        p = super().validate(params, tenant_id)
        kinds = [k for k in KINDS if p["kinds"] is None or k in p["kinds"]]
        if not kinds:
            raise ParamsInvalid("kinds must not be empty when given")
        return {"tenant_id": p["tenant_id"], "kinds": kinds}

    def steps(self, params: Params) -> list[str]:
        return [f"{self.action}:{k}" for k in params["kinds"]]

    async def run_step(self, ctx: StepContext) -> dict[str, Any]:
        tenant = ctx.job.params["tenant_id"]
        kind: PlacementKind = ctx.step.name.split(":", 1)[1]  # type: ignore[assignment]
        shard = self.deps.placement.state.index.placement(tenant, kind).shard
        if self.action == "drain":
            return await self.drain(kind, shard, tenant)
        return await self.resume(kind, shard, tenant)

    def summarize(self, job: Job) -> str:
        ok = [s.name.split(":", 1)[1] for s in job.steps if s.status == "succeeded"]
        verb = "drained" if self.action == "drain" else "resumed"
        return f"{job.params['tenant_id']} {verb} on {', '.join(ok) or 'nothing'}"


class TenantDrain(_DrainOrResume):
    name = "tenant.drain"
    endpoint = "POST /admin/v1/tenants/{tenant_id}/drain"
    description = "Drain a tenant on every instance of its shard, per kind; wait for inflight 0"
    action = "drain"

    async def preflight(self, params: Params, ctx: PreflightContext) -> Params:
        tenant = params["tenant_id"]
        report = await self.deps.preflight.for_drain(tenant, params["kinds"], ctx.job_id)
        raise_refusal(tenant, report)
        return params


class TenantResume(_DrainOrResume):
    name = "tenant.resume"
    endpoint = "POST /admin/v1/tenants/{tenant_id}/resume"
    description = "Resume a drained tenant on every instance of its shard, per kind"
    action = "resume"

    async def preflight(self, params: Params, ctx: PreflightContext) -> Params:
        tenant = params["tenant_id"]
        raise_refusal(tenant, await self.deps.preflight.for_resume(tenant, ctx.job_id))
        return params
