"""The observed half beyond the Swarm: which config revision each instance runs (its
`GET /admin/v1/instance` `revisions`, docs/contracts/service-admin.md) against what the config
registry holds, and which instances fail their health checks (the fleet snapshot)."""

from __future__ import annotations

import asyncio

from cloudlysis_control.config.ports import AgentState, ConfigAgents
from cloudlysis_control.config.service import ConfigService
from cloudlysis_control.config.verify import revision_key
from cloudlysis_control.core.errors import ControlError
from cloudlysis_control.drift.classify import HealthFailure, RevisionGap
from cloudlysis_control.fleet.registry import FleetRegistry
from cloudlysis_control.fleet.snapshot import FleetSnapshotService
from cloudlysis_control.swarm.normalise import STACK_LABEL, admin_url, service_labels
from cloudlysis_control.swarm.ports import Raw


def _by_url(services: list[Raw]) -> dict[str, tuple[str, str | None]]:
    """Instance URL → (Swarm service name, stack): the admin address the Swarm view derives from
    a service's labels (`cloudlysis.admin_url`, or the admin/metrics port)."""
    out: dict[str, tuple[str, str | None]] = {}
    for raw in services:
        spec = raw.get("Spec") or {}
        name = str(spec.get("Name") or raw.get("ID"))
        labels = service_labels(raw)
        url = admin_url(name, labels)
        if url:
            out[url.rstrip("/")] = (name, labels.get(STACK_LABEL))
    return out


class ObservedSources:
    def __init__(
        self,
        configs: ConfigService,
        agents: ConfigAgents,
        registry: FleetRegistry,
        fleet: FleetSnapshotService,
        concurrency: int = 16,
    ) -> None:
        self.configs = configs
        self.agents = agents
        self.registry = registry
        self.fleet = fleet
        self._sem = asyncio.Semaphore(concurrency)

    async def _state(self, url: str) -> AgentState | None:
        async with self._sem:
            try:
                return await self.agents.state(url)
            except ControlError:
                return None  # unreachable: the health check reports it

    async def revision_gaps(self, services: list[Raw]) -> list[RevisionGap]:
        ids = [
            c
            for c in await self.configs.ids()
            if c.domain in ("routing", "placement", "runner.activation")
        ]
        held = {}
        for cid in ids:
            stored, _ = await self.configs.read(cid)
            if stored.revision is not None:
                held[cid] = stored.revision
        instances = self.registry.instances()
        states = await asyncio.gather(*(self._state(i.url) for i in instances))
        where = _by_url(services)
        gaps: list[RevisionGap] = []
        for inst, state in zip(instances, states, strict=True):
            if state is None:
                continue
            service, stack = where.get(inst.url.rstrip("/"), (inst.name, None))
            for cid, revision in held.items():
                key = revision_key(cid, inst.kind)
                # Only what the instance reports is evidence: no key, no claim.
                if key is None or key not in state.revisions:
                    continue
                got = state.revisions[key]
                if got != revision:
                    gaps.append(
                        RevisionGap(
                            instance=inst.name,
                            service=service,
                            stack=stack,
                            key=key,
                            domain=cid.domain,
                            name=cid.name,
                            scope=cid.scope,
                            desired=revision,
                            observed=got,
                        )
                    )
        return gaps

    async def health_failures(self, services: list[Raw]) -> list[HealthFailure]:
        snapshot = await self.fleet.snapshot()
        where = _by_url(services)
        out: list[HealthFailure] = []
        for i in snapshot.instances:
            if i.health == "ok" and i.ready == "ready":
                continue
            service, _stack = where.get(i.url.rstrip("/"), (i.instance, None))
            detail = (
                i.error
                or f"health {i.health_status or i.health}, ready {i.ready_status or i.ready}"
            )
            out.append(HealthFailure(service=service, instance=i.instance, detail=detail))
        return out
