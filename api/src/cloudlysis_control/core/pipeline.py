"""The outermost ASGI layer: identity, trace span, metrics and one access-log line per request.

It wraps Litestar's exception-handling layer, so router 404/405s, 401s and 500s all get the ids
echoed, are counted by route template and are logged exactly once. A request whose Host header or
query string cannot be parsed is answered 400 here, before Litestar (which checks the Host only
loosely and parses both lazily, where a failure is a 500).
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlsplit

from cloudlysis_control.core.identity import current_identity, identity_from_headers
from cloudlysis_control.core.logging import access_line, bound_logger
from cloudlysis_control.core.metrics import Metrics
from cloudlysis_control.core.problems import PROBLEM_MEDIA_TYPE, problem_document
from cloudlysis_control.core.tracing import Tracing

ASGIApp = Any

_QUIET_ROUTES = frozenset({"/health", "/ready", "/metrics"})
_ID_HEADERS = frozenset((b"x-request-id", b"x-correlation-id", b"traceparent"))
# Every response unless it set its own (the UI's assets are cacheable): API answers are about
# live state and may name tenants, so no cache keeps them and no browser sniffs their type.
_DEFAULT_HEADERS = ((b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff"))


def _header_values(headers: list[tuple[bytes, bytes]], name: bytes) -> list[str]:
    return [v.decode("latin-1") for k, v in headers if k.lower() == name]


# RFC 9110 section 7.2: Host = uri-host [ ":" port ]; uri-host is an IP-literal or a reg-name
# (unreserved, pct-encoded and sub-delims characters), port is digits.
_HOST = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::[0-9]*)?")


def _host_problem(host: str) -> str | None:
    if not _HOST.fullmatch(host):
        return "the Host header is not a valid host[:port]"
    try:
        # What Litestar's URL does with it: a bracketed host must be an IP address, the port
        # at most 65535.
        parts = urlsplit(f"//{host}")
        _ = parts.port, parts.hostname
    except ValueError:
        return "the Host header is not a valid host[:port]"
    return None


# Host values already found valid: a server sees a handful (its names and ports), so the regular
# expression and urlsplit run once per value, not per request. Bounded; invalid values are never
# kept (a client cannot fill it with garbage, only with valid names, and then it stops growing).
_VALID_HOSTS: set[str] = set()
_VALID_HOSTS_MAX = 256


def _host_value_problem(host: str) -> str | None:
    if host in _VALID_HOSTS:
        return None
    problem = _host_problem(host)
    if problem is None and len(_VALID_HOSTS) < _VALID_HOSTS_MAX:
        _VALID_HOSTS.add(host)
    return problem


def _line_problem(host: str | None, query_string: Any) -> str | None:
    if host is not None:
        problem = _host_value_problem(host)
        if problem is not None:
            return problem
    if query_string and not bytes(query_string).isascii():
        return "the query string is not ASCII"
    return None


def request_line_problem(scope: Any) -> str | None:
    """Why the Host header or the query string of a request cannot be parsed, or None.

    RFC 9112 section 3.2: a Host with an invalid value is answered 400. The request target is
    ASCII; uvicorn delivers nothing else, other servers may hand over the query's raw bytes.
    """
    hosts = _header_values(scope.get("headers") or [], b"host")
    return _line_problem(hosts[0] if hosts else None, scope.get("query_string"))


async def _send_bad_request(send: Any, detail: str) -> None:
    body = problem_document(400, "bad_request", "Bad request", detail)
    headers = [
        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        (b"content-length", b"%d" % len(body)),
    ]
    await send({"type": "http.response.start", "status": 400, "headers": headers})
    await send({"type": "http.response.body", "body": body})


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


def _client_gone(exc: BaseException) -> bool:
    """Is `exc` (or what caused it, or one of a group) the server refusing a send to a client
    that has disconnected (an OSError: uvicorn's ClientDisconnected, a reset connection)?"""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        e = todo.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, OSError):
            return True
        if isinstance(e, BaseExceptionGroup):
            todo.extend(e.exceptions)
        for nxt in (e.__cause__, e.__context__):
            if nxt is not None:
                todo.append(nxt)
    return False


class _RequestHeaders:
    """The headers the pipeline reads, gathered in one pass over the request's headers."""

    __slots__ = ("correlation_ids", "host", "request_ids", "traceparents", "tracestates")

    def __init__(self, headers: list[tuple[bytes, bytes]]) -> None:
        self.host: str | None = None
        self.request_ids: list[str] = []
        self.correlation_ids: list[str] = []
        self.traceparents: list[str] = []
        self.tracestates: list[str] = []
        for key, value in headers:
            # ASGI servers send lowercase names (uvicorn, granian); lower() anything else.
            name = key if key.islower() else key.lower()
            if name == b"host":
                if self.host is None:
                    self.host = value.decode("latin-1")
            elif name == b"x-request-id":
                self.request_ids.append(value.decode("latin-1"))
            elif name == b"x-correlation-id":
                self.correlation_ids.append(value.decode("latin-1"))
            elif name == b"traceparent":
                self.traceparents.append(value.decode("latin-1"))
            elif name == b"tracestate":
                self.tracestates.append(value.decode("latin-1"))


class RequestPipeline:
    def __init__(
        self,
        app: ASGIApp,
        metrics: Metrics,
        tracing: Tracing,
        templates: dict[int, str] | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.tracing = tracing
        self.templates = templates
        # The metric children per label set: prometheus_client's labels() takes a lock and
        # validates the labels on every call.
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._histograms: dict[tuple[str, str], Any] = {}

    def _route(self, scope: Any) -> str:
        if self.templates is not None:
            handler = scope.get("route_handler")
            if handler is not None:
                found = self.templates.get(id(handler))
                if found:
                    return found
        return route_template(scope)

    def _observe(self, method: str, route: str, status: int, elapsed: float) -> None:
        counter = self._counters.get((method, route, status))
        if counter is None:
            counter = self.metrics.http_requests.labels(method, route, str(status))
            self._counters[(method, route, status)] = counter
        counter.inc()
        histogram = self._histograms.get((method, route))
        if histogram is None:
            histogram = self.metrics.http_duration.labels(method, route)
            self._histograms[(method, route)] = histogram
        histogram.observe(elapsed)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        seen = _RequestHeaders(scope.get("headers") or [])
        ident = identity_from_headers(
            seen.request_ids, seen.correlation_ids, seen.traceparents, seen.tracestates
        )
        method = scope.get("method", "GET")
        span = self.tracing.start_server_span(ident, method)
        token = current_identity.set(ident)
        status_holder = [500]
        started_holder = [False]

        async def send_with_ids(message: Any) -> None:
            if message["type"] == "http.response.start":
                status_holder[0] = message["status"]
                started_holder[0] = True
                out = []
                present = set()
                for header in message.get("headers", ()):
                    name = header[0].lower()
                    if name not in _ID_HEADERS:
                        out.append(header)
                        present.add(name)
                for default in _DEFAULT_HEADERS:
                    if default[0] not in present:
                        out.append(default)
                out.append((b"x-request-id", ident.request_id.encode()))
                out.append((b"x-correlation-id", ident.correlation_id.encode()))
                out.append((b"traceparent", ident.traceparent().encode()))
                if ident.tracestate:
                    out.append((b"tracestate", ident.tracestate.encode()))
                message = {**message, "headers": out}
            await send(message)

        try:
            refusal = _line_problem(seen.host, scope.get("query_string"))
            if refusal is None:
                await self.app(scope, receive, send_with_ids)
            else:
                await _send_bad_request(send_with_ids, refusal)
        except Exception as exc:
            # A client that leaves in the middle of a streamed answer (an export, the event
            # stream): the server's send raises; that ends the answer, it is not a fault.
            if not (started_holder[0] and _client_gone(exc)):
                raise
            bound_logger("control.access").info(
                "client went away mid-response", route=self._route(scope)
            )
        finally:
            status = status_holder[0]
            route = self._route(scope)
            elapsed = time.perf_counter() - started
            self._observe(method, route, status, elapsed)
            self.tracing.end_server_span(span, method, route, status)
            if route not in _QUIET_ROUTES or status >= 400:
                access_line(method, route, status, round(elapsed * 1000, 3))
            current_identity.reset(token)
