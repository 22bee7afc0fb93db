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


class AuditRow(AuditEvent, kw_only=True):
    """An event as a list shows it: `repeat` > 1 when it stands for that many denials of one
    right to one principal in a row (collapse_denials), the oldest of them at `first_at`."""

    repeat: int = 1
    first_at: str | None = None


class AuditPage(msgspec.Struct, kw_only=True):
    items: list[AuditRow]
    next_cursor: str | None
    # How many events match in all, counted up to COUNT_CAP (`total_capped`: "N+").
    total: int = 0
    total_capped: bool = False
    # Served from memory that follows the audit stream; stale while NATS is unreachable.
    stale: bool = False
    stale_for_s: float | None = None


class AuditFilter(msgspec.Struct, kw_only=True):
    actor: str | None = None
    action: str | None = None
    tenant_id: str | None = None
    outcomes: frozenset[str] | None = None  # include only these
    exclude_outcomes: frozenset[str] = frozenset()
    text: str | None = None  # case-insensitive substring of actor, action or target
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
            and (self.outcomes is None or e.outcome in self.outcomes)
            and e.outcome not in self.exclude_outcomes
            and (self.text is None or self._text_in(e))
            and (self.since is None or e.at >= self.since)
            and (self.until is None or e.at < self.until)
            and (self.correlation_id is None or e.correlation_id == self.correlation_id)
            and (self.request_id is None or e.request_id == self.request_id)
            and (self.trace_id is None or e.trace_id == self.trace_id)
            and (self.job_id is None or e.job_id == self.job_id)
        )

    def _text_in(self, e: AuditEvent) -> bool:
        needle = (self.text or "").casefold()
        return (
            needle in e.actor.casefold()
            or needle in e.action.casefold()
            or needle in (e.target.casefold())
        )
