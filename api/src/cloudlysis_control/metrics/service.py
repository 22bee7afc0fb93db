"""The console's charts: a named query over a time range, through the metrics port.

A request names a query of the catalogue and fills at most its variables; the range and the step
are bounded (at most `max_points` points per series), so no chart can ask the store for more
than a screenful. Without a configured store, or while it is down, the answer is 503
`metrics_unavailable` and nothing else in the API is affected."""

from __future__ import annotations

import time
from collections.abc import Callable

from cloudlysis_control.core.errors import MetricsUnavailable, NotFound, ParamsInvalid
from cloudlysis_control.metrics.catalogue import CATALOGUE, NamedQuery, Variable, render
from cloudlysis_control.metrics.ports import MetricsStore
from cloudlysis_control.metrics.schemas import MetricsQueryInfo, MetricsRange

MAX_POINTS = 1500


class MetricsService:
    def __init__(
        self,
        store: MetricsStore | None,
        *,
        max_points: int = MAX_POINTS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.max_points = max_points
        self.clock = clock

    def catalogue(self) -> list[MetricsQueryInfo]:
        return [
            MetricsQueryInfo(
                name=n.name,
                title=n.title,
                unit=n.unit,
                variables=list(n.variables),
                legend=n.legend,
            )
            for n in CATALOGUE.values()
        ]

    def named(self, name: str) -> NamedQuery:
        query = CATALOGUE.get(name)
        if query is None:
            raise NotFound(f"no metrics query {name!r} (GET /admin/v1/metrics lists them)")
        return query

    async def range(
        self,
        name: str,
        range_s: int,
        step_s: int | None,
        values: dict[Variable, str],
        end: float | None = None,
    ) -> MetricsRange:
        query = self.named(name)
        unknown = sorted(set(values) - set(query.variables))
        if unknown:
            raise ParamsInvalid(
                f"{name} takes {', '.join(query.variables) or 'no variables'}, "
                f"not {', '.join(unknown)}"
            )
        step = float(step_s) if step_s is not None else max(5.0, range_s / 300)
        if range_s / step > self.max_points:
            raise ParamsInvalid(
                f"{range_s} s in steps of {step:g} s is more than {self.max_points} points: "
                "choose a larger step"
            )
        if self.store is None:
            raise MetricsUnavailable("no metrics store is configured (CONTROL_METRICS_URL)")
        stop = float(end if end is not None else self.clock())
        start = stop - range_s
        series = await self.store.query_range(render(query, step, values), start, stop, step)
        return MetricsRange(
            query=name,
            title=query.title,
            unit=query.unit,
            legend=query.legend,
            start=start,
            end=stop,
            step=step,
            series=series,
        )
