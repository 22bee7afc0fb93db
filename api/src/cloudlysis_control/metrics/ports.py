"""What the console's charts need from a metrics store: a range query of the Prometheus HTTP API.

`adapters.metrics.PrometheusApi` implements it (VictoriaMetrics, Prometheus, anything that speaks
`/api/v1/query_range`); unit tests use an in-memory fake."""

from __future__ import annotations

from typing import Protocol

import msgspec


class Series(msgspec.Struct):
    """One time series, ready to plot: its labels and [unix seconds, value] points (None where
    the store has no sample or the value is not a number)."""

    labels: dict[str, str]
    points: list[tuple[float, float | None]]


class MetricsStore(Protocol):
    async def query_range(self, expr: str, start: float, end: float, step: float) -> list[Series]:
        """Raise core.errors.MetricsUnavailable when the store cannot answer."""
        ...
