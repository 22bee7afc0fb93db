"""Metrics history for the console's charts: named queries only (no PromQL from the browser)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, PathParameter, QueryParameter

from cloudlysis_control.core.openapi import problems
from cloudlysis_control.core.validation import TENANT_ID_PATTERN
from cloudlysis_control.metrics.catalogue import CATALOGUE, Kind, Variable
from cloudlysis_control.metrics.schemas import MetricsQueryInfo, MetricsRange
from cloudlysis_control.metrics.service import MetricsService

QueryName = Annotated[
    str,
    PathParameter(
        pattern="^(" + "|".join(CATALOGUE) + ")$",
        description="A named query (GET /admin/v1/metrics)",
    ),
]
SERVICE_LABEL_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,62}$"


class MetricsController(Controller):
    path = "/admin/v1/metrics"
    tags = ["metrics"]

    @get(
        "/",
        operation_id="ListMetricsQueries",
        opt={"right": "control.fleet.read"},
        responses=problems(),
        sync_to_thread=False,
    )
    def list_queries(self, metrics: NamedDependency[MetricsService]) -> list[MetricsQueryInfo]:
        return metrics.catalogue()

    @get(
        "/{name:str}",
        operation_id="GetMetricsRange",
        opt={"right": "control.fleet.read"},
        responses=problems(422, 502),
        description="A named query over the last `range` seconds, in steps of `step` seconds "
        "(default: range/300, at least 5 s; at most 1,500 points). The query strings are those "
        "of the Grafana dashboards. 503 `metrics_unavailable` when no metrics store is "
        "configured (CONTROL_METRICS_URL) or it does not answer; 422 `params_invalid` for a "
        "variable the query does not take or too many points.",
    )
    async def get_range(
        self,
        metrics: NamedDependency[MetricsService],
        name: QueryName,
        range: Annotated[int, QueryParameter(ge=60, le=7 * 86400, description="Seconds")] = 3600,
        step: Annotated[int | None, QueryParameter(ge=5, le=86400, description="Seconds")] = None,
        kind: FromQuery[Kind | None] = None,
        service: Annotated[str | None, QueryParameter(pattern=SERVICE_LABEL_PATTERN)] = None,
        tenant: Annotated[str | None, QueryParameter(pattern=TENANT_ID_PATTERN)] = None,
    ) -> MetricsRange:
        given: dict[Variable, str | None] = {
            "kind": kind,
            "service": service,
            "tenant": tenant,
        }
        values: dict[Variable, str] = {k: v for k, v in given.items() if v is not None}
        return await metrics.range(name, range, step, values)
