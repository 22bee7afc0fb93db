from __future__ import annotations

from typing import Any, Literal

import msgspec

from cloudlysis_control.core.scope import PLATFORM, TenantScope, in_scope

AuditOutcome = Literal["accepted", "succeeded", "failed", "denied", "refused"]


class AuditEvent(msgspec.Struct, kw_only=True):
    """One audited action. Append-only; never updated."""

    id: str
    at: str
    actor: str
    action: str
    target: str
    tenant_id: str | None = None
    reason: str | None = None
    outcome: AuditOutcome
    request_id: str | None = None
    correlation_id: str | None = None
    trace_id: str | None = None
    job_id: str | None = None
    detail: dict[str, Any] | None = None


class AuditPage(msgspec.Struct, kw_only=True):
    items: list[AuditEvent]
    next_cursor: str | None
    # Served from memory that follows the audit stream; stale while NATS is unreachable.
    stale: bool = False
    stale_for_s: float | None = None


class AuditFilter(msgspec.Struct, kw_only=True):
    actor: str | None = None
    action: str | None = None
    tenant_id: str | None = None
    outcome: AuditOutcome | None = None
    since: str | None = None
    until: str | None = None
    correlation_id: str | None = None
    request_id: str | None = None
    trace_id: str | None = None
    job_id: str | None = None
    # The caller's tenants (None: platform-wide): events of other tenants, or of none, are hidden.
    scope: TenantScope = PLATFORM

    def matches(self, e: AuditEvent) -> bool:
        return (
            in_scope(self.scope, e.tenant_id)
            and (self.actor is None or e.actor == self.actor)
            and (self.action is None or e.action == self.action)
            and (self.tenant_id is None or e.tenant_id == self.tenant_id)
            and (self.outcome is None or e.outcome == self.outcome)
            and (self.since is None or e.at >= self.since)
            and (self.until is None or e.at < self.until)
            and (self.correlation_id is None or e.correlation_id == self.correlation_id)
            and (self.request_id is None or e.request_id == self.request_id)
            and (self.trace_id is None or e.trace_id == self.trace_id)
            and (self.job_id is None or e.job_id == self.job_id)
        )
