"""Job kinds that change the platform: tenant drain, resume and migrate, and config reload.

Every step is idempotent, so a job taken over after a crash simply runs its unfinished step again:
drain and resume are idempotent on the services (service-admin.md §2), a reload is harmless to
repeat, and the placement write first looks whether it is already applied (the tenant already on
the target) before its compare-and-set on the planned revision.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, Protocol

import msgspec

from cloudlysis_control.adapters.gateway import RouteResolution, RoutingReload
from cloudlysis_control.adapters.service_admin import ReloadResult, TenantStatus
from cloudlysis_control.core.errors import ValidationFailed
from cloudlysis_control.core.settings import OpsSettings
from cloudlysis_control.fleet.registry import FleetService
from cloudlysis_control.jobs.kinds import RetryPolicy, StepContext, StepFailed
from cloudlysis_control.jobs.schemas import Job, Step
from cloudlysis_control.operations.plan import COMPENSATE_STEPS, MIGRATE_STEPS
from cloudlysis_control.operations.preflight import Preflight
from cloudlysis_control.operations.schemas import Thresholds
from cloudlysis_control.placement.schemas import (
    KINDS,
    MAP_KEYS,
    SHARD_RE,
    TENANT_ID_RE,
    PlacementInvalid,
    PlacementKind,
    PlacementMap,
    decode_map,
)
from cloudlysis_control.placement.service import PlacementService
from cloudlysis_control.ports import KeyValue, RevisionMismatch

RIGHT_OPERATE = "control.tenants.operate"
RIGHT_CONFIG = "control.config.write"
_POLL_S = 0.1


class TenantAdmin(Protocol):
    async def tenant_status(self, endpoint: str, tenant_id: str) -> TenantStatus: ...
    async def drain(self, endpoint: str, tenant_id: str) -> TenantStatus: ...
    async def resume(self, endpoint: str, tenant_id: str) -> TenantStatus: ...
    async def reload(self, endpoint: str) -> ReloadResult: ...


class RoutingGateway(Protocol):
    async def reload_routing(self) -> RoutingReload: ...
    async def resolve(self, tenant_id: str, kind: str) -> RouteResolution: ...


@dataclass
class OpsDeps:
    placement: PlacementService
    placement_kv: KeyValue | None  # None: placement comes from the dev file (read-only)
    admin: TenantAdmin
    gateway: RoutingGateway | None
    preflight: Preflight
    settings: OpsSettings
    fleet: list[FleetService]


def _convert(params: dict[str, Any], model: type[Any]) -> Any:
    try:
        return msgspec.convert(params, model)
    except msgspec.ValidationError as e:
        raise ValidationFailed(f"invalid params: {e}") from e


def _tenant(value: str) -> str:
    if not TENANT_ID_RE.match(value):
        raise ValidationFailed("tenant_id must match [a-z0-9][a-z0-9-]{0,62}")
    return value


class _TenantOps:
    """Drain / resume helpers shared by the tenant kinds."""

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
    tenant_id: str
    kinds: list[PlacementKind] | None = None


class _DrainOrResume(_TenantOps):
    action: str
    right = RIGHT_OPERATE
    tenant_scoped = True
    job_timeout_s = 600.0
    retry = RetryPolicy(max_attempts=3, base_delay_s=0.2, max_delay_s=2.0)
    continue_on_failure = False

    def __init__(self, deps: OpsDeps) -> None:
        self.deps = deps
        self.step_timeout_s = deps.settings.step_timeout_s

    def step_timeout_for(self, step: str) -> float:
        s = self.deps.settings
        return s.step_timeout_s + (s.drain_timeout_s if step.startswith("drain:") else 0)

    def locks(self, params: dict[str, Any]) -> list[tuple[str, str]]:
        return [("tenant", params["tenant_id"])]

    def validate(self, params: dict[str, Any]) -> dict[str, Any]:
        p: TenantOpParams = _convert(params, TenantOpParams)
        kinds = [k for k in KINDS if p.kinds is None or k in p.kinds]
        if not kinds:
            raise ValidationFailed("kinds must not be empty when given")
        return {"tenant_id": _tenant(p.tenant_id), "kinds": kinds}

    def plan(self, params: dict[str, Any]) -> list[str]:
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


class TenantResume(_DrainOrResume):
    name = "tenant.resume"
    endpoint = "POST /admin/v1/tenants/{tenant_id}/resume"
    description = "Resume a drained tenant on every instance of its shard, per kind"
    action = "resume"


class MigrateParams(msgspec.Struct, forbid_unknown_fields=True):
    tenant_id: str
    kind: PlacementKind
    source_shard: str | None
    source_explicit: bool
    target_shard: str
    placement_revision: str | None
    plan_hash: str
    thresholds: Thresholds
    compensate: bool = True


class TenantMigrate(_TenantOps):
    name = "tenant.migrate"
    description = (
        "Move a tenant to another shard: preflight, drain, placement CAS, Gateway reload and "
        "verify, resume; compensates on failure or cancel"
    )
    endpoint = "POST /admin/v1/tenants/{tenant_id}/migrate"
    right = RIGHT_OPERATE
    tenant_scoped = True
    retry = RetryPolicy(max_attempts=3, base_delay_s=0.2, max_delay_s=2.0)
    continue_on_failure = False

    def __init__(self, deps: OpsDeps) -> None:
        self.deps = deps
        s = deps.settings
        self.step_timeout_s = s.step_timeout_s
        self.job_timeout_s = 3 * (s.drain_timeout_s + s.verify_timeout_s + 8 * s.step_timeout_s)

    def step_timeout_for(self, step: str) -> float:
        s = self.deps.settings
        if step == "drain_source":
            return s.step_timeout_s + s.drain_timeout_s
        if step == "verify_routing":
            return s.step_timeout_s + s.verify_timeout_s
        return s.step_timeout_s

    def locks(self, params: dict[str, Any]) -> list[tuple[str, str]]:
        return [("tenant", params["tenant_id"])]

    def validate(self, params: dict[str, Any]) -> dict[str, Any]:
        p: MigrateParams = _convert(params, MigrateParams)
        _tenant(p.tenant_id)
        if not SHARD_RE.match(p.target_shard):
            raise ValidationFailed("target_shard is not a valid shard name")
        out: dict[str, Any] = msgspec.to_builtins(p)
        return out

    def plan(self, params: dict[str, Any]) -> list[str]:
        return [name for name, _ in MIGRATE_STEPS]

    def compensation(self, job: Job, outcome: str) -> list[str]:
        steps = {s.name: s for s in job.steps}
        if not job.params.get("compensate", True) or steps["drain_source"].attempts == 0:
            return []
        if steps["update_placement"].attempts == 0:
            return ["compensate:resume_source"]
        return [name for name, _ in COMPENSATE_STEPS]

    async def run_step(self, ctx: StepContext) -> dict[str, Any]:
        p = msgspec.convert(ctx.job.params, MigrateParams)
        step = ctx.step.name
        if step == "preflight":
            self.require_loaded(p.kind)
            report = await self.deps.preflight.for_migrate(
                p.tenant_id,
                p.kind,
                p.source_shard,
                p.target_shard,
                p.placement_revision,
                job_id=ctx.job.id,
            )
            output = {"checks": msgspec.to_builtins(report.checks)}
            if not report.ok:
                failed = "; ".join(c.message for c in report.failures())
                raise StepFailed("preflight_refused", failed, output=output)
            return output
        if step == "drain_source":
            return await self.drain(p.kind, p.source_shard, p.tenant_id)
        if step == "update_placement":
            return await self._move(p)
        if step in ("reload_routing", "compensate:reload_routing"):
            reload = await self._gateway().reload_routing()
            return {
                "config_generation": reload.config_generation,
                "revisions": reload.revisions,
            }
        if step == "verify_routing":
            return await self._verify(p)
        if step == "resume_target":
            return await self.resume(p.kind, p.target_shard, p.tenant_id)
        if step == "compensate:restore_placement":
            return await self._restore(p)
        if step == "compensate:resume_source":
            return await self.resume(p.kind, p.source_shard, p.tenant_id)
        raise StepFailed("unknown_step", f"no step {step}")

    def _gateway(self) -> RoutingGateway:
        if self.deps.gateway is None:
            raise StepFailed("gateway_not_configured", "CONTROL_GATEWAY_URL is not set")
        return self.deps.gateway

    def _kv(self) -> KeyValue:
        if self.deps.placement_kv is None:
            raise StepFailed(
                "placement_read_only",
                "placement comes from a file (CONTROL_PLACEMENT_SOURCE=file): it cannot be "
                "changed by a job",
            )
        return self.deps.placement_kv

    async def _read(self, kind: PlacementKind) -> tuple[PlacementMap, int]:
        entry = await self._kv().get(MAP_KEYS[kind])
        if entry is None or entry.value is None:
            raise StepFailed("placement_missing", f"there is no {MAP_KEYS[kind]}")
        try:
            return decode_map(entry.value, kind), entry.revision
        except PlacementInvalid as e:
            raise StepFailed("placement_invalid", f"{MAP_KEYS[kind]} is invalid: {e}") from e

    async def _write(self, kind: PlacementKind, doc: PlacementMap, revision: int) -> int:
        try:
            return await self._kv().update(MAP_KEYS[kind], msgspec.json.encode(doc), revision)
        except RevisionMismatch as e:
            raise StepFailed(
                "placement_conflict",
                f"{MAP_KEYS[kind]} changed while writing; reading it again",
                retryable=True,
            ) from e

    async def _move(self, p: MigrateParams) -> dict[str, Any]:
        doc, revision = await self._read(p.kind)
        key = MAP_KEYS[p.kind]
        if doc.tenants.get(p.tenant_id) == p.target_shard:
            # Written before a crash (or a retry after a lost answer): never write twice.
            return {"key": key, "applied": False, "already_applied": True, "revision": revision}
        if str(revision) != p.placement_revision:
            raise StepFailed(
                "plan_stale",
                f"{key} is at revision {revision}, the plan was made at {p.placement_revision}: "
                "nothing was written",
            )
        tenants = dict(doc.tenants)
        tenants[p.tenant_id] = p.target_shard
        new_revision = await self._write(
            p.kind, msgspec.structs.replace(doc, tenants=tenants), revision
        )
        return {
            "key": key,
            "applied": True,
            "already_applied": False,
            "previous_revision": revision,
            "revision": new_revision,
            "from": p.source_shard,
            "to": p.target_shard,
        }

    async def _restore(self, p: MigrateParams) -> dict[str, Any]:
        doc, revision = await self._read(p.kind)
        key = MAP_KEYS[p.kind]
        if doc.tenants.get(p.tenant_id) != p.target_shard:
            return {"key": key, "restored": False, "revision": revision, "reason": "not moved"}
        tenants = dict(doc.tenants)
        if p.source_explicit and p.source_shard is not None:
            tenants[p.tenant_id] = p.source_shard
        else:
            tenants.pop(p.tenant_id)  # it was on the default shard, as it will be again
        new_revision = await self._write(
            p.kind, msgspec.structs.replace(doc, tenants=tenants), revision
        )
        return {
            "key": key,
            "restored": True,
            "previous_revision": revision,
            "revision": new_revision,
        }

    async def _verify(self, p: MigrateParams) -> dict[str, Any]:
        gateway = self._gateway()
        started = time.monotonic()
        while True:
            answer = await gateway.resolve(p.tenant_id, p.kind)
            waited = round(time.monotonic() - started, 3)
            output = {
                "resolved_shard": answer.shard,
                "expected_shard": p.target_shard,
                "gateway_revision": answer.revision,
                "config_generation": answer.config_generation,
                "waited_s": waited,
            }
            if answer.shard == p.target_shard:
                return output
            if waited >= self.deps.settings.verify_timeout_s:
                raise StepFailed(
                    "routing_not_updated",
                    f"the Gateway still resolves {p.tenant_id} ({p.kind}) to {answer.shard}, "
                    f"expected {p.target_shard}",
                    output=output,
                )
            await asyncio.sleep(_POLL_S)

    def summarize(self, job: Job) -> str:
        p = job.params
        move = f"{p['tenant_id']} ({p['kind']}) {p['source_shard']} → {p['target_shard']}"
        if job.status == "succeeded":
            return f"moved {move}"
        if job.compensation is not None:
            undone = all(
                s.status == "succeeded" for s in job.steps if s.name.startswith("compensate:")
            )
            return f"{job.status}: {move}; " + (
                "compensated, nothing changed" if undone else "compensation incomplete"
            )
        return f"{job.status}: {move}"

    def remediation(self, job: Job) -> str | None:
        if job.status == "succeeded":
            return None
        p = job.params
        tenant, kind, source = p["tenant_id"], p["kind"], p["source_shard"]
        steps = {s.name: s for s in job.steps}
        cause = job.error.message if job.error else job.status
        if steps["drain_source"].attempts == 0:
            return f"Nothing was changed. Cause: {cause}. Fix it, then plan and migrate again."
        if job.compensation is None:
            done = [s.name for s in job.steps if s.status == "succeeded"]
            return (
                f"Compensation was switched off, so the job stopped where it failed ({cause}). "
                f"Done: {', '.join(done) or 'nothing'}. To undo: put {tenant} back on {source} "
                f"in {MAP_KEYS[kind]} if it was moved, run config.reload on the gateway, then "
                f"resume {tenant} (POST /admin/v1/tenants/{tenant}/resume). To finish instead: "
                "plan the migration again."
            )
        left = _failed(steps, "compensate:")
        if not left:
            return (
                f"Nothing changed in the end: {tenant} is back on {source} and resumed there. "
                f"Cause: {cause}. Fix it, then plan and migrate again."
            )
        todo = {
            "compensate:restore_placement": f"put {tenant} back on {source} in "
            f"{MAP_KEYS[kind]} (tenant placement)",
            "compensate:reload_routing": "reload the Gateway (config.reload on the gateway)",
            "compensate:resume_source": f"resume {tenant} on {source} "
            f"(POST /admin/v1/tenants/{tenant}/resume)",
        }
        return (
            f"The migration failed ({cause}) and its undo did not complete. By hand: "
            + "; then ".join(todo[s] for s in left)
            + "."
        )


def _failed(steps: dict[str, Step], prefix: str) -> list[str]:
    return [n for n, s in steps.items() if n.startswith(prefix) and s.status != "succeeded"]


class ReloadParams(msgspec.Struct, forbid_unknown_fields=True):
    services: list[str]


class ConfigReload:
    name = "config.reload"
    description = "Reload routing/config on chosen services (POST /admin/v1/config/reload)"
    right = RIGHT_CONFIG
    tenant_scoped = False
    job_timeout_s = 300.0
    retry = RetryPolicy(max_attempts=3, base_delay_s=0.2, max_delay_s=2.0)
    continue_on_failure = True

    def __init__(self, deps: OpsDeps) -> None:
        self.deps = deps
        self.step_timeout_s = deps.settings.step_timeout_s
        self.fleet = {s.name: s for s in deps.fleet}

    def locks(self, params: dict[str, Any]) -> list[tuple[str, str]]:
        return [("config", name) for name in params["services"]]

    def validate(self, params: dict[str, Any]) -> dict[str, Any]:
        p: ReloadParams = _convert(params, ReloadParams)
        if not p.services:
            raise ValidationFailed("services must name at least one fleet service")
        unknown = sorted(set(p.services) - set(self.fleet))
        if unknown:
            raise ValidationFailed(f"unknown services: {', '.join(unknown)}")
        return {"services": sorted(set(p.services))}

    def plan(self, params: dict[str, Any]) -> list[str]:
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
