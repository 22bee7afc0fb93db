from __future__ import annotations

from typing import Literal

import msgspec

from cloudlysis_control.audit.schemas import AuditEvent
from cloudlysis_control.jobs.schemas import Job

IdKind = Literal["request_id", "correlation_id", "trace_id"]


class InvestigateLinks(msgspec.Struct):
    loki: str | None
    tempo: str | None


class Investigation(msgspec.Struct):
    id: str
    kinds: list[IdKind]
    jobs: list[Job]
    audit_events: list[AuditEvent]
    links: InvestigateLinks


class TenantActivity(msgspec.Struct):
    tenant_id: str
    jobs: list[Job]
    audit_events: list[AuditEvent]
