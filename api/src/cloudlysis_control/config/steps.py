"""The steps of a config change (`config.apply`, `config.rollback`): the compare-and-set write
(and its history, audit and annotation), the reload, the verification and the restore. Each is
idempotent: a write finds its own earlier write by the sha256, a restore finds the base value
already back."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from cloudlysis_control.audit.service import AuditService
from cloudlysis_control.config.diff import json_patch
from cloudlysis_control.config.history import record
from cloudlysis_control.config.model import ConfigId, DomainName, sha256
from cloudlysis_control.config.ports import Annotator, ConfigAgents
from cloudlysis_control.config.schemas import HistoryOp
from cloudlysis_control.config.service import ConfigService
from cloudlysis_control.config.store import StaleWrite
from cloudlysis_control.config.verify import samples_of, targets_of, verify
from cloudlysis_control.core.errors import ControlError
from cloudlysis_control.jobs.kinds import StepFailed
from cloudlysis_control.jobs.schemas import Job

Proposal = Callable[["ChangeParams", bytes | None], Awaitable[bytes]]


class ChangeParams(msgspec.Struct, kw_only=True):
    """The job's params: the request's, plus what its preflight planned."""

    domain: DomainName
    name: str
    scope: str
    base_revision: str | None
    plan_hash: str
    confirm: str
    patch: list[dict[str, Any]] | None = None
    target_revision: str | None = None
    proposed_sha256: str = ""
    base_sha256: str | None = None
    targets: list[dict[str, Any]] = []
    samples: list[dict[str, Any]] = []
    verify_timeout_s: float = 10.0

    @property
    def cid(self) -> ConfigId:
        return ConfigId(self.domain, self.name, self.scope)


def step_output(job: Job, step: str) -> dict[str, Any]:
    found = next((s for s in job.steps if s.name == step), None)
    return dict(found.output or {}) if found is not None else {}


class ChangeSteps:
    def __init__(
        self,
        service: ConfigService,
        agents: ConfigAgents,
        audit: AuditService | None,
        annotator: Annotator | None,
    ) -> None:
        self.service = service
        self.agents = agents
        self.audit = audit
        self.annotator = annotator

    async def write(
        self, job: Job, p: ChangeParams, op: HistoryOp, proposed: Proposal
    ) -> dict[str, Any]:
        cid, store, history = p.cid, self.service.store, self.service.history
        stored, current_sha = await self.service.read(cid)
        if stored.revision == p.base_revision:
            data = await proposed(p, stored.raw)
            if sha256(data) != p.proposed_sha256:
                raise StepFailed("plan_mismatch", "the proposal's sha256 is not the planned one")
            if (
                stored.raw is not None
                and stored.revision
                and history.at(cid, stored.revision) is None
            ):
                await history.append(
                    record(
                        cid,
                        revision=stored.revision,
                        previous_revision=None,
                        sha256=current_sha or sha256(stored.raw),
                        op="baseline",
                        canonical_value=stored.raw,
                    )
                )
            try:
                revision = await store.write(cid, data, p.base_revision)
            except StaleWrite as e:
                raise StepFailed(
                    "plan_stale", f"{cid} changed while writing: nothing written"
                ) from e
            await self.record(job, p, op, revision, p.base_revision, data)
            return {
                "revision": revision,
                "previous_revision": p.base_revision,
                "sha256": p.proposed_sha256,
                "already_applied": False,
            }
        if current_sha == p.proposed_sha256 and stored.revision is not None:
            # Written before a crash (or an answer lost): never write twice.
            if self.service.history.by_job(cid, job.id, op) is None:
                assert stored.raw is not None
                await self.record(job, p, op, stored.revision, p.base_revision, stored.raw)
            return {
                "revision": stored.revision,
                "previous_revision": p.base_revision,
                "sha256": current_sha,
                "already_applied": True,
            }
        raise StepFailed(
            "plan_stale",
            f"{cid} is at revision {stored.revision}, the plan was made at {p.base_revision}: "
            "nothing was written",
        )

    def _patch_from(
        self, cid: ConfigId, previous: str | None, data: bytes
    ) -> list[dict[str, Any]] | None:
        """A rollback's or restore's change, as an apply's: the patch from the revision it
        replaced (when history still holds that revision's value)."""
        before = self.service.history.at(cid, previous) if previous else None
        if before is None:
            return None
        try:
            return json_patch(
                msgspec.json.decode(before.canonical_value()), msgspec.json.decode(data)
            )
        except msgspec.DecodeError:
            return None

    async def record(
        self,
        job: Job,
        p: ChangeParams,
        op: HistoryOp,
        revision: str,
        previous: str | None,
        data: bytes,
    ) -> None:
        cid = p.cid
        patch = p.patch if op == "apply" else self._patch_from(cid, previous, data)
        await self.service.history.append(
            record(
                cid,
                revision=revision,
                previous_revision=previous,
                sha256=sha256(data),
                op=op,
                canonical_value=data,
                patch=patch,
                actor=job.created_by,
                reason=job.reason,
                job_id=job.id,
                plan_hash=p.plan_hash,
            )
        )
        if self.audit is not None:
            await self.audit.record(
                actor=job.created_by,
                action=f"config.{op}",
                target=f"config:{cid}",
                outcome="succeeded",
                reason=job.reason,
                job_id=job.id,
                detail={
                    "revision": revision,
                    "previous_revision": previous,
                    "sha256": sha256(data),
                },
                event_id=f"{job.id}.{op}.{revision}",
            )
        if self.annotator is not None:
            self.annotator.submit(
                {
                    "time": int(time.time() * 1000),
                    "tags": [
                        "config",
                        f"domain:{cid.domain}",
                        f"name:{cid.name}",
                        f"scope:{cid.scope}",
                        f"revision:{revision}",
                        f"job:{job.id}",
                        f"op:{op}",
                    ],
                    "text": f"config {op} {cid}: revision {previous or 'none'} → {revision} "
                    f"({job.reason})",
                }
            )

    async def reload(self, p: ChangeParams) -> dict[str, Any]:
        out: dict[str, Any] = {}
        failed = []
        for t in targets_of(msgspec.to_builtins(p)):
            try:
                state = await self.agents.reload(t.url)
                out[t.instance] = {
                    "config_generation": state.config_generation,
                    "revisions": state.revisions,
                }
            except ControlError as e:
                failed.append(f"{t.instance}: {e.detail}")
        if failed:
            raise StepFailed("reload_failed", "; ".join(failed)[:500], retryable=True, output=out)
        return {"reloaded": out}

    async def verify(self, p: ChangeParams, revision: str | None, *, after: bool) -> dict[str, Any]:
        builtins = msgspec.to_builtins(p)
        if p.domain == "flags":
            stored, digest = await self.service.read(p.cid)
            want = p.proposed_sha256 if after else p.base_sha256
            if stored.revision != revision or digest != want:
                raise StepFailed("verification_failed", f"flags read back at {stored.revision}")
            return {"revision": revision, "sha256": digest}
        return await verify(
            self.agents,
            p.cid,
            targets_of(builtins),
            revision,
            samples_of(builtins),
            p.verify_timeout_s,
            after=after,
        )

    async def restore(self, job: Job, p: ChangeParams) -> dict[str, Any]:
        cid, store = p.cid, self.service.store
        written = step_output(job, "write")
        stored, current_sha = await self.service.read(cid)
        if current_sha == p.base_sha256:
            return {
                "restored": False,
                "revision": stored.revision,
                "why": "already at the base value",
            }
        if written.get("revision") is not None and stored.revision != written["revision"]:
            raise StepFailed(
                "restore_conflict",
                f"{cid} moved to revision {stored.revision} after this job wrote "
                f"{written.get('revision')}: not restoring over someone else's change",
            )
        if stored.revision is None:
            return {"restored": False, "revision": None, "why": "nothing was written"}
        if p.base_revision is None:
            await store.delete(cid, stored.revision)
            await self.record(job, p, "restore", stored.revision, stored.revision, b"null")
            return {"restored": True, "revision": None}
        base = self.service.history.at(cid, p.base_revision)
        if base is None:
            raise StepFailed(
                "restore_unavailable", f"revision {p.base_revision} is not in the history"
            )
        data = base.canonical_value()
        try:
            revision = await store.write(cid, data, stored.revision)
        except StaleWrite as e:
            raise StepFailed(
                "restore_conflict", f"{cid} changed while restoring", retryable=True
            ) from e
        await self.record(job, p, "restore", revision, stored.revision, data)
        return {"restored": True, "revision": revision, "previous_revision": stored.revision}

    # -- reporting ----------------------------------------------------------------------------
