"""What deployment history needs from outside: an append-only log (JetStream) and a Grafana
annotation sink (adapters implement these); and the verification playbooks deploys and
rollbacks run as their verify step (implemented by `playbooks`, a layer above)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Literal, Protocol

import msgspec

from cloudlysis_control.core.checks import CheckResult
from cloudlysis_control.ports import StreamMessage

PlaybookName = Literal["post_deploy", "rollback_verify"]


class DeploymentLog(Protocol):
    async def publish(self, data: bytes, msg_id: str) -> tuple[int, bool]: ...
    async def last_seq(self) -> int: ...
    def follow(self, from_seq: int) -> AsyncIterator[StreamMessage]: ...


class Annotator(Protocol):
    def submit(self, payload: dict[str, Any]) -> None: ...


class VerifyRequest(msgspec.Struct, kw_only=True, frozen=True):
    """What a verification playbook checks: `service` after a deploy (or rollback) that started
    at `started_at` and converged at `converged_at` (unix seconds), from one version (image tag)
    to another. The window before ends at `started_at`; the window after starts at
    `converged_at`."""

    playbook: PlaybookName
    service: str
    started_at: float
    converged_at: float
    from_version: str | None = None
    to_version: str | None = None
    # How long the health check may wait for the service to become healthy and ready.
    health_wait_s: float = 0.0


class PlaybookReport(msgspec.Struct, kw_only=True):
    """A playbook's verdict: every check it ran (`{check, ok, value, threshold, detail}`) and
    the windows its metric checks compared. Stored as the verify step's output."""

    playbook: PlaybookName
    service: str
    ok: bool
    checks: list[CheckResult]
    before: tuple[float, float]  # [start, end] of the window before, unix seconds
    after: tuple[float, float]
    from_version: str | None = None
    to_version: str | None = None

    def failed(self) -> list[str]:
        return [c.check for c in self.checks if not c.ok]


class DeployVerifier(Protocol):
    """The verification playbooks (playbooks.service.Playbooks): what service.deploy and
    service.rollback run as their verify step."""

    async def verify(self, request: VerifyRequest) -> PlaybookReport: ...
