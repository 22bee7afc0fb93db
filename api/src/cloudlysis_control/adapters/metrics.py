"""The metrics port over the Prometheus HTTP API (`/api/v1/query_range`): VictoriaMetrics,
Prometheus or anything that speaks it."""

from __future__ import annotations

import math
from typing import Any

import httpx
import msgspec

from cloudlysis_control.adapters.http import truncate, upstream_call
from cloudlysis_control.core.errors import MetricsUnavailable, UpstreamError
from cloudlysis_control.core.metrics import Metrics
from cloudlysis_control.metrics.ports import Series


class _Matrix(msgspec.Struct):
    metric: dict[str, str]
    values: list[tuple[float, str]]


class _Data(msgspec.Struct):
    resultType: str
    result: list[_Matrix]


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
    def __init__(
        self, base_url: str, client: httpx.AsyncClient, metrics: Metrics | None, timeout_s: float
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = client
        self.metrics = metrics
        self.timeout_s = timeout_s

    async def query_range(self, expr: str, start: float, end: float, step: float) -> list[Series]:
        params: dict[str, Any] = {"query": expr, "start": start, "end": end, "step": step}
        try:
            with upstream_call(self.metrics, "metrics"):
                resp = await self.client.get(
                    f"{self.base_url}/api/v1/query_range", params=params, timeout=self.timeout_s
                )
        except UpstreamError as e:
            raise MetricsUnavailable(f"the metrics store did not answer: {e.detail}") from e
        if resp.status_code >= 500:
            raise MetricsUnavailable(f"the metrics store answered {resp.status_code}")
        try:
            answer = msgspec.json.decode(resp.content, type=_Answer)
        except (msgspec.DecodeError, msgspec.ValidationError) as e:
            raise MetricsUnavailable("the metrics store answered something else than JSON") from e
        if resp.status_code != 200 or answer.status != "success" or answer.data is None:
            # Our own query refused: a bug to see in the logs, not the client's doing.
            raise UpstreamError(
                f"the metrics store refused the query: {truncate(answer.error or resp.text, 200)}"
            )
        return [
            Series(labels=m.metric, points=[(float(t), _number(v)) for t, v in m.values])
            for m in answer.data.result
        ]
