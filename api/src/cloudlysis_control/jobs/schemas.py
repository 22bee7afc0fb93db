from __future__ import annotations

from typing import Any, Literal

import msgspec

from cloudlysis_control.core.validation import Reason

JobStatus = Literal[
    "pending", "running", "succeeded", "failed", "cancelling", "cancelled", "timed_out"
]
StepStatus = Literal["pending", "running", "succeeded", "failed", "cancelled", "skipped"]
TERMINAL: frozenset[str] = frozenset({"succeeded", "failed", "cancelled", "timed_out"})


class StepError(msgspec.Struct):
    code: str
    message: str
    retryable: bool = False


class Step(msgspec.Struct, kw_only=True):
    name: str
    status: StepStatus = "pending"
    attempts: int = 0
    started_at: str | None = None
    finished_at: str | None = None
    duration_ms: float | None = None
    output: dict[str, Any] | None = None
    error: StepError | None = None


class Compensation(msgspec.Struct, kw_only=True):
    """Set when a job that changed something failed or was cancelled and is now undoing it.

    The `compensate:*` steps appended to `steps` run next (also after a takeover); the job then
    ends with `outcome` and `error`, whatever the compensation steps did.
    """

    outcome: Literal["failed", "cancelled", "timed_out"]
    error: StepError | None = None


class Job(msgspec.Struct, kw_only=True):
    id: str
    kind: str
    status: JobStatus
    reason: str
    params: dict[str, Any]
    tenant_id: str | None = None
    created_by: str
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None
    request_id: str | None = None
    correlation_id: str | None = None
    trace_id: str | None = None
    steps: list[Step] = msgspec.field(default_factory=list)
    error: StepError | None = None
    summary: str | None = None
    lease_owner: str | None = None
    lease_expires_at: float | None = None
    runs: int = 0
    cancel_requested_by: str | None = None
    compensation: Compensation | None = None
    remediation: str | None = None  # what an operator should do now (failed jobs)
    # SHA-256 of the creating request (kind, tenant, reason, params): a replay with the same
    # Idempotency-Key and another request is refused naming this job.
    request_hash: str | None = None

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL


class JobCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Body of POST /admin/v1/jobs/kinds/{kind}."""

    reason: Reason
    params: dict[str, Any] = msgspec.field(default_factory=dict)


class JobPage(msgspec.Struct, kw_only=True):
    items: list[Job]
    next_cursor: str | None
    # Lists come from memory that follows the jobs bucket; stale while NATS is unreachable.
    stale: bool = False
    stale_for_s: float | None = None


class JobKindInfo(msgspec.Struct):
    kind: str
    description: str
    right: str
    tenant_scoped: bool
    endpoint: str | None = None


def new_steps(names: list[str]) -> list[Step]:
    return [Step(name=n) for n in names]
