"""Job kinds `drift.acknowledge`, `drift.adopt` and `drift.reapply`: the only ways drift changes
anything, each submitted by an operator (with a reason, audited like every job), never by itself.

- acknowledge: the item stays listed but is no longer counted as open, until its expiry.
- adopt: what runs becomes desired for that difference (recorded in KV; the item stays away
  while what runs keeps that value).
- reapply: make what runs what is desired: create a missing service from its stack file, remove
  an orphan, restore env / constraints / replicas, restart tasks of an unhealthy service; then
  wait until the item is gone. Version and config-revision items re-apply through
  `service.deploy` and `config.reload` instead (their remedies say so).
"""

from __future__ import annotations

import asyncio
import copy
import time
from typing import Annotated, Any

import msgspec

from cloudlysis_control.core.checks import CheckResult
from cloudlysis_control.core.errors import ConfirmationMismatch, ControlError, PreflightRefused
from cloudlysis_control.drift.classify import Finding
from cloudlysis_control.drift.desired import DesiredService
from cloudlysis_control.drift.service import DriftService
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
from cloudlysis_control.swarm.normalise import STACK_LABEL

RIGHT_DRIFT = "control.deployments.operate"
ItemId = Annotated[str, msgspec.Meta(pattern=r"^dr_[0-9a-f]{20}$", description="A drift item id")]
POLL_S = 0.5
MAX_ACK_S = 90 * 86400


class AckParams(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    item_id: ItemId
    # How long the acknowledgement holds: at least a minute, at most 90 days.
    expires_in_s: Annotated[int, msgspec.Meta(ge=60, le=MAX_ACK_S)]


class AdoptParams(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    item_id: ItemId
    service: str
    field: str
    observed: str | None = None  # what the console saw; the job adopts what runs when it runs


class ReapplyParams(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    item_id: ItemId
    service: str
    field: str
    confirm: str  # repeats the service name


def _refuse(item_id: str, detail: str) -> PreflightRefused:
    return PreflightRefused(
        detail,
        failures=[CheckResult(check="drift_item_open", ok=False, value=item_id, detail=detail)],
    )


class _DriftJob(JobKind):
    right = RIGHT_DRIFT
    retry = RetryPolicy(max_attempts=2)

    def __init__(self, drift: DriftService) -> None:
        self.drift = drift

    async def _open(self, item_id: str, remedy_kind: str | None) -> Finding:
        try:
            f, _c = await self.drift.finding(item_id)
        except ControlError as e:
            if e.status == 404:
                raise _refuse(item_id, f"drift item {item_id} is not open any more") from e
            raise
        if remedy_kind is not None and not any(r.job_kind == remedy_kind for r in f.remedies):
            raise _refuse(item_id, f"{self.name} is not a remedy of drift item {item_id}")
        return f

    def locks(self, params: Params) -> list[LockSpec]:
        service = str(params.get("service") or "")
        return [("service", service)] if service else []


class DriftAcknowledge(_DriftJob):
    name = "drift.acknowledge"
    description = "Acknowledge a drift item with a reason until an expiry (it stays listed)"
    endpoint = "POST /admin/v1/platform/drift/{item_id}/acknowledge"
    params_type = AckParams
    retry = RetryPolicy(max_attempts=3)

    async def preflight(self, params: Params, ctx: PreflightContext) -> Params:
        await self._open(params["item_id"], None)
        return params

    def steps(self, params: Params) -> list[str]:
        return ["acknowledge"]

    async def run_step(self, ctx: StepContext) -> dict[str, Any]:
        job = ctx.job
        expires = time.time() + int(job.params["expires_in_s"])
        try:
            ack = await self.drift.acknowledge(
                job.params["item_id"], job.created_by, job.reason, expires, job.id
            )
        except ControlError as e:
            if e.status == 404:
                raise StepFailed("drift_item_gone", e.detail) from e
            raise
        return {"item_id": job.params["item_id"], "expires_at": ack.expires_at}

    def summarize(self, job: Job) -> str:
        return f"acknowledge drift item {job.params['item_id']}: {job.status}"


class DriftAdopt(_DriftJob):
    name = "drift.adopt"
    description = "Adopt what runs as desired for one drift item (recorded; nothing is changed)"
    endpoint = "POST /admin/v1/platform/drift/{item_id}/adopt"
    params_type = AdoptParams

    async def preflight(self, params: Params, ctx: PreflightContext) -> Params:
        f = await self._open(params["item_id"], self.name)
        return {**params, "service": f.service, "field": f.field, "observed": f.observed}

    def steps(self, params: Params) -> list[str]:
        return ["adopt"]

    async def run_step(self, ctx: StepContext) -> dict[str, Any]:
        job = ctx.job
        item_id = job.params["item_id"]
        if item_id in self.drift.state.adoptions:
            return {"item_id": item_id, "adopted": self.drift.state.adoptions[item_id].observed}
        try:
            f, _ = await self.drift.finding(item_id)
        except ControlError as e:
            if e.status == 404:
                raise StepFailed("drift_item_gone", e.detail) from e
            raise
        await self.drift.adopt(f, job.created_by, job.reason, job.id)
        await self.drift.compute()
        return {"item_id": item_id, "adopted": f.observed, "field": f.field}

    def summarize(self, job: Job) -> str:
        return f"adopt {job.params['field']} of {job.params['service']} as desired: {job.status}"


def _container(spec: dict[str, Any]) -> dict[str, Any]:
    task = spec.setdefault("TaskTemplate", {})
    container: dict[str, Any] = task.setdefault("ContainerSpec", {})
    return container


def _created_spec(d: DesiredService) -> dict[str, Any]:
    """The Swarm spec `docker stack deploy` would make of the stack file's service, for what
    drift knows of it (image, env, labels, constraints, replicas)."""
    spec: dict[str, Any] = {
        "Name": d.service,
        "Labels": {**d.labels, STACK_LABEL: d.stack, "com.docker.stack.image": d.image or ""},
        "TaskTemplate": {
            "ContainerSpec": {
                "Image": d.image,
                "Env": list(d.env_values),
                "Labels": {**d.container_labels, STACK_LABEL: d.stack},
            },
            "Placement": {"Constraints": list(d.constraints)} if d.constraints else {},
        },
        "Mode": {"Replicated": {"Replicas": d.replicas}}
        if d.replicas is not None
        else {"Global": {}},
    }
    return spec


class DriftReapply(_DriftJob):
    name = "drift.reapply"
    description = (
        "Re-apply what is desired for one drift item: create a missing service, remove an orphan, "
        "restore env, constraints or replicas, or restart an unhealthy service; then verify"
    )
    endpoint = "POST /admin/v1/platform/drift/{item_id}/reapply"
    params_type = ReapplyParams
    step_timeout_s = 120.0
    job_timeout_s = 300.0
    verify_timeout_s = 90.0

    def validate(self, params: Params, tenant_id: str | None) -> Params:
        p = super().validate(params, tenant_id)
        if p["confirm"] != p["service"]:
            raise ConfirmationMismatch(
                "confirm must repeat the service name exactly", errors=[{"field": "confirm"}]
            )
        return p

    async def preflight(self, params: Params, ctx: PreflightContext) -> Params:
        f = await self._open(params["item_id"], self.name)
        if f.service != params["service"] or f.field != params["field"]:
            raise _refuse(params["item_id"], "the item's service or field changed: look again")
        return params

    def steps(self, params: Params) -> list[str]:
        return ["apply", "verify"]

    async def _desired(self, service: str) -> DesiredService | None:
        c = await self.drift.current()
        return next((d for d in c.desired.services if d.service == service), None)

    async def run_step(self, ctx: StepContext) -> dict[str, Any]:
        job = ctx.job
        item_id, service, field = job.params["item_id"], job.params["service"], job.params["field"]
        if ctx.step.name == "verify":
            return await self._verify(item_id)
        try:
            f, _ = await self.drift.finding(item_id)
        except ControlError as e:
            if e.status == 404:  # already applied (a takeover) or resolved meanwhile
                return {"item_id": item_id, "applied": False, "why": "the item is no longer open"}
            raise
        engine = self.drift.swarm.engine
        if f.category == "missing":
            d = await self._desired(service)
            if d is None or not d.image:
                raise StepFailed("not_desired", f"{service} is no longer in a desired stack")
            await engine.create(_created_spec(d))
            return {"item_id": item_id, "created": service, "image": d.image}
        if f.category == "extra":
            raw = await engine.service(service)
            await engine.remove(str(raw["ID"]))
            return {"item_id": item_id, "removed": service}
        raw = await engine.service(service)
        spec = copy.deepcopy(raw.get("Spec") or {})
        d = await self._desired(service)
        changed: dict[str, Any] = {}
        if field == "env" and d is not None:
            _container(spec)["Env"] = list(d.env_values)
            changed["env"] = "restored (values not shown)"
        elif field == "constraints" and d is not None:
            spec.setdefault("TaskTemplate", {}).setdefault("Placement", {})["Constraints"] = list(
                d.constraints
            )
            changed["constraints"] = list(d.constraints)
        elif field == "replicas":
            want = (d.replicas if d is not None else None) or _int(f.desired)
            if want is None:
                raise StepFailed("no_desired_replicas", f"no desired replica count for {service}")
            spec.setdefault("Mode", {})["Replicated"] = {"Replicas": want}
            task = spec.setdefault("TaskTemplate", {})
            task["ForceUpdate"] = int(task.get("ForceUpdate") or 0) + 1
            changed["replicas"] = want
        elif field == "health":
            task = spec.setdefault("TaskTemplate", {})
            task["ForceUpdate"] = int(task.get("ForceUpdate") or 0) + 1
            changed["restart"] = True
        else:
            raise StepFailed(
                "not_reapplicable", f"{field} of {service} cannot be re-applied by drift"
            )
        await engine.update(str(raw["ID"]), int(raw["Version"]["Index"]), spec)
        return {"item_id": item_id, "service": service, **changed}

    async def _verify(self, item_id: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.verify_timeout_s
        while True:
            c = await self.drift.compute()
            if item_id not in c.findings:
                return {"item_id": item_id, "resolved": True}
            if time.monotonic() >= deadline:
                f = c.findings[item_id]
                raise StepFailed(
                    "drift_not_resolved",
                    f"the difference is still there after {self.verify_timeout_s:g} s: {f.detail}",
                    output={"desired": f.desired, "observed": f.observed},
                )
            await asyncio.sleep(POLL_S)

    def summarize(self, job: Job) -> str:
        return f"re-apply {job.params['field']} of {job.params['service']}: {job.status}"


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None
