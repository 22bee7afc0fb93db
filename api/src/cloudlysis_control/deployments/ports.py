"""What deployment history needs from outside: an append-only log (JetStream) and a Grafana
annotation sink. Adapters implement these."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

from cloudlysis_control.ports import StreamMessage


class DeploymentLog(Protocol):
    async def publish(self, data: bytes, msg_id: str) -> tuple[int, bool]: ...
    async def last_seq(self) -> int: ...
    def follow(self, from_seq: int) -> AsyncIterator[StreamMessage]: ...


class Annotator(Protocol):
    def submit(self, payload: dict[str, Any]) -> None: ...
