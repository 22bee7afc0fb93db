"""What a job kind is: its parameters, its ordered steps and how each step runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from cloudlysis_control.jobs.schemas import Job, Step


class StepFailed(Exception):
    def __init__(
        self,
        code: str,
        message: str,
        *,
        retryable: bool = False,
        output: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable
        self.output = output


@dataclass
class StepContext:
    job: Job
    step: Step
    attempt: int


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    base_delay_s: float = 0.2
    max_delay_s: float = 5.0
    retry_timeouts: bool = True


class JobKind(Protocol):
    name: str
    description: str
    right: str
    tenant_scoped: bool
    step_timeout_s: float
    job_timeout_s: float
    retry: RetryPolicy
    continue_on_failure: bool

    def validate(self, params: dict[str, Any]) -> dict[str, Any]:
        """Return normalised params or raise core.errors.ValidationFailed."""
        ...

    def plan(self, params: dict[str, Any]) -> list[str]:
        """The ordered step names. Deterministic for the same params and world."""
        ...

    async def run_step(self, ctx: StepContext) -> dict[str, Any]:
        """Run one step idempotently; return its output or raise StepFailed."""
        ...

    def summarize(self, job: Job) -> str: ...


def required_locks(kind: JobKind, params: dict[str, Any]) -> list[tuple[str, str]]:
    """The (scope, name) locks a job of this kind holds from creation to its end.

    Optional on a kind: `def locks(self, params) -> list[tuple[str, str]]`.
    """
    fn = getattr(kind, "locks", None)
    return sorted(set(fn(params))) if fn is not None else []


@dataclass
class KindRegistry:
    kinds: dict[str, JobKind] = field(default_factory=dict)

    def register(self, kind: JobKind) -> None:
        self.kinds[kind.name] = kind

    def get(self, name: str) -> JobKind | None:
        return self.kinds.get(name)
