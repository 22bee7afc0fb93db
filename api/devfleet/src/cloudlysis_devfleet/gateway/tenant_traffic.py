"""The simulated Gateway's tenant traffic: `POST /v1/tenants/{tenant_id}/{kind}/work` routed by
the active placement to the tenant's shard and forwarded to it, with the Gateway's tenant and
upstream metrics of the metrics contract (gateway_tenant_requests_total{tenant,status_class},
gateway_tenant_inflight_requests{tenant}, gateway_upstream_requests_total{upstream,outcome},
gateway_upstream_request_duration_seconds{upstream}). Tenant labels are bounded: the first
MAX_TENANT_LABELS tenants seen keep their name, later ones are folded into `__other__`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from litestar import Litestar, Request, Response, post
from litestar.handlers import BaseRouteHandler
from litestar.params import FromPath
from prometheus_client import Counter, Gauge, Histogram

from cloudlysis_devfleet.common import HISTOGRAM_BUCKETS_S, Problem, ServiceKit
from cloudlysis_devfleet.routing import GatewayRouting

MAX_TENANT_LABELS = 50
OTHER_TENANT = "__other__"
_UPSTREAM_TIMEOUT_S = 10.0


class TenantTraffic:
    def __init__(self, kit: ServiceKit, routing: GatewayRouting) -> None:
        self.kit = kit
        self.routing = routing
        self.http: httpx.AsyncClient | None = None
        self._labelled: set[str] = set()
        r = kit.registry
        self.tenant_requests = Counter(
            "gateway_tenant_requests",
            "Requests per bounded tenant.",
            ["tenant", "status_class"],
            registry=r,
        )
        self.tenant_inflight = Gauge(
            "gateway_tenant_inflight_requests",
            "In-flight requests per bounded tenant.",
            ["tenant"],
            registry=r,
        )
        self.upstream_requests = Counter(
            "gateway_upstream_requests",
            "Calls from the Gateway to upstream services.",
            ["upstream", "outcome"],
            registry=r,
        )
        self.upstream_duration = Histogram(
            "gateway_upstream_request_duration_seconds",
            "Latency of Gateway upstream calls.",
            ["upstream"],
            registry=r,
            buckets=HISTOGRAM_BUCKETS_S,
        )

    def tenant_label(self, tenant: str) -> str:
        if tenant in self._labelled:
            return tenant
        if len(self._labelled) < MAX_TENANT_LABELS:
            self._labelled.add(tenant)
            return tenant
        return OTHER_TENANT

    async def forward(self, tenant: str, kind: str, body: bytes) -> Response[bytes]:
        route = self.routing.resolve(tenant, kind)  # 400 for a malformed tenant or kind
        label = self.tenant_label(tenant)
        status = 500
        with self.tenant_inflight.labels(label).track_inprogress():
            try:
                response = await self._forward(route, tenant, kind, body)
                status = response.status_code or 200
                return response
            except Problem as e:
                status = e.status
                raise
            finally:
                self.tenant_requests.labels(label, f"{status // 100}xx").inc()

    async def _forward(
        self, route: dict[str, Any], tenant: str, kind: str, body: bytes
    ) -> Response[bytes]:
        endpoints = route["endpoints"]
        if not endpoints:
            raise Problem(503, "no_endpoint", "No endpoint", f"shard {route['shard']} has none")
        if await self.kit.serve_traffic():
            raise Problem(500, "bad_build", "Internal error", f"{self.kit.switches.version} failed")
        assert self.http is not None
        started = time.perf_counter()
        outcome = "error"
        try:
            r = await self.http.post(
                f"{endpoints[0].rstrip('/')}/v1/tenants/{tenant}/work",
                content=body,
                headers={"content-type": "application/json"},
            )
            outcome = "ok" if r.status_code < 500 else "error"
        except httpx.TimeoutException as e:
            outcome = "timeout"
            raise Problem(504, "upstream_timeout", "Upstream timeout", kind) from e
        except httpx.HTTPError as e:
            raise Problem(502, "upstream_unavailable", "Upstream unavailable", kind) from e
        finally:
            self.upstream_requests.labels(kind, outcome).inc()
            self.upstream_duration.labels(kind).observe(time.perf_counter() - started)
        if r.status_code >= 500:
            raise Problem(
                502, "upstream_error", "Upstream error", f"{kind} answered {r.status_code}"
            )
        return Response(content=r.content, status_code=r.status_code, media_type="application/json")

    @asynccontextmanager
    async def client(self, _app: Litestar) -> AsyncIterator[None]:
        self.http = httpx.AsyncClient(timeout=_UPSTREAM_TIMEOUT_S)
        try:
            yield
        finally:
            await self.http.aclose()


def tenant_traffic_handlers(traffic: TenantTraffic) -> list[BaseRouteHandler]:
    @post(
        "/v1/tenants/{tenant_id:str}/{kind:str}/work",
        operation_id="RouteTenantWork",
        status_code=202,
    )
    async def route_work(
        request: Request[Any, Any, Any], tenant_id: FromPath[str], kind: FromPath[str]
    ) -> Response[bytes]:
        return await traffic.forward(tenant_id, kind, await request.body())

    return [route_work]
