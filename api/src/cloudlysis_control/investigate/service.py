"""Everything the control plane knows about a request id, correlation id or trace id, and what
it did for one tenant, with Grafana Explore links for the logs and the trace."""

from __future__ import annotations

from cloudlysis_control.audit.schemas import AuditEvent, AuditFilter
from cloudlysis_control.audit.service import AuditService
from cloudlysis_control.core.scope import PLATFORM, TenantScope
from cloudlysis_control.core.settings import ObservabilitySettings
from cloudlysis_control.core.validation import TRACE_ID_RE
from cloudlysis_control.investigate import explore
from cloudlysis_control.investigate.schemas import (
    IdKind,
    InvestigateLinks,
    Investigation,
    TenantActivity,
)
from cloudlysis_control.jobs.schemas import Job
from cloudlysis_control.jobs.service import JobFilter, JobService


class InvestigateService:
    def __init__(self, jobs: JobService, audit: AuditService, obs: ObservabilitySettings) -> None:
        self.jobs = jobs
        self.audit = audit
        self.obs = obs

    def links(
        self, correlation_id: str | None, request_id: str | None, trace_id: str | None
    ) -> InvestigateLinks:
        obs = self.obs
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

    async def investigate(self, value: str, scope: TenantScope = PLATFORM) -> Investigation:
        """`value` is a valid id (the route's pattern); it may be any of the three kinds."""
        found_jobs: dict[str, Job] = {}
        events: dict[str, AuditEvent] = {}
        kinds: list[IdKind] = []
        s = scope
        candidates: list[tuple[IdKind, JobFilter, AuditFilter]] = [
            (
                "request_id",
                JobFilter(request_id=value, scope=s),
                AuditFilter(request_id=value, scope=s),
            ),
            (
                "correlation_id",
                JobFilter(correlation_id=value, scope=s),
                AuditFilter(correlation_id=value, scope=s),
            ),
        ]
        is_trace = TRACE_ID_RE.match(value) is not None
        if is_trace:
            candidates.append(
                (
                    "trace_id",
                    JobFilter(trace_id=value, scope=s),
                    AuditFilter(trace_id=value, scope=s),
                )
            )
        for kind, jflt, aflt in candidates:
            matched_jobs = await self.jobs.find(jflt, 100)
            matched_events = await self.audit.recent(aflt, 200)
            if matched_jobs or matched_events:
                kinds.append(kind)
            found_jobs.update({j.id: j for j in matched_jobs})
            events.update({e.id: e for e in matched_events})
        # Related ids let the links cover the whole flow even when searched by request id.
        related: list[Job | AuditEvent] = [*events.values(), *found_jobs.values()]
        if "correlation_id" in kinds:
            correlation: str | None = value
        elif related:
            correlation = next((r.correlation_id for r in related if r.correlation_id), None)
        else:
            correlation = None if is_trace else value  # unknown here; logs may still know it
        trace = value if is_trace else next((r.trace_id for r in related if r.trace_id), None)
        request_id = value if "request_id" in kinds else None
        return Investigation(
            id=value,
            kinds=kinds,
            jobs=sorted(found_jobs.values(), key=lambda j: j.created_at, reverse=True),
            audit_events=sorted(events.values(), key=lambda e: e.at, reverse=True),
            links=self.links(correlation, request_id, trace),
        )

    async def tenant_activity(self, tenant_id: str) -> TenantActivity:
        return TenantActivity(
            tenant_id=tenant_id,
            jobs=await self.jobs.find(JobFilter(tenant_id=tenant_id), 50),
            audit_events=await self.audit.recent(AuditFilter(tenant_id=tenant_id), 50),
        )
