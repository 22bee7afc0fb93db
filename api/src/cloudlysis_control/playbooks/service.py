"""The verification playbooks: one implementation of `playbook.post_deploy` and
`playbook.rollback_verify`, run by those job kinds and, through the `DeployVerifier` port, as
the verify step of `service.deploy` and `service.rollback`.

Checks, each a CheckResult `{check, ok, value, threshold, detail}`:

* `tasks_converged`: the update (or rollback) state is final, every desired replica runs, every
  live task runs the service's image;
* `healthy_ready`: the service's admin address answers 200 on /health and /ready (polled up to
  the request's health wait);
* `error_rate` and `p99_latency`: the named queries the console charts use
  (`request_rate_by_version`, `error_ratio_by_version`, `latency_p99_by_version`) through the
  metrics port, for the version deployed in the window after the deploy against the version it
  replaced in the window before (metrics.queries, never the services' own /metrics);
* `routing_resolution`: sampled tenants resolve, through every Gateway, to the shard placement
  says (config.verify.resolve_samples, what a config change's verification does);
* `no_new_drift`: no drift item of the service first seen since the deploy started.

Nothing here changes anything: running a playbook twice over the same deploy asks the same
questions about the same windows.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from cloudlysis_control.config.documents import Flags
from cloudlysis_control.config.ports import ConfigAgents
from cloudlysis_control.config.schemas import VerifySample
from cloudlysis_control.config.verify import resolve_samples
from cloudlysis_control.core.checks import CheckResult
from cloudlysis_control.core.errors import ControlError, MetricsUnavailable
from cloudlysis_control.deployments.plan import ServicePlanner
from cloudlysis_control.deployments.ports import PlaybookReport, VerifyRequest
from cloudlysis_control.fleet.ports import Prober, ProbeResult
from cloudlysis_control.fleet.registry import FleetRegistry
from cloudlysis_control.metrics.catalogue import service_label
from cloudlysis_control.metrics.service import MetricsService
from cloudlysis_control.placement.schemas import KINDS
from cloudlysis_control.placement.service import PlacementService
from cloudlysis_control.playbooks.checks import (
    ERROR_RATE,
    P99_LATENCY,
    WindowFigures,
    error_rate_check,
    not_measured,
    p99_check,
)
from cloudlysis_control.playbooks.ports import DriftReader, FlagsSource
from cloudlysis_control.swarm.ports import Raw
from cloudlysis_control.swarm.schemas import SwarmService

POLL_S = 0.5
FINAL_STATES = (None, "completed", "rollback_completed")


def settle_s(window_s: float) -> float:
    """How long after a window's end the store is asked: its last scrapes must have landed."""
    return min(15.0, max(1.0, window_s / 5))


class Playbooks:
    def __init__(
        self,
        planner: ServicePlanner,
        prober: Prober,
        charts: MetricsService,
        flags: FlagsSource,
        *,
        placement: PlacementService | None = None,
        fleet: FleetRegistry | None = None,
        agents: ConfigAgents | None = None,
        drift: DriftReader | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.planner = planner
        self.prober = prober
        self.charts = charts
        self.flags = flags
        self.placement = placement
        self.fleet = fleet
        self.agents = agents
        self.drift = drift
        self.clock = clock
        self.sleep = sleep

    async def verify(self, request: VerifyRequest) -> PlaybookReport:
        flags = await self.flags.flags()
        window = float(flags.playbook_window_s)
        before = (request.started_at - window, request.started_at)
        after = (request.converged_at, request.converged_at + window)
        raw, s = await self.planner.inspect(request.service)
        checks = [self._converged(raw, s)]
        checks.append(await self._healthy(s, request.health_wait_s))
        if all(c.ok for c in checks):
            # Only a running, healthy service is worth waiting a window for.
            checks += await self._metrics(s, request, flags, before, after)
        else:
            checks += [
                CheckResult(check=name, ok=True, detail="not measured: the service is not up")
                for name in (ERROR_RATE, P99_LATENCY)
            ]
        checks.append(await self._routing(s, flags))
        checks.append(await self._drift(request))
        return PlaybookReport(
            playbook=request.playbook,
            service=request.service,
            ok=all(c.ok for c in checks),
            checks=checks,
            before=before,
            after=after,
            from_version=request.from_version,
            to_version=request.to_version,
        )

    # -- the service itself ---------------------------------------------------------------

    @staticmethod
    def _converged(raw: Raw, s: SwarmService) -> CheckResult:
        image = raw["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"]
        live = [t for t in s.tasks if t.desired_state == "running"]
        desired = s.replicas_desired
        stale = [t for t in live if t.image != image]
        ok = (
            s.update_state in FINAL_STATES
            and (desired is None or s.replicas_running >= desired)
            and not stale
        )
        problems = []
        if s.update_state not in FINAL_STATES:
            problems.append(f"update state {s.update_state}")
        if desired is not None and s.replicas_running < desired:
            problems.append(f"{s.replicas_running} of {desired} replicas running")
        if stale:
            problems.append(f"{len(stale)} task(s) on another image")
        return CheckResult(
            check="tasks_converged",
            ok=ok,
            value=s.replicas_running,
            threshold=desired,
            detail="; ".join(problems)
            or f"{s.replicas_running} replica(s) running {image} ({s.update_state})",
        )

    async def _healthy(self, s: SwarmService, wait_s: float) -> CheckResult:
        if s.admin_url is None:
            return CheckResult(
                check="healthy_ready",
                ok=True,
                detail="not probed: no cloudlysis.admin_url/admin_port label",
            )
        deadline = self.clock() + wait_s
        while True:
            last: ProbeResult = await self.prober.probe(s.admin_url, metrics=False)
            ok = last.health == 200 and last.ready == 200
            if ok or self.clock() >= deadline:
                break
            await self.sleep(POLL_S)
        return CheckResult(
            check="healthy_ready",
            ok=ok,
            value=f"health {last.health}, ready {last.ready}",
            threshold="health 200, ready 200",
            detail=f"{s.admin_url}: "
            + ("healthy and ready" if ok else last.error or "not healthy and ready")
            + ("" if ok or wait_s <= 0 else f" after {wait_s:g} s"),
        )

    # -- metrics --------------------------------------------------------------------------

    async def _metrics(
        self,
        s: SwarmService,
        request: VerifyRequest,
        flags: Flags,
        before: tuple[float, float],
        after: tuple[float, float],
    ) -> list[CheckResult]:
        def unmeasured(why: str) -> list[CheckResult]:
            return [not_measured(c, why, flags) for c in (ERROR_RATE, P99_LATENCY)]

        if self.charts.store is None:
            return unmeasured("no metrics store is configured (CONTROL_METRICS_URL)")
        if s.kind is None:
            return unmeasured(f"{s.service} has no cloudlysis.kind label to find its series by")
        window = after[1] - after[0]
        wait = after[1] + settle_s(window) - self.clock()
        if wait > 0:
            await self.sleep(wait)
        label = service_label(s.kind)
        try:
            was = await self._figures(label, request.from_version, before[1], window)
            now = await self._figures(label, request.to_version, after[1], window)
        except MetricsUnavailable as e:
            return unmeasured(f"the metrics store cannot answer ({e.detail})")
        except ControlError as e:
            return unmeasured(f"the metrics store refused a query ({e.detail})")
        return [error_rate_check(was, now, flags), p99_check(was, now, flags)]

    async def _figures(
        self, service: str, version: str | None, end: float, window_s: float
    ) -> WindowFigures:
        """The figures of `service`'s `version` (all its versions when unknown) in the window
        ending at `end`."""

        async def values(name: str) -> list[float]:
            answer = await self.charts.window(name, {"service": service}, end, window_s)
            return [
                v
                for labels, v in answer
                if v is not None
                and (version is None or version in (labels.get("version"), labels.get("image_tag")))
            ]

        rates, ratios, p99s = await asyncio.gather(
            values("request_rate_by_version"),
            values("error_ratio_by_version"),
            values("latency_p99_by_version"),
        )
        requests = sum(rates) * window_s
        ratio = max(ratios) if ratios else (0.0 if requests > 0 else None)
        return WindowFigures(requests=requests, error_ratio=ratio, p99_s=max(p99s, default=None))

    # -- routing and drift ----------------------------------------------------------------

    async def _routing(self, s: SwarmService, flags: Flags) -> CheckResult:
        check = "routing_resolution"
        if self.placement is None or self.fleet is None or self.agents is None:
            return CheckResult(check=check, ok=True, detail="routing not configured")
        gateways = [(i.name, i.url) for i in self.fleet.instances() if i.kind == "gateway"]
        index = self.placement.state.index
        kinds = [k for k in KINDS if k == s.kind] or list(KINDS)
        samples = []
        for tenant in _spread(index.tenants, flags.playbook_routing_samples):
            for kind in kinds:
                shard = index.placement(tenant, kind).shard
                samples.append(VerifySample(tenant=tenant, kind=kind, changed=False, shard=shard))
        if not gateways or not samples:
            why = "no Gateway in the fleet" if not gateways else "no tenant placed"
            return CheckResult(check=check, ok=True, detail=f"nothing to sample: {why}")
        problems: list[str] = []
        answers = await resolve_samples(self.agents, gateways, samples, True, problems)
        good = sum(1 for a in answers if a["ok"])
        asked = len(samples) * len(gateways)
        return CheckResult(
            check=check,
            ok=not problems,
            value=good,
            threshold=asked,
            detail="; ".join(problems[:3])
            or f"{len(samples)} sampled tenant(s) resolve as placed through "
            f"{len(gateways)} Gateway(s)",
        )

    async def _drift(self, request: VerifyRequest) -> CheckResult:
        check = "no_new_drift"
        if self.drift is None:
            return CheckResult(check=check, ok=True, detail="drift not configured")
        items = await self.drift.new_items(request.service, request.started_at)
        return CheckResult(
            check=check,
            ok=not items,
            value=len(items),
            threshold=0,
            detail="; ".join(items[:3]) or "no drift item since the deploy started",
        )


def _spread(tenants: tuple[str, ...], n: int) -> list[str]:
    """`n` tenants spread evenly over the sorted ids: the same ones for the same placement."""
    if n <= 0 or not tenants:
        return []
    if len(tenants) <= n:
        return list(tenants)
    return [tenants[i * len(tenants) // n] for i in range(n)]
