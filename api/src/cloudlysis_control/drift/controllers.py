from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, HeaderParameter, JSONBody, PathParameter, QueryParameter

from cloudlysis_control.auth.principal import Principal
from cloudlysis_control.core.openapi import IdempotencyKey, problems
from cloudlysis_control.core.validation import Reason
from cloudlysis_control.drift.jobs import MAX_ACK_S, RIGHT_DRIFT
from cloudlysis_control.drift.schemas import DriftCategory, DriftReport, DriftSeverity, Inventory
from cloudlysis_control.drift.service import DriftFilter, DriftService
from cloudlysis_control.jobs.schemas import Job
from cloudlysis_control.jobs.service import JobService

ItemIdPath = Annotated[
    str, PathParameter(pattern=r"^dr_[0-9a-f]{20}$", description="A drift item id")
]
Name = Annotated[str | None, QueryParameter(max_length=128)]


class AcknowledgeRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Acknowledge a drift item: why, and for how long (60 s to 90 days)."""

    reason: Reason
    expires_in_s: Annotated[int, msgspec.Meta(ge=60, le=MAX_ACK_S)]


class AdoptRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Make what runs the desired value for this item (nothing in the Swarm changes)."""

    reason: Reason


class ReapplyRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Make what runs what is desired for this item; `confirm` repeats the service name."""

    reason: Reason
    confirm: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class PlatformController(Controller):
    path = "/admin/v1/platform"
    tags = ["platform"]

    @get(
        "/inventory",
        operation_id="GetInventory",
        opt={"right": "control.fleet.read"},
        responses=problems(502, 504),
        description="Swarm nodes (role, availability, status, engine version, labels, CPUs and "
        "memory) with the tasks and services running on each, from one observation. 503 "
        "`swarm_unavailable` when no engine is reachable or CONTROL_SWARM_MODE=off.",
    )
    async def inventory(self, drift: NamedDependency[DriftService]) -> Inventory:
        return await drift.inventory()

    @get(
        "/drift",
        operation_id="GetDrift",
        opt={"right": "control.fleet.read"},
        responses={
            **problems(502, 504),
            304: ResponseSpec(data_container=None, description="Not modified (If-None-Match)"),
        },
        response_headers=[
            ResponseHeader(
                name="ETag", description="Identifies this answer's items", documentation_only=True
            )
        ],
        description="What runs vs what should: every difference between the desired stacks "
        "(CONTROL_DRIFT_STACKS_DIR), the control plane's own deployments and the config "
        "registry on one side, and one observation of the Swarm, the instances' config "
        "revisions and health on the other. Categories missing, extra, version, config, "
        "unhealthy; each item with both sides, since when (first/last seen, kept across "
        "restarts) and its remedies as job links (never applied by themselves). The summary "
        "counts open items (acknowledged ones aside). Filters narrow the items and the summary. "
        "ETag / If-None-Match: 304 when nothing changed.",
    )
    async def drift(
        self,
        drift: NamedDependency[DriftService],
        category: FromQuery[DriftCategory | None] = None,
        severity: FromQuery[DriftSeverity | None] = None,
        stack: Name = None,
        service: Name = None,
        acknowledged: Annotated[
            bool, QueryParameter(description="Include acknowledged items (default true)")
        ] = True,
        if_none_match: Annotated[
            str | None, HeaderParameter(name="If-None-Match", max_length=256)
        ] = None,
    ) -> Response[DriftReport | None]:
        report = await drift.report(
            DriftFilter(category, severity, stack, service, include_acknowledged=acknowledged)
        )
        etag = drift.etag(report)
        if if_none_match is not None and etag in [t.strip() for t in if_none_match.split(",")]:
            return Response(content=None, status_code=304, headers={"ETag": etag})
        return Response(content=report, headers={"ETag": etag})

    async def _job(
        self,
        jobs: JobService,
        request: Request[Principal, Any, Any],
        kind: str,
        reason: str,
        params: dict[str, Any],
        idempotency_key: str,
    ) -> Job:
        return await jobs.create(
            kind_name=kind,
            reason=reason,
            params=params,
            principal=request.user,
            idempotency_key=idempotency_key,
        )

    @post(
        "/drift/{item_id:str}/acknowledge",
        operation_id="CreateDriftAcknowledgeJob",
        status_code=202,
        opt={"right": RIGHT_DRIFT},
        responses=problems(409, 422),
        description="Start a `drift.acknowledge` job: the item stays listed, marked "
        "acknowledged (who, why, until when), and leaves the open counts until it expires. "
        "422 `preflight_refused` when the item is no longer open.",
    )
    async def acknowledge(
        self,
        request: Request[Principal, Any, Any],
        jobs: NamedDependency[JobService],
        item_id: ItemIdPath,
        data: JSONBody[AcknowledgeRequest],
        idempotency_key: IdempotencyKey,
    ) -> Job:
        params = {"item_id": item_id, "expires_in_s": data.expires_in_s}
        return await self._job(
            jobs, request, "drift.acknowledge", data.reason, params, idempotency_key
        )

    @post(
        "/drift/{item_id:str}/adopt",
        operation_id="CreateDriftAdoptJob",
        status_code=202,
        opt={"right": RIGHT_DRIFT},
        responses=problems(409, 422),
        description="Start a `drift.adopt` job: what runs becomes the desired value for this "
        "item (recorded; the Swarm is not touched). 422 when the item is no longer open or "
        "adopting is not one of its remedies.",
    )
    async def adopt(
        self,
        request: Request[Principal, Any, Any],
        jobs: NamedDependency[JobService],
        drift: NamedDependency[DriftService],
        item_id: ItemIdPath,
        data: JSONBody[AdoptRequest],
        idempotency_key: IdempotencyKey,
    ) -> Job:
        params = await _remedy_params(drift, item_id, "drift.adopt")
        return await self._job(jobs, request, "drift.adopt", data.reason, params, idempotency_key)

    @post(
        "/drift/{item_id:str}/reapply",
        operation_id="CreateDriftReapplyJob",
        status_code=202,
        opt={"right": RIGHT_DRIFT},
        responses=problems(409, 422, 502, 504),
        description="Start a `drift.reapply` job (create a missing service from its stack "
        "file, remove an orphan, restore env / constraints / replicas, restart an unhealthy "
        "service; then wait until the item is gone). `confirm` repeats the service name. 422 "
        "when the item is no longer open or re-applying it is another job's remedy "
        "(`service.deploy`, `config.reload`: its `remedies` name them).",
    )
    async def reapply(
        self,
        request: Request[Principal, Any, Any],
        jobs: NamedDependency[JobService],
        drift: NamedDependency[DriftService],
        item_id: ItemIdPath,
        data: JSONBody[ReapplyRequest],
        idempotency_key: IdempotencyKey,
    ) -> Job:
        params = await _remedy_params(drift, item_id, "drift.reapply")
        params["confirm"] = data.confirm
        return await self._job(jobs, request, "drift.reapply", data.reason, params, idempotency_key)


async def _remedy_params(drift: DriftService, item_id: str, kind: str) -> dict[str, Any]:
    """The item's remedy of `kind` as job params; an item that is gone or has no such remedy
    still goes to job creation, whose preflight refuses it (422, audited) like every refusal."""
    c = await drift.current()
    item = next((i for i in c.items if i.id == item_id), None)
    remedy = next((r for r in (item.remedies if item else []) if r.job_kind == kind), None)
    if remedy is None:
        return {
            "item_id": item_id,
            "service": item.service if item else "-",
            "field": item.field if item else "-",
        }
    return {k: v for k, v in remedy.params.items() if k != "confirm"}
