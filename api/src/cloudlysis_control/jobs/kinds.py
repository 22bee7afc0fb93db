"""The job-kind contract: what a kind declares and every hook the engine and JobService call.

A kind is one class beside its domain's service, registered once in the composition root. Every
hook has a default here, so the engine and `JobService.create` call them unconditionally: no kind
is inspected for optional methods.

Creation (`JobService.create`) calls, in order: `validate` (the request's params, pure),
`preflight` (reads the live world; may refuse; returns the job's params), `locks`, `steps`.
The engine calls `run_step` for each step, `compensation` when a job that changed something
fails or is cancelled, then `summarize` and `remediation`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import msgspec

from cloudlysis_control.core.errors import ParamsInvalid
from cloudlysis_control.jobs.schemas import Job, Step

COMPENSATE_PREFIX = "compensate:"

Params = dict[str, Any]
LockSpec = tuple[str, str]  # (scope, name): scope is one of locks.service.SCOPES


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
class PreflightContext:
    """What a pre-create preflight knows about the request besides its params."""

    job_id: str  # the id the job will have: a preflight may ignore its own future lock
    tenant_id: str | None
    principal_id: str


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    base_delay_s: float = 0.2
    max_delay_s: float = 5.0
    retry_timeouts: bool = True


def convert_params(params: Params, params_type: type[Any]) -> Any:
    """Params as `params_type`, or a 400 naming what is wrong."""
    try:
        return msgspec.convert(params, params_type)
    except msgspec.ValidationError as e:
        raise ParamsInvalid(f"invalid params: {e}") from e


class JobKind(ABC):
    """Base class of every job kind. Subclasses set the class attributes and override `steps`
    and `run_step`; every other hook has a safe default."""

    name: ClassVar[str]
    description: ClassVar[str]
    right: ClassVar[str]
    params_type: ClassVar[type[msgspec.Struct]]
    tenant_scoped: ClassVar[bool] = False
    # The dedicated endpoint that creates this kind, if any (documentation only: the generic
    # POST /admin/v1/jobs/kinds/{kind} runs exactly the same checks).
    endpoint: ClassVar[str | None] = None

    # True when the kind overrides `preflight` (set for each subclass): creation then looks
    # for an earlier request with the same key before checking the world.
    checks_world: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.checks_world = cls.preflight is not JobKind.preflight

    step_timeout_s: float = 30.0
    job_timeout_s: float = 300.0
    retry: RetryPolicy = RetryPolicy()
    continue_on_failure: bool = False

    # -- creation ---------------------------------------------------------------------------

    def validate(self, params: Params, tenant_id: str | None) -> Params:
        """The request's params, normalised (pure: no I/O). Raise ParamsInvalid.

        For a tenant-scoped kind `tenant_id` is the request's tenant; the default puts it into
        the params and refuses a different one there."""
        if self.tenant_scoped:
            given = params.get("tenant_id", tenant_id)
            if given != tenant_id:
                raise ParamsInvalid("params.tenant_id must be the request's tenant")
            params = {**params, "tenant_id": tenant_id}
        out: Params = msgspec.to_builtins(convert_params(params, self.params_type))
        return out

    async def preflight(self, params: Params, ctx: PreflightContext) -> Params:
        """Check the live world before the job exists; raise a refusal (PreflightRefused with
        every failed check, LockHeld, PlanStale) or return the job's params."""
        return params

    def locks(self, params: Params) -> list[LockSpec]:
        """The locks the job holds from creation to its end."""
        return []

    @abstractmethod
    def steps(self, params: Params) -> list[str]:
        """The ordered step names (deterministic for the same params)."""

    # -- running ----------------------------------------------------------------------------

    def step_timeout_for(self, step: str) -> float:
        return self.step_timeout_s

    @abstractmethod
    async def run_step(self, ctx: StepContext) -> dict[str, Any]:
        """Run one step idempotently; return its output or raise StepFailed."""

    def compensation(self, job: Job, outcome: str) -> list[str]:
        """The `compensate:*` steps to run after a failed or cancelled job; [] for none."""
        return []

    def summarize(self, job: Job) -> str:
        ok = sum(1 for s in job.steps if s.status == "succeeded")
        return f"{ok}/{len(job.steps)} steps succeeded"

    def remediation(self, job: Job) -> str | None:
        """The operator's next step once the job ended (None: nothing to do)."""
        return None


def sorted_locks(locks: Iterable[LockSpec]) -> list[LockSpec]:
    """Locks in one global order, so replicas never take two locks in opposite orders."""
    return sorted(set(locks))


@dataclass
class KindRegistry:
    kinds: dict[str, JobKind] = field(default_factory=dict)

    def register(self, kind: JobKind) -> None:
        if kind.name in self.kinds:
            raise ValueError(f"job kind {kind.name} is registered twice")
        self.kinds[kind.name] = kind

    def get(self, name: str) -> JobKind | None:
        return self.kinds.get(name)
