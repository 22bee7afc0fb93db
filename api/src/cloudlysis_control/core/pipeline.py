"""The outermost ASGI layer: identity, trace span, metrics and one access-log line per request.

It wraps Litestar's exception-handling layer, so router 404/405s, 401s and 500s all get the ids
echoed, are counted by route template and are logged exactly once.
"""

from __future__ import annotations

import re
import time
from typing import Any

from cloudlysis_control.core.identity import current_identity, identity_from_headers
from cloudlysis_control.core.logging import get_logger
from cloudlysis_control.core.metrics import Metrics
from cloudlysis_control.core.tracing import Tracing

ASGIApp = Any

_QUIET_ROUTES = frozenset({"/health", "/ready", "/metrics"})
_ID_HEADERS = (b"x-request-id", b"x-correlation-id", b"traceparent")
# Every response unless it set its own (the UI's assets are cacheable): API answers are about
# live state and may name tenants, so no cache keeps them and no browser sniffs their type.
_DEFAULT_HEADERS = ((b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff"))


def _header_values(headers: list[tuple[bytes, bytes]], name: bytes) -> list[str]:
    return [v.decode("latin-1") for k, v in headers if k.lower() == name]


_TYPE_SUFFIX = re.compile(r":[a-z]+}")


def handler_templates(app: Any) -> dict[int, str]:
    """Map each registered handler to its route's own template, e.g. `/admin/v1/jobs/kinds/{kind}`.

    The router's `path_template` is per trie node, so two routes sharing a node position
    (`/jobs/{job_id}` and `/jobs/{kind}`) would otherwise report the same template.
    """
    out: dict[int, str] = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            out[id(handler)] = _TYPE_SUFFIX.sub("}", route.path)
    return out


def route_template(scope: Any) -> str:
    """The matched route's template, never the raw path ("unmatched" for router 404s)."""
    handler = scope.get("route_handler")
    if handler is not None:
        templates = scope.get("app").state.get("route_templates") if scope.get("app") else None
        if templates:
            found = templates.get(id(handler))
            if found:
                return str(found)
    return _TYPE_SUFFIX.sub("}", scope.get("path_template") or "unmatched")


class RequestPipeline:
    def __init__(self, app: ASGIApp, metrics: Metrics, tracing: Tracing) -> None:
        self.app = app
        self.metrics = metrics
        self.tracing = tracing
        self.log = get_logger("control.access")

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = scope.get("headers") or []
        ident = identity_from_headers(
            _header_values(headers, b"x-request-id"),
            _header_values(headers, b"x-correlation-id"),
            _header_values(headers, b"traceparent"),
            _header_values(headers, b"tracestate"),
        )
        method = scope.get("method", "GET")
        span = self.tracing.start_server_span(ident, method)
        token = current_identity.set(ident)
        status_holder = [500]

        async def send_with_ids(message: Any) -> None:
            if message["type"] == "http.response.start":
                status_holder[0] = message["status"]
                out = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() not in _ID_HEADERS
                ]
                present = {k.lower() for k, _ in out}
                out.extend(h for h in _DEFAULT_HEADERS if h[0] not in present)
                out.append((b"x-request-id", ident.request_id.encode()))
                out.append((b"x-correlation-id", ident.correlation_id.encode()))
                out.append((b"traceparent", ident.traceparent().encode()))
                if ident.tracestate:
                    out.append((b"tracestate", ident.tracestate.encode()))
                message = {**message, "headers": out}
            await send(message)

        try:
            await self.app(scope, receive, send_with_ids)
        finally:
            status = status_holder[0]
            route = route_template(scope)
            elapsed = time.perf_counter() - started
            self.metrics.http_requests.labels(method, route, str(status)).inc()
            self.metrics.http_duration.labels(method, route).observe(elapsed)
            self.tracing.end_server_span(span, method, route, status)
            if route not in _QUIET_ROUTES or status >= 400:
                self.log.info(
                    "request",
                    method=method,
                    route=route,
                    status=status,
                    duration_ms=round(elapsed * 1000, 3),
                )
            current_identity.reset(token)
