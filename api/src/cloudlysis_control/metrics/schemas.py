from __future__ import annotations

from typing import Literal

import msgspec

from cloudlysis_control.metrics.ports import Series

Unit = Literal["reqps", "ratio", "seconds", "count", "bytes"]


class MetricsQueryInfo(msgspec.Struct, kw_only=True):
    name: str
    title: str
    unit: Unit
    variables: list[str]  # which of kind, service, tenant, instance the query takes
    legend: str  # the labels that name a series


class MetricsRange(msgspec.Struct, kw_only=True):
    """A named query over a time range, as series ready to plot."""

    query: str
    title: str
    unit: Unit
    legend: str
    start: float  # unix seconds
    end: float
    step: float
    series: list[Series]
