"""The fleet health snapshot: every instance's /health, /ready and /metrics, probed concurrently.

With a metrics store configured (`fleet_metrics`), the figures /metrics would give (build info
and the selected metrics) come from the store, which already scrapes every instance, and only
/health and /ready are probed; an instance the store does not know, or every instance while the
store does not answer, is probed in full as before. Each instance says where its figures came
from (`metrics_source`).

At most `concurrency` instances are probed at once, each within `timeout_s` in total, so a hung
instance costs one timeout and never holds up the rest. The snapshot is cached for `max_age_s`
and refreshed in the background; readers get the cached one and only wait (single flight, bounded
by the probe timeout) when it is older than that.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from cloudlysis_control.core.clock import rfc3339
from cloudlysis_control.core.errors import NotFound
from cloudlysis_control.core.logging import get_logger
from cloudlysis_control.fleet.ports import FleetMetrics, InstanceFigures, Prober, ProbeResult
from cloudlysis_control.fleet.registry import FleetRegistry, FleetService
from cloudlysis_control.fleet.schemas import FleetSnapshot, FleetSummary, InstanceHealth

_log = get_logger("control.fleet")


@dataclass(frozen=True, slots=True)
class _Taken:
    taken_at: str
    taken_mono: float
    duration_ms: float
    instances: tuple[InstanceHealth, ...]


def address(url: str) -> str:
    """`host:port` of an instance URL: the `instance` label a scrape of it records."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = parts.hostname or ""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def normalise(
    service: FleetService, result: ProbeResult, figures: InstanceFigures | None = None
) -> InstanceHealth:
    if figures is not None:
        result.version, result.git_sha = figures.version, figures.git_sha
        result.build_info_metric, result.selected = figures.build_info_metric, figures.selected
    unreachable = result.health is None
    return InstanceHealth(
        service=service.service_name,
        kind=service.kind,
        instance=service.name,
        url=service.url,
        shard=service.shard,
        health="unreachable" if unreachable else ("ok" if result.health == 200 else "failing"),
        ready="unreachable"
        if result.ready is None
        else ("ready" if result.ready == 200 else "not_ready"),
        health_status=result.health,
        ready_status=result.ready,
        latency_ms=result.latency_ms,
        version=result.version,
        git_sha=result.git_sha,
        metrics=result.selected,
        metrics_source="store" if figures is not None else "probe",
        error=result.error,
    )


class FleetSnapshotService:
    def __init__(
        self,
        registry: FleetRegistry,
        prober: Prober,
        *,
        concurrency: int = 64,
        timeout_s: float = 2.0,
        max_age_s: float = 10.0,
        refresh_interval_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        fleet_metrics: FleetMetrics | None = None,
    ) -> None:
        self.registry = registry
        self.prober = prober
        self.fleet_metrics = fleet_metrics
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.max_age_s = max_age_s
        self.refresh_interval_s = refresh_interval_s or max(0.5, max_age_s / 2)
        self.clock = clock
        self._taken: _Taken | None = None
        self._refreshing: asyncio.Task[_Taken] | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._started = False
        self._by_url: dict[str, InstanceHealth] = {}
        self._listeners: list[Callable[[FleetSnapshot], None]] = []
        registry.subscribe(self._fleet_changed)

    @property
    def fleet(self) -> list[FleetService]:
        return self.registry.instances()

    # -- probing ----------------------------------------------------------------------------------

    async def _figures(self) -> dict[str, InstanceFigures]:
        if self.fleet_metrics is None:
            return {}
        try:
            return await asyncio.wait_for(self.fleet_metrics.figures(), self.timeout_s)
        except Exception as e:  # the store down: probe /metrics as without it
            _log.warning("fleet figures from the metrics store failed", error=type(e).__name__)
            return {}

    async def _probe_one(
        self, sem: asyncio.Semaphore, service: FleetService, figures: InstanceFigures | None
    ) -> InstanceHealth:
        async with sem:
            started = time.perf_counter()
            try:
                result = await asyncio.wait_for(
                    self.prober.probe(service.url, metrics=figures is None), self.timeout_s
                )
            except TimeoutError:
                result = ProbeResult(
                    url=service.url,
                    latency_ms=round((time.perf_counter() - started) * 1000, 3),
                    error=f"probe did not finish within {self.timeout_s:g} s",
                )
            except Exception as e:  # a probe failure is data about the instance, never a 500
                result = ProbeResult(url=service.url, error=f"probe failed: {type(e).__name__}")
        return normalise(service, result, figures)

    async def _take(self) -> _Taken:
        started = time.perf_counter()
        sem = asyncio.Semaphore(self.concurrency)
        figures = await self._figures()
        instances = await asyncio.gather(
            *(self._probe_one(sem, s, figures.get(address(s.url))) for s in self.fleet)
        )
        taken = _Taken(
            rfc3339(),
            self.clock(),
            round((time.perf_counter() - started) * 1000, 3),
            tuple(instances),
        )
        self._taken = taken
        self._by_url = {i.url.rstrip("/"): i for i in instances}
        if self._listeners:
            view = self._view(taken)
            for listener in self._listeners:
                listener(view)
        return taken

    async def refresh(self) -> FleetSnapshot:
        """Take a new snapshot now (joins one already being taken)."""
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.create_task(self._take(), name="fleet-snapshot")
        return self._view(await asyncio.shield(self._refreshing))

    async def snapshot(self) -> FleetSnapshot:
        taken = self._taken
        if taken is not None and self.clock() - taken.taken_mono <= self.max_age_s:
            return self._view(taken)
        try:
            return await asyncio.wait_for(self.refresh(), self.timeout_s + 1.0)
        except TimeoutError:
            return self._view(self._taken)

    def on_snapshot(self, listener: Callable[[FleetSnapshot], None]) -> None:
        """Called with every new snapshot."""
        self._listeners.append(listener)

    def instance_by_url(self, url: str) -> InstanceHealth | None:
        return self._by_url.get(url.rstrip("/"))

    def services(self) -> set[str]:
        return self.registry.services()

    async def service_snapshot(self, service: str) -> FleetSnapshot:
        if service not in self.services():
            raise NotFound(f"no service named {service!r} in the fleet")
        snap = await self.snapshot()
        instances = [i for i in snap.instances if i.service == service]
        return FleetSnapshot(
            taken_at=snap.taken_at,
            age_s=snap.age_s,
            stale=snap.stale,
            max_age_s=snap.max_age_s,
            duration_ms=snap.duration_ms,
            summary=_summary(instances),
            instances=instances,
        )

    def _view(self, taken: _Taken | None) -> FleetSnapshot:
        if taken is None:
            return FleetSnapshot(
                taken_at=None,
                age_s=None,
                stale=True,
                max_age_s=self.max_age_s,
                duration_ms=None,
                summary=_summary([]),
                instances=[],
            )
        age = round(self.clock() - taken.taken_mono, 3)
        return FleetSnapshot(
            taken_at=taken.taken_at,
            age_s=age,
            stale=age > self.max_age_s,
            max_age_s=self.max_age_s,
            duration_ms=taken.duration_ms,
            summary=_summary(list(taken.instances)),
            instances=list(taken.instances),
        )

    def _fleet_changed(self, fleet: list[FleetService]) -> None:
        """The registry changed: the next reader waits for a snapshot of the new fleet."""
        self._taken = None
        if fleet and self._loop_task is None and self._started:
            self._loop_task = asyncio.create_task(self._loop(), name="fleet-refresh")

    # -- background refresh -----------------------------------------------------------------------

    async def start(self) -> None:
        self._started = True
        if self.fleet:
            self._loop_task = asyncio.create_task(self._loop(), name="fleet-refresh")

    async def _loop(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception:
                _log.exception("fleet snapshot failed")
            await asyncio.sleep(self.refresh_interval_s)

    async def stop(self) -> None:
        for task in (self._loop_task, self._refreshing):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task


def _summary(instances: list[InstanceHealth]) -> FleetSummary:
    versions = Counter(f"{i.service}@{i.version}" for i in instances if i.version)
    return FleetSummary(
        instances=len(instances),
        healthy=sum(1 for i in instances if i.health == "ok"),
        ready=sum(1 for i in instances if i.ready == "ready"),
        unreachable=sum(1 for i in instances if i.health == "unreachable"),
        versions=dict(sorted(versions.items())),
    )
