"""The simulated Gateway's routing table: placement watched in NATS KV, applied on reload.

The Gateway watches the placement bucket (`control_placement`, docs/contracts/
placement-and-routing.md) and keeps the newest valid documents as *observed*. Requests are routed
with the *active* table, which only changes on `POST /admin/v1/config/reload`: the reload reads
every key from KV now (so it never races the watcher), promotes the result and bumps
`config_generation`. `GET /admin/routing/resolve?tenant=&kind=` answers from the active table,
which is what a migration verifies after its reload.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from typing import Any

from cloudlysis_control.adapters.nats.state import NatsKeyValue, NatsState
from cloudlysis_control.bootstrap.placement import BUCKET_PLACEMENT
from cloudlysis_control.core.errors import StateUnavailable
from cloudlysis_control.core.validation import TENANT_ID_RE
from cloudlysis_control.placement.schemas import KEYS, KINDS, PlacementKind
from cloudlysis_control.placement.service import PlacementService, PlacementState
from cloudlysis_devfleet.common import Problem

_RELOAD_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class ActiveRouting:
    state: PlacementState
    generation: int
    reloaded_at: float | None


class GatewayRouting:
    def __init__(self, nats_url: str) -> None:
        self.nats = NatsState(url=nats_url, connect_timeout_s=5.0, op_timeout_s=5.0)
        self.kv: NatsKeyValue | None = None
        self.observed = PlacementService("nats")
        self.active = ActiveRouting(self.observed.state, 1, None)
        self._task: asyncio.Task[None] | None = None
        self._reload_lock = asyncio.Lock()

    async def start(self) -> None:
        await self.nats.connect()
        await self.nats.provision([BUCKET_PLACEMENT], [])
        self.kv = NatsKeyValue(self.nats, BUCKET_PLACEMENT)
        self._task = asyncio.create_task(self._watch(), name="gateway-placement-watch")
        await self._load_now()
        self.active = ActiveRouting(self.observed.state, 1, time.time())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
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
        assert self.kv is not None
        for key in KEYS:
            entry = await self.kv.get(key)
            if entry is not None:
                self.observed.apply(key, entry.value, str(entry.revision))

    async def reload(self) -> dict[str, Any]:
        async with self._reload_lock:
            try:
                await asyncio.wait_for(self._load_now(), _RELOAD_TIMEOUT_S)
            except (StateUnavailable, TimeoutError) as e:
                raise Problem(
                    503, "placement_unavailable", "Placement unavailable", str(e)[:200]
                ) from e
            state = self.observed.state
            refused = [
                f"{k}: {err.detail}"
                for k in KINDS
                if (err := state.maps[k].error) is not None
                and err.revision != state.maps[k].revision
            ]
            if refused:
                raise Problem(422, "invalid_config", "Invalid config", "; ".join(refused)[:300])
            self.active = ActiveRouting(state, self.active.generation + 1, time.time())
            return {
                "service": "gateway",
                "instance": "gateway",
                "config_generation": self.active.generation,
                "reloaded_at": self.active.reloaded_at,
                "revisions": {k: state.maps[k].revision for k in KINDS},
            }

    def resolve(self, tenant: str | None, kind: str | None) -> dict[str, Any]:
        if tenant is None or not TENANT_ID_RE.match(tenant):
            raise Problem(400, "invalid_tenant_id", "Invalid tenant id", "tenant is malformed")
        if kind not in KINDS:
            raise Problem(400, "invalid_kind", "Invalid kind", f"kind must be one of {KINDS}")
        k: PlacementKind = kind
        active = self.active
        observed = self.observed.state
        placed = active.state.index.placement(tenant, k)
        return {
            "tenant": tenant,
            "kind": k,
            "shard": placed.shard,
            "explicit": placed.explicit,
            "endpoints": self.observed.shard_endpoints(k, placed.shard, active.state),
            "revision": active.state.maps[k].revision,
            "observed_revision": observed.maps[k].revision,
            "config_generation": active.generation,
        }
