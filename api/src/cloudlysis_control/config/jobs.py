"""`config.apply` and `config.rollback`: a plan applied as planned, verified, undone if the
platform does not serve it.

The request carries the plan's base revision, its patch (apply) or target revision (rollback)
and its hash. The pre-create preflight plans again: 409 `plan_stale` when the config moved or
the plan differs, 422 `preflight_refused` when the proposal is invalid or a guardrail blocks it.
Steps: `write` (compare-and-set on the base revision; a baseline of the base value goes to the
history first, so it can always be restored), `reload` (every affected instance), `verify`
(docs: config/verify.py). A failed reload or verification restores the previous revision
(`compensate:restore`, `compensate:reload`, `compensate:verify`) and the job ends `failed` with
what was seen. Every step is idempotent: a write finds its own earlier write (same sha256).
"""

from __future__ import annotations

from typing import Any, ClassVar

import msgspec

from cloudlysis_control.audit.service import AuditService
from cloudlysis_control.config.diff import PatchFailed, apply_patch
from cloudlysis_control.config.domains import DOMAINS, Validated
from cloudlysis_control.config.model import (
    ConfigId,
    ConfigName,
    DomainName,
    Revision,
    Scope,
    as_builtins,
    canonical,
)
from cloudlysis_control.config.plan import blocks
from cloudlysis_control.config.ports import Annotator, ConfigAgents
from cloudlysis_control.config.schemas import ConfigPlan, HistoryOp, Patch, PlanHash
from cloudlysis_control.config.service import ConfigService, stale_base
from cloudlysis_control.config.steps import ChangeParams, ChangeSteps, step_output
from cloudlysis_control.core.checks import CheckResult, Finding
from cloudlysis_control.core.errors import (
    ConfigInvalid,
    ConfirmationMismatch,
    PlanStale,
    PreflightRefused,
)
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
from cloudlysis_control.locks.service import LockService

RIGHT_CONFIG_WRITE = "control.config.write"
RESTORE_STEPS = ["compensate:restore", "compensate:reload", "compensate:verify"]


class ApplyParams(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    domain: DomainName
    name: ConfigName
    scope: Scope = "platform"
    base_revision: Revision | None
    patch: Patch
    plan_hash: PlanHash
    confirm: ConfigName


class RollbackParams(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    domain: DomainName
    name: ConfigName
    scope: Scope = "platform"
    base_revision: Revision | None
    target_revision: Revision
    plan_hash: PlanHash
    confirm: ConfigName


def _failures(findings: list[Finding]) -> list[CheckResult]:
    return [
        CheckResult(check=f.code, ok=False, value=f.pointer or None, detail=f.message)
        for f in findings
        if f.severity == "error"
    ]


class _ConfigChange(JobKind):
    right = RIGHT_CONFIG_WRITE
    op: ClassVar[HistoryOp]
    retry = RetryPolicy(max_attempts=3, base_delay_s=0.2, max_delay_s=2.0)
    job_timeout_s = 1800.0

    def __init__(
        self,
        service: ConfigService,
        agents: ConfigAgents,
        audit: AuditService | None,
        annotator: Annotator | None,
        step_timeout_s: float,
        locks: LockService | None = None,
    ) -> None:
        self.service = service
        self.lock_service = locks
        self.changes = ChangeSteps(service, agents, audit, annotator)
        self.step_timeout_s = step_timeout_s

    def step_timeout_for(self, step: str) -> float:
        if step.endswith("verify"):
            return self.step_timeout_s + 600.0  # the plan's verify_timeout (≤ 10 min) rules
        return self.step_timeout_s

    def validate(self, params: Params, tenant_id: str | None) -> Params:
        p = super().validate(params, tenant_id)
        if p["confirm"] != p["name"]:
            raise ConfirmationMismatch(
                "confirm must repeat the config's name exactly", errors=[{"field": "confirm"}]
            )
        return p

    def locks(self, params: Params) -> list[LockSpec]:
        cid = ConfigId(params["domain"], params["name"], params["scope"])
        return [("config", cid.lock_name)]

    def steps(self, params: Params) -> list[str]:
        return ["write", "reload", "verify"]

    async def _plan(self, p: ChangeParams) -> ConfigPlan:
        raise NotImplementedError

    async def preflight(self, params: Params, ctx: PreflightContext) -> Params:
        p = msgspec.convert(params, ChangeParams)
        _, cid = self.service.config_id(p.domain, p.name, p.scope)
        self.service.store.writable(cid)
        try:
            plan = await self._plan(p)
        except ConfigInvalid as e:
            findings = e.extra.get("findings") or []
            raise PreflightRefused(e.detail, failures=_failures(findings), findings=findings) from e
        fresh = checks.plan_hash_fresh(plan.plan_hash, p.plan_hash)
        if not fresh.ok:
            raise checks.stale(
                "the plan changed since it was made (the proposal, the base or the flags' "
                "thresholds): plan again and confirm the new plan",
                [fresh],
                current_revision=plan.base_revision,
            )
        if not plan.changed:
            raise PreflightRefused(f"{cid} already has this value: nothing to change")
        lock = await checks.lock_free(self.lock_service, "config", cid.lock_name, ctx.job_id)
        blocking = [f for f in plan.findings if f.severity == "error"]
        guarded = {c.check for c in plan.checks}
        checks.refuse(
            [
                lock,
                *_failures([f for f in blocking if f.code not in guarded]),
                *[c for c in plan.checks if blocks(c, plan.thresholds)],
            ],
            detail=f"{len(blocking)} finding(s) block this change: {blocking[0].message}"
            if blocking
            else "",
            findings=blocking,
        )
        out: Params = {
            **params,
            "proposed_sha256": plan.proposed_sha256,
            "base_sha256": plan.base_sha256,
            "targets": msgspec.to_builtins(plan.impact.services),
            "samples": msgspec.to_builtins(plan.verification),
            "verify_timeout_s": plan.thresholds.verify_timeout_s,
        }
        return out

    def compensation(self, job: Job, outcome: str) -> list[str]:
        write = next(s for s in job.steps if s.name == "write")
        return RESTORE_STEPS if write.attempts > 0 else []

    # -- running ------------------------------------------------------------------------------

    async def run_step(self, ctx: StepContext) -> dict[str, Any]:
        p = msgspec.convert(ctx.job.params, ChangeParams)
        step = ctx.step.name
        if step == "write":
            return await self.changes.write(ctx.job, p, self.op, self.proposed)
        if step in ("reload", "compensate:reload"):
            return await self.changes.reload(p)
        if step == "verify":
            revision = step_output(ctx.job, "write").get("revision")
            return await self.changes.verify(p, revision, after=True)
        if step == "compensate:restore":
            return await self.changes.restore(ctx.job, p)
        if step == "compensate:verify":
            restored = step_output(ctx.job, "compensate:restore")
            return await self.changes.verify(p, restored.get("revision"), after=False)
        raise StepFailed("unknown_step", f"no step {step}")

    async def proposed(self, p: ChangeParams, base_raw: bytes | None) -> bytes:
        raise NotImplementedError

    def _typed(self, p: ChangeParams, data: Any) -> bytes:
        model = DOMAINS[p.domain].model
        assert model is not None
        try:
            return canonical(msgspec.convert(data, model, strict=True))
        except msgspec.ValidationError as e:
            raise StepFailed("proposal_invalid", f"the proposal no longer decodes: {e}") from e

    def summarize(self, job: Job) -> str:
        p = msgspec.convert(job.params, ChangeParams)
        written = step_output(job, "write")
        move = f"{p.cid} {p.base_revision or 'none'} → {written.get('revision', '?')}"
        if job.status == "succeeded":
            return f"{self.op}: {move}, verified"
        if job.compensation is not None:
            undone = all(
                s.status == "succeeded" for s in job.steps if s.name.startswith("compensate:")
            )
            return f"{job.status}: {move}; " + (
                "restored and verified" if undone else "restore incomplete"
            )
        return f"{job.status}: {move}"

    def remediation(self, job: Job) -> str | None:
        if job.status == "succeeded":
            return None
        p = msgspec.convert(job.params, ChangeParams)
        cause = job.error.message if job.error else job.status
        steps = {s.name: s for s in job.steps}
        if steps["write"].status != "succeeded" and job.compensation is None:
            return f"Nothing was changed. Cause: {cause}. Fix it, then plan and apply again."
        left = [n for n in RESTORE_STEPS if n in steps and steps[n].status != "succeeded"]
        if not left:
            return (
                f"{p.cid} was restored to its previous value and verified. Cause: {cause}. "
                "Look at the verify step's output (what each instance served), fix it, plan again."
            )
        return (
            f"The change failed ({cause}) and the automatic restore did not complete "
            f"({', '.join(left)}). By hand: roll {p.cid} back to revision {p.base_revision} "
            "from its history, then check that every instance serves it."
        )


class ConfigApply(_ConfigChange):
    name = "config.apply"
    description = (
        "Apply a planned config change: compare-and-set write, reload, verify; restores the "
        "previous revision when verification fails"
    )
    endpoint = "POST /admin/v1/config/{domain}/{name}/apply"
    params_type = ApplyParams
    op = "apply"

    async def _plan(self, p: ChangeParams) -> ConfigPlan:
        stored, _ = await self.service.read(p.cid)
        if stored.revision != p.base_revision:
            raise stale_base(p.cid, stored.revision, p.base_revision)
        data = _patched(self._base_data(p, stored.raw), p.patch or [])
        checked: Validated = await self.service.validate_value(p.cid, data)
        if not checked.ok:
            raise ConfigInvalid("the proposal is invalid", findings=checked.findings)
        return await self.service.plan_value(p.cid, p.base_revision, checked)

    def _base_data(self, p: ChangeParams, raw: bytes | None) -> Any:
        if raw is None:
            return {}
        model = DOMAINS[p.domain].model
        assert model is not None
        try:
            return as_builtins(msgspec.json.decode(raw, type=model))
        except (msgspec.DecodeError, msgspec.ValidationError):
            return msgspec.json.decode(raw)

    async def proposed(self, p: ChangeParams, base_raw: bytes | None) -> bytes:
        try:
            data = _patched(self._base_data(p, base_raw), p.patch or [])
        except PlanStale as e:
            raise StepFailed("plan_stale", e.detail) from e
        return self._typed(p, data)


def _patched(base: Any, patch: list[dict[str, Any]]) -> Any:
    try:
        return apply_patch(base, patch)
    except PatchFailed as e:
        raise PlanStale(
            f"the patch does not apply to the base revision: {e}",
            failures=[CheckResult(check="patch", ok=False, detail=str(e))],
        ) from e


class ConfigRollback(_ConfigChange):
    name = "config.rollback"
    description = (
        "Roll a config back to an earlier revision from its history, as planned: write, "
        "reload, verify; restores when verification fails"
    )
    endpoint = "POST /admin/v1/config/{domain}/{name}/rollback"
    params_type = RollbackParams
    op = "rollback"

    async def _plan(self, p: ChangeParams) -> ConfigPlan:
        assert p.target_revision is not None
        return await self.service.plan_rollback(p.cid, p.base_revision, p.target_revision)

    async def proposed(self, p: ChangeParams, base_raw: bytes | None) -> bytes:
        assert p.target_revision is not None
        data, _, _ = await self.service.value_at(p.cid, p.target_revision)
        return self._typed(p, data)
