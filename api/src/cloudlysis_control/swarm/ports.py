"""What the swarm and deployments domains need from a Docker engine.

Values are the engine's own JSON (dicts as the Engine API returns them), so the normaliser in
`swarm.normalise` is the single place that knows its shape and its `null`s. Implementations:
`adapters.docker.engine.DockerEngine` (aiodocker) and `adapters.docker.fixture.FixtureEngine`
(CONTROL_SWARM_MODE=file).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

Raw = dict[str, Any]
StreamState = Callable[[bool], None]


class SwarmEngine(Protocol):
    source: str  # "engine" | "file"

    async def ping(self) -> None:
        """Raise SwarmUnavailable when the engine cannot be reached or is not a swarm manager."""
        ...

    async def services(self) -> list[Raw]: ...

    async def service(self, name_or_id: str) -> Raw:
        """Raise NotFound for an unknown service."""
        ...

    async def tasks(self, service: str | None = None) -> list[Raw]: ...

    async def nodes(self) -> list[Raw]: ...

    async def image_exists(self, reference: str) -> bool | None:
        """Whether the engine can get this image (its registry knows it, or it is present on
        the engine); None when that cannot be told (registry unreachable)."""
        ...

    async def update(self, service_id: str, version: int, spec: Raw) -> None:
        """Replace the spec (CAS on `version`; a stale version raises Conflict)."""
        ...

    async def rollback(self, service_id: str, version: int) -> None:
        """Swarm's own `rollback=previous`."""
        ...

    async def create(self, spec: Raw) -> str:
        """Create a service from `spec`; its id. A taken name raises Conflict."""
        ...

    async def remove(self, service_id: str) -> None:
        """Remove a service (NotFound when it is already gone)."""
        ...

    def events(
        self,
        since: float | None,
        types: tuple[str, ...] = ("service",),
        on_stream: StreamState | None = None,
    ) -> AsyncIterator[Raw]:
        """Events of these object types (`service`: create/update/remove; `node`: create/update/
        remove) from `since` (epoch seconds) on, forever: reconnects after a lost connection
        and resumes from the last event seen. `on_stream(True)` when the stream is (re)connected,
        `on_stream(False)` when it is lost, so a reader can tell whether it is still following."""
        ...

    async def close(self) -> None: ...
