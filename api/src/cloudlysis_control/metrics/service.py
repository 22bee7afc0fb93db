"""The console's charts: a named query over a time range, through the metrics port.

A request names a query of the catalogue and fills at most its variables; the range and the step
are bounded (at most `max_points` points per series), so no chart can ask the store for more
than a screenful. Without a configured store, or while it is down, the answer is 503
`metrics_unavailable` and nothing else in the API is affected.

A window that ends "now" ends at the last whole step, so the operators watching the same chart
ask the same question; identical questions within `cache_s` (and within one step) share one
answer, and concurrent ones one request to the store (the store is queried once per step per
chart, however many consoles are open). Failures are never cached."""

from __future__ import annotations

import asyncio
import math
import time
from collections import OrderedDict
from collections.abc import Callable

from cloudlysis_control.core.errors import MetricsUnavailable, NotFound, ParamsInvalid
from cloudlysis_control.metrics.catalogue import CATALOGUE, NamedQuery, Variable, render
from cloudlysis_control.metrics.ports import MetricsStore, Series
from cloudlysis_control.metrics.schemas import MetricsQueryInfo, MetricsRange

MAX_POINTS = 1500
CACHE_ENTRIES = 256
_Key = tuple[str, float, float, float]


class MetricsService:
    def __init__(
        self,
        store: MetricsStore | None,
        *,
        max_points: int = MAX_POINTS,
        cache_s: float = 5.0,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.max_points = max_points
        self.cache_s = cache_s
        self.clock = clock
        self.monotonic = monotonic
        self._cache: OrderedDict[_Key, tuple[float, list[Series]]] = OrderedDict()
        self._inflight: dict[_Key, asyncio.Future[list[Series]]] = {}
        self.store_queries = 0  # how many questions reached the store (tests, benchmarks)

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
        stop = float(end) if end is not None else math.floor(self.clock() / step) * step
        start = stop - range_s
        series = await self._query(render(query, step, values), start, stop, step)
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

    async def window(
        self, name: str, values: dict[Variable, str], end: float, window_s: float
    ) -> list[tuple[dict[str, str], float | None]]:
        """A named query evaluated once, at `end`, over the window `[end - window_s, end]`
        (`$__rate_interval` is the window): each series' labels and value (None: no sample).
        Raise MetricsUnavailable without a store or while it is down."""
        query = self.named(name)
        if self.store is None:
            raise MetricsUnavailable("no metrics store is configured (CONTROL_METRICS_URL)")
        expr = render(query, window_s, values, rate_window_s=window_s)
        # Two points (start and end): few enough that no store shifts them to align a cache.
        series = await self._query(expr, end - window_s, end, window_s)
        out: list[tuple[dict[str, str], float | None]] = []
        for s in series:
            at_end = [v for t, v in s.points if abs(t - end) < 1e-3]
            out.append((s.labels, at_end[0] if at_end else None))
        return out

    async def _query(self, expr: str, start: float, end: float, step: float) -> list[Series]:
        assert self.store is not None
        ttl = min(self.cache_s, step)
        if ttl <= 0:
            self.store_queries += 1
            return await self.store.query_range(expr, start, end, step)
        key = (expr, start, end, step)
        now = self.monotonic()
        cached = self._cache.get(key)
        if cached is not None and now - cached[0] < ttl:
            return cached[1]
        pending = self._inflight.get(key)
        if pending is not None:
            try:
                return await asyncio.shield(pending)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not pending.cancelled() or (task is not None and task.cancelling()):
                    raise
                # the one asking gave up (its client left): ask for ourselves
                self.store_queries += 1
                return await self.store.query_range(expr, start, end, step)
        future: asyncio.Future[list[Series]] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            self.store_queries += 1
            series = await self.store.query_range(expr, start, end, step)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as e:
            future.set_exception(e)
            future.exception()  # retrieved: waiters get it, nobody logs "never retrieved"
            raise
        else:
            future.set_result(series)
            self._cache[key] = (self.monotonic(), series)
            self._cache.move_to_end(key)
            while len(self._cache) > CACHE_ENTRIES:
                self._cache.popitem(last=False)
            return series
        finally:
            self._inflight.pop(key, None)
