"""The fleet's live event: sent when what an operator watches changes (an instance's health,
readiness or version), else at most every FLEET_FIGURES_EVERY_S — not on every snapshot (found
by review: one event per snapshot per replica, every ~5 s, filled the resume buffer and made
every console refetch the fleet for nothing)."""

from __future__ import annotations

from cloudlysis_control.fleet.schemas import FleetSnapshot, FleetSummary, InstanceHealth
from cloudlysis_control.live.bus import EventBus
from cloudlysis_control.live.feeds import FLEET_FIGURES_EVERY_S, Feeds


def snapshot(health: str = "ok", version: str = "1.0.0", taken_at: str = "t") -> FleetSnapshot:
    instance = InstanceHealth(
        service="gateway",
        kind="gateway",
        instance="gw-1",
        url="http://gw-1:8080",
        health=health,  # type: ignore[arg-type]
        ready="ready",
        version=version,
    )
    return FleetSnapshot(
        taken_at=taken_at,
        age_s=0,
        stale=False,
        max_age_s=30,
        duration_ms=1,
        summary=FleetSummary(instances=1, healthy=1, ready=1, unreachable=0, versions={}),
        instances=[instance],
    )


def test_the_fleet_event_follows_changes_not_snapshots() -> None:
    bus = EventBus()
    now = [100.0]
    feeds = Feeds(bus, clock=lambda: now[0])
    feeds.fleet(snapshot(taken_at="a"))  # the first one is news
    now[0] += 5
    feeds.fleet(snapshot(taken_at="b"))  # nothing an operator watches changed
    now[0] += 5
    feeds.fleet(snapshot(health="failing", taken_at="c"))
    now[0] += 5
    feeds.fleet(snapshot(health="failing", version="1.0.1", taken_at="d"))
    now[0] += 5
    feeds.fleet(snapshot(health="failing", version="1.0.1", taken_at="e"))
    assert [e.data["taken_at"] for e in bus.since(f"{bus.epoch}-0") or []] == ["a", "c", "d"]
    now[0] += FLEET_FIGURES_EVERY_S  # the figures are refreshed now and then all the same
    feeds.fleet(snapshot(health="failing", version="1.0.1", taken_at="f"))
    assert bus.last_id == 4
