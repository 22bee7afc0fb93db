"""Find everything the control plane knows about a request id, correlation id or trace id."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from cloudlysis_control.audit.schemas import AuditEvent, AuditFilter
from cloudlysis_control.audit.service import AuditService
from cloudlysis_control.core.errors import ValidationFailed
from cloudlysis_control.core.identity import valid_id
from cloudlysis_control.core.openapi import problems
from cloudlysis_control.core.settings import Settings
from cloudlysis_control.investigate import explore
from cloudlysis_control.jobs.schemas import Job
from cloudlysis_control.jobs.service import JobFilter, JobService

IdKind = Literal["request_id", "correlation_id", "trace_id"]
TRACE_ID_RE = re.compile(r"^[0-9a-f]{32}$")


class InvestigateLinks(msgspec.Struct):
    loki: str | None
    tempo: str | None


class Investigation(msgspec.Struct):
    id: str
    kinds: list[IdKind]
    jobs: list[Job]
    audit_events: list[AuditEvent]
    links: InvestigateLinks


def explore_links(
    settings: Settings, correlation_id: str | None, request_id: str | None, trace_id: str | None
) -> InvestigateLinks:
    obs = settings.observability
    if obs.grafana_url is None:
        return InvestigateLinks(None, None)
    loki = (
        explore.loki_explore_url(
            obs.grafana_url,
            obs.grafana_loki_uid,
            correlation_id=correlation_id,
            request_id=request_id,
        )
        if correlation_id or request_id
        else None
    )
    tempo = (
        explore.tempo_explore_url(obs.grafana_url, obs.grafana_tempo_uid, trace_id)
        if trace_id
        else None
    )
    return InvestigateLinks(loki, tempo)


class InvestigateController(Controller):
    path = "/admin/v1/investigate"
    tags = ["investigate"]

    @get("/", operation_id="Investigate", opt={"right": "control.audit.read"}, responses=problems())
    async def investigate(
        self,
        request: Request[Any, Any, Any],
        jobs: NamedDependency[JobService],
        audit: NamedDependency[AuditService],
        id: Annotated[str, QueryParameter(min_length=1, max_length=128)],
    ) -> Investigation:
        value = id.strip()
        if not valid_id(value):
            raise ValidationFailed("id must be a request id, correlation id or 32-hex trace id")
        settings: Settings = request.app.state.settings
        found_jobs: dict[str, Job] = {}
        events: dict[str, AuditEvent] = {}
        kinds: list[IdKind] = []
        candidates: list[tuple[IdKind, JobFilter, AuditFilter]] = [
            ("request_id", JobFilter(request_id=value), AuditFilter(request_id=value)),
            ("correlation_id", JobFilter(correlation_id=value), AuditFilter(correlation_id=value)),
        ]
        if TRACE_ID_RE.match(value):
            candidates.append(("trace_id", JobFilter(trace_id=value), AuditFilter(trace_id=value)))
        for kind, jflt, aflt in candidates:
            matched_jobs = jobs.find(jflt, 100)
            matched_events = audit.query(aflt, None, 200).items
            if matched_jobs or matched_events:
                kinds.append(kind)
            found_jobs.update({j.id: j for j in matched_jobs})
            events.update({e.id: e for e in matched_events})
        # Related ids let the links cover the whole flow even when searched by request id.
        is_trace = TRACE_ID_RE.match(value) is not None
        related: list[Job | AuditEvent] = [*events.values(), *found_jobs.values()]
        if "correlation_id" in kinds:
            correlation: str | None = value
        elif related:
            correlation = next((r.correlation_id for r in related if r.correlation_id), None)
        else:
            correlation = None if is_trace else value  # unknown here; logs may still know it
        trace = value if is_trace else next((r.trace_id for r in related if r.trace_id), None)
        request_id = value if "request_id" in kinds else None
        links = explore_links(settings, correlation, request_id, trace)
        return Investigation(
            id=value,
            kinds=kinds,
            jobs=sorted(found_jobs.values(), key=lambda j: j.created_at, reverse=True),
            audit_events=sorted(events.values(), key=lambda e: e.at, reverse=True),
            links=links,
        )
