"""What the verification playbooks need besides the domains they read: the drift of a service
(wired by the composition root once drift exists) and the control plane's flags."""

from __future__ import annotations

from typing import Protocol

from cloudlysis_control.config.documents import Flags


class DriftReader(Protocol):
    async def new_items(self, service: str, since: float) -> list[str]:
        """A description of each drift item of Swarm service `service` first seen at or after
        `since` (unix seconds); [] when there is none."""
        ...


class FlagsSource(Protocol):
    async def flags(self) -> Flags:
        """The `flags` config domain as stored (its defaults when none is)."""
        ...
