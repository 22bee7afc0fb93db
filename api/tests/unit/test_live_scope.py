"""The live stream of a principal whose rights are held on some tenants only: it sees those
tenants' events and nothing else (no other tenant's, none of no tenant)."""

from __future__ import annotations

import asyncio

from cloudlysis_control.live.bus import EventBus
from cloudlysis_control.live.service import LiveService, Resync


async def test_a_tenant_scoped_stream_carries_its_tenants_events_only() -> None:
    bus = EventBus()
    live = LiveService(bus, heartbeat_s=60)
    operator = live.stream(
        frozenset({"control.access"}), None, {"control.jobs.read": frozenset({"acme"})}
    )
    platform = live.stream(frozenset({"control.access", "control.jobs.read"}), None)
    assert isinstance(await anext(operator), Resync)
    assert isinstance(await anext(platform), Resync)
    bus.publish("job", {"id": "j1"}, "control.jobs.read", "acme")
    bus.publish("job", {"id": "j2"}, "control.jobs.read", "globex")
    bus.publish("job", {"id": "j3"}, "control.jobs.read", None)
    bus.publish("audit", {"id": "a1"}, "control.audit.read", "acme")  # a right it lacks
    bus.publish("job", {"id": "j4"}, "control.jobs.read", "acme")
    seen = [await asyncio.wait_for(anext(operator), 1) for _ in range(2)]
    assert [e.data["id"] for e in seen] == ["j1", "j4"]  # type: ignore[union-attr]
    everything = [await asyncio.wait_for(anext(platform), 1) for _ in range(4)]
    assert [e.data["id"] for e in everything] == ["j1", "j2", "j3", "j4"]  # type: ignore[union-attr]
    # a resume from the buffer is filtered the same way
    resumed = live.stream(
        frozenset(), f"{bus.epoch}-0", {"control.jobs.read": frozenset({"globex"})}
    )
    first = await asyncio.wait_for(anext(resumed), 1)
    assert first.data["id"] == "j2"  # type: ignore[union-attr]
    for stream in (operator, platform, resumed):
        await stream.aclose()
    assert bus.subscribers == 0
