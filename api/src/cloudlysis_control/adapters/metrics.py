"""The metrics port over the Prometheus HTTP API (`/api/v1/query_range`): VictoriaMetrics,
Prometheus or anything that speaks it."""

from __future__ import annotations

import math

import aiohttp
import msgspec

from cloudlysis_control.adapters.http import PooledSession, aio_get, truncate
from cloudlysis_control.core.errors import (
    MetricsUnavailable,
    UpstreamError,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from cloudlysis_control.core.metrics import Metrics
from cloudlysis_control.metrics.ports import Series


class _Matrix(msgspec.Struct):
    metric: dict[str, str]
    values: list[tuple[float, str]]


class _Sample(msgspec.Struct):
    metric: dict[str, str]
    value: tuple[float, str]


class _Data(msgspec.Struct):
    resultType: str
    result: list[_Matrix]


class _VectorData(msgspec.Struct):
    resultType: str
    result: list[_Sample]


class _VectorAnswer(msgspec.Struct):
    status: str
    data: _VectorData | None = None
    error: str | None = None


class _Answer(msgspec.Struct):
    status: str
    data: _Data | None = None
    error: str | None = None


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


class PrometheusApi:
    """Range queries over one pooled aiohttp session (as the probe client: httpx spent ≈ 3 ms
    per query here, aiohttp ≈ 0.5 ms; docs/performance.md). Requests carry the caller's
    x-request-id, x-correlation-id and traceparent like every other outbound call."""

    def __init__(self, base_url: str, metrics: Metrics | None, timeout_s: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.metrics = metrics
        self.timeout_s = timeout_s
        self._pool = PooledSession(
            timeout_s, lambda: aiohttp.TCPConnector(limit=32, keepalive_timeout=60)
        )

    def _client(self) -> aiohttp.ClientSession:
        return self._pool.get()

    async def aclose(self) -> None:
        await self._pool.aclose()

    async def _get(self, params: dict[str, str], path: str = "query_range") -> tuple[int, bytes]:
        try:
            return await aio_get(
                self._client(),
                f"{self.base_url}/api/v1/{path}",
                params=params,
                metrics=self.metrics,
                upstream="metrics",
                timeout_detail="the metrics store did not answer in time",
                unreachable_detail="the metrics store is unreachable",
            )
        except (UpstreamTimeout, UpstreamUnavailable) as e:  # no store: no chart, a 503
            raise MetricsUnavailable(e.detail) from e

    async def query_range(self, expr: str, start: float, end: float, step: float) -> list[Series]:
        params = {"query": expr, "start": str(start), "end": str(end), "step": str(step)}
        status, body = await self._get(params)
        if status >= 500:
            raise MetricsUnavailable(f"the metrics store answered {status}")
        try:
            answer = msgspec.json.decode(body, type=_Answer)
        except (msgspec.DecodeError, msgspec.ValidationError) as e:
            raise MetricsUnavailable("the metrics store answered something else than JSON") from e
        if status != 200 or answer.status != "success" or answer.data is None:
            # Our own query refused: a bug to see in the logs, not the client's doing.
            raise UpstreamError(
                f"the metrics store refused the query: {truncate(answer.error or body, 200)}"
            )
        return [
            Series(labels=m.metric, points=[(float(t), _number(v)) for t, v in m.values])
            for m in answer.data.result
        ]

    async def query(self, expr: str) -> list[tuple[dict[str, str], float | None]]:
        """An instant query at the store's now: each series' labels and latest value."""
        status, body = await self._get({"query": expr}, "query")
        if status >= 500:
            raise MetricsUnavailable(f"the metrics store answered {status}")
        try:
            answer = msgspec.json.decode(body, type=_VectorAnswer)
        except (msgspec.DecodeError, msgspec.ValidationError) as e:
            raise MetricsUnavailable("the metrics store answered something else than JSON") from e
        if status != 200 or answer.status != "success" or answer.data is None:
            raise UpstreamError(
                f"the metrics store refused the query: {truncate(answer.error or body, 200)}"
            )
        return [(s.metric, _number(s.value[1])) for s in answer.data.result]
