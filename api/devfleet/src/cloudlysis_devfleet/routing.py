"""The simulated Gateway's routing table: placement and routing watched in NATS KV (or a dev
file), applied on reload.

The Gateway watches the placement bucket (`control_placement`, docs/contracts/
placement-and-routing.md) — or polls the dev file (`--placement-file`) — and keeps the newest
valid documents as *observed*. Requests are routed with the *active* table, which only changes
on `POST /admin/v1/config/reload`: the reload reads every key now (so it never races the
watcher), promotes the result and bumps `config_generation`. `GET /admin/routing/resolve` answers
from the active table: a routing override for the tenant and kind wins over its placement.
`GET /admin/v1/instance` reports the revisions it serves (the config registry verifies them).

Fault switch (simulator only, `POST /_devfleet/routing/fault {"wrong_after_reload": true}`): the
next reload reports the new revisions but keeps resolving with the previous table, as a Gateway
that failed to apply a change would; the reload after that is healthy again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloudlysis_control.adapters.nats.state import NatsKeyValue, NatsState
from cloudlysis_control.bootstrap.placement import BUCKET_PLACEMENT
from cloudlysis_control.core.errors import StateUnavailable
from cloudlysis_control.core.validation import TENANT_ID_RE
from cloudlysis_control.placement.schemas import (
    KEYS,
    KINDS,
    PlacementKind,
    RouteOverride,
    RoutingConfig,
)
from cloudlysis_control.placement.service import PlacementService, PlacementState
from cloudlysis_control.placement.sources import FilePlacementSource
from cloudlysis_devfleet.common import Problem

_RELOAD_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class ActiveRouting:
    state: PlacementState
    generation: int
    reloaded_at: float | None
    answers: PlacementState | None = None  # the fault switch: resolve with this table

    @functools.cached_property
    def overrides(self) -> dict[tuple[str, str], RouteOverride]:
        routing = (self.answers or self.state).routing.value
        if not isinstance(routing, RoutingConfig):
            return {}
        return {(o.tenant, o.kind): o for o in routing.overrides}


class GatewayRouting:
    def __init__(self, nats_url: str | None = None, placement_file: Path | None = None) -> None:
        if (nats_url is None) == (placement_file is None):
            raise ValueError("routing needs exactly one of nats_url and placement_file")
        self.nats = (
            NatsState(url=nats_url, connect_timeout_s=5.0, op_timeout_s=5.0) if nats_url else None
        )
        self.kv: NatsKeyValue | None = None
        self.observed = PlacementService("nats" if nats_url else "file")
        self.file_source = (
            FilePlacementSource(placement_file, self.observed) if placement_file else None
        )
        self.active = ActiveRouting(self.observed.state, 1, None)
        self.wrong_after_reload = False
        self._task: asyncio.Task[None] | None = None
        self._reload_lock = asyncio.Lock()

    async def start(self) -> None:
        if self.file_source is not None:
            await self.file_source.start()
        else:
            assert self.nats is not None
            await self.nats.connect()
            await self.nats.provision([BUCKET_PLACEMENT], [])
            self.kv = NatsKeyValue(self.nats, BUCKET_PLACEMENT)
            self._task = asyncio.create_task(self._watch(), name="gateway-placement-watch")
            await self._load_now()
        self.active = ActiveRouting(self.observed.state, 1, time.time())

    async def stop(self) -> None:
        if self.file_source is not None:
            await self.file_source.stop()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.nats is not None:
            await self.nats.close()

    async def _watch(self) -> None:
        assert self.kv is not None
        while True:
            try:
                async for entry in self.kv.watch_all():
                    if entry.key in KEYS:
                        self.observed.apply(entry.key, entry.value, str(entry.revision))
            except StateUnavailable:
                await asyncio.sleep(0.25)

    async def _load_now(self) -> None:
        if self.file_source is not None:
            await asyncio.to_thread(self.file_source.load_once)
            return
        assert self.kv is not None
        for key in KEYS:
            entry = await self.kv.get(key)
            if entry is not None:
                self.observed.apply(key, entry.value, str(entry.revision))

    def revisions(self, state: PlacementState) -> dict[str, str | None]:
        out: dict[str, str | None] = {k: state.maps[k].revision for k in KINDS}
        out["routing"] = state.routing.revision
        return out

    async def reload(self) -> dict[str, Any]:
        async with self._reload_lock:
            try:
                await asyncio.wait_for(self._load_now(), _RELOAD_TIMEOUT_S)
            except (StateUnavailable, TimeoutError) as e:
                raise Problem(
                    503, "placement_unavailable", "Placement unavailable", str(e)[:200]
                ) from e
            state = self.observed.state
            loaded = [*(state.maps[k] for k in KINDS), state.routing]
            refused = [
                err.detail
                for item in loaded
                if (err := item.error) is not None and err.revision != item.revision
            ]
            if refused:
                raise Problem(422, "invalid_config", "Invalid config", "; ".join(refused)[:300])
            previous = self.active.state
            answers = previous if self.wrong_after_reload else None
            self.wrong_after_reload = False
            self.active = ActiveRouting(state, self.active.generation + 1, time.time(), answers)
            return self.instance()

    def instance(self) -> dict[str, Any]:
        return {
            "service": "gateway",
            "instance": "gateway",
            "config_generation": self.active.generation,
            "reloaded_at": self.active.reloaded_at,
            "revisions": self.revisions(self.active.state),
        }

    def resolve(self, tenant: str | None, kind: str | None) -> dict[str, Any]:
        if tenant is None or not TENANT_ID_RE.match(tenant):
            raise Problem(400, "invalid_tenant_id", "Invalid tenant id", "tenant is malformed")
        if kind not in KINDS:
            raise Problem(400, "invalid_kind", "Invalid kind", f"kind must be one of {KINDS}")
        k: PlacementKind = kind
        active = self.active
        table = active.answers or active.state
        observed = self.observed.state
        override = active.overrides.get((tenant, k))
        shard: str | None
        if override is not None:
            shard, explicit, source = override.shard, True, "override"
            endpoints = override.endpoints or self.observed.shard_endpoints(k, shard, table)
        else:
            placed = table.index.placement(tenant, k)
            shard, explicit, source = placed.shard, placed.explicit, "placement"
            endpoints = self.observed.shard_endpoints(k, shard, table)
        return {
            "tenant": tenant,
            "kind": k,
            "shard": shard,
            "explicit": explicit,
            "source": source,
            "endpoints": endpoints,
            "revision": active.state.maps[k].revision,
            "routing_revision": active.state.routing.revision,
            "observed_revision": observed.maps[k].revision,
            "config_generation": active.generation,
        }
