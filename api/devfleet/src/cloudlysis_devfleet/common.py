"""Pieces every simulated platform service shares.

Each simulated service (Gateway, Aggregate, Projection, Runner) gets the same operational
surface the real services promise in ``docs/contracts/``:

* ``GET /health``, ``GET /ready`` and ``GET /metrics`` (Prometheus text with
  ``<service>_build_info{service,version,git_sha} 1`` and per-route-template HTTP metrics);
* ``x-request-id`` / ``x-correlation-id`` accepted when well formed, minted otherwise, and
  echoed on every response, errors and unrouted paths included;
* RFC 9457 problem+json errors with a stable machine ``code``.

On top of that each simulator exposes ``POST /_devfleet/switches`` so end-to-end tests can make
it unready, slow, hung or report another version; ``POST /_devfleet/converged`` (the demo's
file-mode Swarm says a deploy or rollback converged: run its version) and ``GET /_devfleet/sd``
(the instance as a Prometheus HTTP SD target labelled like a Swarm task). These endpoints are
simulator-only and part of no contract. A version marked bad (``world.is_bad``) makes tenant
traffic slow and fail in part. ``serving`` runs the apps built here.
"""

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import msgspec
from litestar import Litestar, Request, Response, get, post
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.handlers import BaseRouteHandler
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from cloudlysis_control.core.identity import mint_id, new_trace_id, parse_traceparent, valid_id
from cloudlysis_devfleet.world import CONVERGED_PATH, SD_PATH, is_bad, sd_target_group

PROBLEM_CONTENT_TYPE = "application/problem+json"
REQUEST_ID_HEADER = "x-request-id"
CORRELATION_ID_HEADER = "x-correlation-id"
TRACEPARENT_HEADER = "traceparent"
SWITCHES_PATH = "/_devfleet/switches"
SIMULATOR_PREFIX = "/_devfleet/"
UNMATCHED_ROUTE = "<unmatched>"

# Incoming ids are echoed into headers and logs, so only a conservative alphabet is trusted.
_IDS_SCOPE_KEY = "devfleet.ids"
_OBSERVED_SCOPE_KEY = "devfleet.observed"
_HUNG_MAX_S = 3600.0
# What a bad build does to tenant traffic (never to the admin surface the control plane probes).
BAD_ERROR_RATIO = 0.3
BAD_EXTRA_LATENCY_S = (0.3, 0.9)
# docs/observability/metrics-contract.yaml histogram_buckets_seconds.
HISTOGRAM_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

logger = logging.getLogger("cloudlysis_devfleet")

T = TypeVar("T")


class Problem(Exception):
    """An RFC 9457 problem a simulated service answers with."""

    def __init__(
        self,
        status: int,
        code: str,
        title: str,
        detail: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.headers = headers or {}


def problem_response(problem: Problem, service: str) -> Response[bytes]:
    body = {
        "type": f"urn:cloudlysis:{service}:problem:{problem.code}",
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "code": problem.code,
    }
    return Response(
        content=msgspec.json.encode(body),
        status_code=problem.status,
        media_type=PROBLEM_CONTENT_TYPE,
        headers=problem.headers,
    )


def json_response(body: Any, status: int = 200) -> Response[bytes]:
    return Response(
        content=msgspec.json.encode(body), status_code=status, media_type="application/json"
    )


def decode_body(raw: bytes, model: type[T]) -> T:
    """Decode a JSON request body into ``model`` or raise a 422 problem saying why."""
    try:
        return msgspec.json.decode(raw, type=model)
    except msgspec.ValidationError as e:
        raise Problem(422, "invalid_request", "Invalid request body", str(e)) from e
    except msgspec.DecodeError as e:
        raise Problem(
            422, "invalid_request", "Invalid request body", "body is not valid JSON"
        ) from e


@dataclass(frozen=True)
class RequestIds:
    request_id: str
    correlation_id: str
    trace_id: str


def _trace_id(traceparent: str | None) -> str:
    """The W3C trace id of a valid incoming ``traceparent``, else a new one."""
    parent = parse_traceparent([traceparent]) if traceparent else None
    return parent.trace_id if parent is not None else new_trace_id()


def _accept_or_mint(value: str | None) -> str:
    return value if value is not None and valid_id(value) else mint_id()


def request_ids(scope: Scope) -> RequestIds:
    """The request's ids, taken from its headers when well formed and minted once otherwise."""
    raw_scope = cast(dict[str, Any], scope)
    ids = raw_scope.get(_IDS_SCOPE_KEY)
    if isinstance(ids, RequestIds):
        return ids
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    ids = RequestIds(
        request_id=_accept_or_mint(headers.get(REQUEST_ID_HEADER)),
        correlation_id=_accept_or_mint(headers.get(CORRELATION_ID_HEADER)),
        trace_id=_trace_id(headers.get(TRACEPARENT_HEADER)),
    )
    raw_scope[_IDS_SCOPE_KEY] = ids
    return ids


class SwitchesUpdate(msgspec.Struct, forbid_unknown_fields=True):
    ready: bool | msgspec.UnsetType = msgspec.UNSET
    healthy: bool | msgspec.UnsetType = msgspec.UNSET
    slow_ms: int | msgspec.UnsetType = msgspec.UNSET
    hung: bool | msgspec.UnsetType = msgspec.UNSET
    version: str | msgspec.UnsetType = msgspec.UNSET
    git_sha: str | msgspec.UnsetType = msgspec.UNSET


class Converged(msgspec.Struct):
    """What the file-mode Swarm engine posts to `cloudlysis.dev.on_converge_url` when an update or
    rollback of the service converged (docs/decisions/0012-demo-swarm-from-the-devfleet.md)."""

    service: str
    image: str
    version: str
    state: str
    git_sha: str | None = None


class Switches(msgspec.Struct):
    ready: bool
    slow_ms: int
    hung: bool
    version: str
    healthy: bool = True


class ServiceKit:
    """Operational state of one simulated service instance: switches and its own metrics.

    Every instance owns a private ``CollectorRegistry`` so several simulated services can run
    in one process (the demo launcher and the test suite do exactly that).
    """

    def __init__(
        self, service: str, version: str, git_sha: str, baseline_error_ratio: float = 0.0
    ) -> None:
        self.service = service
        # A good build may fail a little too (the demo: so error ratios have data).
        self.baseline_error_ratio = baseline_error_ratio
        self.git_sha = git_sha
        self.switches = Switches(ready=True, slow_ms=0, hung=False, version=version)
        # Set while not hung; hung requests wait on it.
        self._released = asyncio.Event()
        self._released.set()
        self.registry = CollectorRegistry(auto_describe=True)
        self._build_info = Gauge(
            f"{service}_build_info",
            "Build of the running service; always 1.",
            ["service", "version", "git_sha"],
            registry=self.registry,
        )
        self._build_info.labels(service, version, git_sha).set(1)
        self._random = random.Random(f"{service}/{version}")  # noqa: S311 - simulation only
        self.requests_total = Counter(
            f"{service}_http_requests",
            "HTTP requests handled, by route template.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.request_duration = Histogram(
            f"{service}_http_request_duration_seconds",
            "HTTP request duration, by route template.",
            ["method", "route"],
            registry=self.registry,
            buckets=HISTOGRAM_BUCKETS_S,
        )
        self.in_flight = Gauge(
            f"{service}_http_requests_in_flight",
            "Requests currently being served.",
            registry=self.registry,
        )

    def apply(self, update: SwitchesUpdate) -> Switches:
        if not isinstance(update.slow_ms, msgspec.UnsetType):
            if update.slow_ms < 0:
                raise Problem(422, "invalid_request", "Invalid switches", "slow_ms must be >= 0")
            self.switches.slow_ms = update.slow_ms
        if not isinstance(update.ready, msgspec.UnsetType):
            self.switches.ready = update.ready
        if not isinstance(update.healthy, msgspec.UnsetType):
            self.switches.healthy = update.healthy
        if not isinstance(update.hung, msgspec.UnsetType):
            self.switches.hung = update.hung
            if update.hung:
                self._released.clear()
            else:
                self._released.set()
        if not isinstance(update.git_sha, msgspec.UnsetType):
            self.git_sha = update.git_sha
        if not isinstance(update.version, msgspec.UnsetType):
            self.switches.version = update.version
        if not (
            isinstance(update.version, msgspec.UnsetType)
            and isinstance(update.git_sha, msgspec.UnsetType)
        ):
            self._build_info.clear()
            self._build_info.labels(self.service, self.switches.version, self.git_sha).set(1)
        return self.switches

    @property
    def bad(self) -> bool:
        """Running a marked bad build (`world.is_bad`): tenant traffic fails and slows down."""
        return is_bad(self.switches.version)

    async def serve_traffic(self) -> bool:
        """The time a tenant request takes (a few ms to tens of ms; a bad build adds hundreds);
        True when it fails (baseline_error_ratio of them, BAD_ERROR_RATIO on a bad build)."""
        delay = self._random.lognormvariate(-4.0, 0.6)  # median ~18 ms
        if self.bad:
            delay += self._random.uniform(*BAD_EXTRA_LATENCY_S)
        await asyncio.sleep(min(delay, 2.0))
        return self._random.random() < (BAD_ERROR_RATIO if self.bad else self.baseline_error_ratio)

    async def wait_for_switches(self) -> None:
        """Apply the slow and hung switches to an ordinary request."""
        if self.switches.slow_ms:
            await asyncio.sleep(self.switches.slow_ms / 1000)
        if self.switches.hung:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._released.wait(), _HUNG_MAX_S)

    def observe(self, scope: Scope, status: int, started: float | None) -> None:
        raw_scope = cast(dict[str, Any], scope)
        if raw_scope.get(_OBSERVED_SCOPE_KEY):
            return
        raw_scope[_OBSERVED_SCOPE_KEY] = True
        method = cast(str, scope.get("method", "GET"))
        route = cast(str, raw_scope.get("path_template") or UNMATCHED_ROUTE)
        self.requests_total.labels(method, route, str(status)).inc()
        if started is not None:
            self.request_duration.labels(method, route).observe(time.perf_counter() - started)


KitResolver = Callable[[Scope], ServiceKit]


def _observing_middleware(kit_for: KitResolver) -> Callable[[ASGIApp], ASGIApp]:
    """Time routed requests and apply the slow/hung switches (never to the switches endpoint)."""

    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP:
                await app(scope, receive, send)
                return
            kit = kit_for(scope)
            started = time.perf_counter()
            status = 500

            async def send_and_observe(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            with kit.in_flight.track_inprogress():
                if not scope["path"].startswith(SIMULATOR_PREFIX):
                    await kit.wait_for_switches()
                try:
                    await app(scope, receive, send_and_observe)
                finally:
                    kit.observe(scope, status, started)

        return middleware

    return factory


def _identity_before_send(kit_for: KitResolver) -> Callable[[Message, Scope], None]:
    """Echo the request ids on every response, including ones routing itself refused."""

    def before_send(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start" or scope["type"] != ScopeType.HTTP:
            return
        kit = kit_for(scope)
        ids = request_ids(scope)
        headers = MutableScopeHeaders.from_message(message)
        headers[REQUEST_ID_HEADER] = ids.request_id
        headers[CORRELATION_ID_HEADER] = ids.correlation_id
        # Unrouted requests (404/405 from the router) never reach the middleware.
        if not cast(dict[str, Any], scope).get("path_template"):
            kit.observe(scope, message["status"], None)
        logger.info(
            "%s %s %s",
            scope.get("method", ""),
            cast(dict[str, Any], scope).get("path_template") or UNMATCHED_ROUTE,
            message["status"],
            extra={
                "service": kit.service,
                "request_id": ids.request_id,
                "correlation_id": ids.correlation_id,
                "trace_id": ids.trace_id,
            },
        )

    return before_send


def _problem_handlers(service: str) -> dict[type[Exception] | int, Any]:
    def on_problem(_: Request[Any, Any, Any], exc: Problem) -> Response[bytes]:
        return problem_response(exc, service)

    def on_http_exception(_: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
        codes = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}
        code = codes.get(exc.status_code, "http_error")
        title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
        return problem_response(
            Problem(exc.status_code, code, title, exc.detail, dict(exc.headers or {})), service
        )

    def on_unexpected(_: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
        logger.error("unhandled %s in %s simulator", type(exc).__name__, service)
        return problem_response(
            Problem(500, "internal_error", "Internal error", "unexpected error"), service
        )

    return {Problem: on_problem, HTTPException: on_http_exception, Exception: on_unexpected}


def operational_handlers(kit: ServiceKit | KitResolver) -> list[BaseRouteHandler]:
    """``/health``, ``/ready``, ``/metrics`` and the simulator-only switches endpoint.

    ``kit`` is one instance's kit, or a resolver that picks the kit from the request's scope
    (one app serving many simulated instances, one per listening port).
    """
    kit_for: KitResolver = (lambda _scope: kit) if isinstance(kit, ServiceKit) else kit

    @get("/health", operation_id="Health", sync_to_thread=False)
    def health(request: Request[Any, Any, Any]) -> Response[bytes]:
        if not kit_for(request.scope).switches.healthy:
            return json_response({"status": "unhealthy"}, status=503)
        return json_response({"status": "ok"})

    @get("/ready", operation_id="Ready", sync_to_thread=False)
    def ready(request: Request[Any, Any, Any]) -> Response[bytes]:
        if not kit_for(request.scope).switches.ready:
            return json_response({"status": "not_ready"}, status=503)
        return json_response({"status": "ready"})

    @get("/metrics", operation_id="Metrics", sync_to_thread=False)
    def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
        return Response(
            content=generate_latest(kit_for(request.scope).registry),
            media_type=CONTENT_TYPE_LATEST,
        )

    @post(SWITCHES_PATH, operation_id="SetDevfleetSwitches", status_code=200)
    async def set_switches(request: Request[Any, Any, Any]) -> Response[bytes]:
        update = decode_body(await request.body(), SwitchesUpdate)
        return json_response(msgspec.to_builtins(kit_for(request.scope).apply(update)))

    @post(CONVERGED_PATH, operation_id="DevfleetConverged", status_code=200)
    async def converged(request: Request[Any, Any, Any]) -> Response[bytes]:
        """The demo's Swarm converged this instance's service to a new spec: run its version."""
        body = decode_body(await request.body(), Converged)
        update = SwitchesUpdate(version=body.version)
        if body.git_sha:
            update.git_sha = body.git_sha
        return json_response(msgspec.to_builtins(kit_for(request.scope).apply(update)))

    @get(SD_PATH, operation_id="DevfleetServiceDiscovery", sync_to_thread=False)
    def service_discovery(request: Request[Any, Any, Any]) -> Response[bytes]:
        """This instance as a scrape target (Prometheus HTTP SD), labelled like a Swarm task."""
        kit = kit_for(request.scope)
        host, port = cast(tuple[str, int], request.scope.get("server") or ("127.0.0.1", 0))
        url_host = f"[{host}]" if ":" in host else host
        return json_response(
            sd_target_group(url_host, port, kit.service, kit.switches.version, kit.git_sha)
        )

    return [health, ready, metrics, set_switches, converged, service_discovery]


def build_service_app(
    kit: ServiceKit | KitResolver,
    route_handlers: Sequence[BaseRouteHandler],
    *,
    debug: bool = False,
    service: str | None = None,
    lifespan: Sequence[Any] = (),
) -> Litestar:
    """A Litestar app with the shared operational surface plus the service's own routes.

    With a resolver instead of one kit, one app serves many instances (``service`` then names
    the service kind for problem types).
    """
    kit_for: KitResolver = (lambda _scope: kit) if isinstance(kit, ServiceKit) else kit
    name = kit.service if isinstance(kit, ServiceKit) else (service or "service")
    return Litestar(
        route_handlers=[*operational_handlers(kit_for), *route_handlers],
        middleware=[_observing_middleware(kit_for)],
        before_send=[_identity_before_send(kit_for)],
        exception_handlers=_problem_handlers(name),
        openapi_config=None,
        # Never reconfigure logging of the process hosting the simulator (tests, demo launcher).
        logging_config=None,
        debug=debug,
        lifespan=list(lifespan),
    )
