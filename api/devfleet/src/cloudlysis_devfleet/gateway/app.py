"""The simulated Gateway's HTTP routes (tokens, JWKS, sign-in and SSO; the IAM API is
`iam_routes`; routing when NATS is configured) and ``create_gateway_app``."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from litestar import Litestar, Request, Response, get, post
from litestar.handlers import BaseRouteHandler

from cloudlysis_devfleet.common import (
    Problem,
    ServiceKit,
    build_service_app,
    decode_body,
    json_response,
)
from cloudlysis_devfleet.gateway.config import SERVICE, GatewayConfig
from cloudlysis_devfleet.gateway.iam_routes import iam_handlers
from cloudlysis_devfleet.gateway.schemas import (
    DevLoginRequest,
    KeyRotation,
    LoginRequest,
    LogoutRequest,
    RefreshRequest,
    RoutingFault,
    TokenRequest,
)
from cloudlysis_devfleet.gateway.service import Gateway
from cloudlysis_devfleet.gateway.signin import AuthorizeParams, RedirectError, SignIn
from cloudlysis_devfleet.gateway.sso_page import sso_login_page
from cloudlysis_devfleet.gateway.tenant_traffic import TenantTraffic, tenant_traffic_handlers
from cloudlysis_devfleet.routing import GatewayRouting

AnyRequest = Request[Any, Any, Any]
_FORM = "application/x-www-form-urlencoded"


def _form(raw: bytes) -> dict[str, str]:
    try:
        return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    except (UnicodeDecodeError, ValueError) as e:
        raise Problem(400, "invalid_request", "Bad request", "the form is not valid") from e


def _html(page: str, status: int = 200) -> Response[bytes]:
    return Response(
        page.encode(),
        status_code=status,
        media_type="text/html; charset=utf-8",
        headers={"cache-control": "no-store", "x-frame-options": "DENY"},
    )


def _redirect(location: str) -> Response[bytes]:
    return Response(
        b"", status_code=303, headers={"location": location, "cache-control": "no-store"}
    )


def _token_answer(body: dict[str, Any]) -> Response[bytes]:
    response = json_response(body)
    response.headers["cache-control"] = "no-store"
    return response


def _signin_handlers(gw: Gateway) -> list[BaseRouteHandler]:
    signin = SignIn(gw)

    @post("/auth/v1/login", operation_id="Login", status_code=200)
    async def login(request: AnyRequest) -> Response[bytes]:
        return _token_answer(signin.login(decode_body(await request.body(), LoginRequest)))

    @post("/auth/v1/refresh", operation_id="Refresh", status_code=200)
    async def refresh(request: AnyRequest) -> Response[bytes]:
        body = decode_body(await request.body(), RefreshRequest)
        return _token_answer(signin.refresh(body.refresh_token))

    @post("/auth/v1/logout", operation_id="Logout", status_code=204)
    async def logout(request: AnyRequest) -> None:
        raw = await request.body()
        body = decode_body(raw, LogoutRequest) if raw else LogoutRequest()
        signin.logout(request.headers.get("authorization"), body.refresh_token)

    @get("/.well-known/openid-configuration", operation_id="OidcDiscovery", sync_to_thread=False)
    def discovery(request: AnyRequest) -> Response[bytes]:
        return json_response(signin.discovery(str(request.base_url).rstrip("/")))

    @get("/auth/v1/sso/authorize", operation_id="SsoAuthorizePage", sync_to_thread=False)
    def authorize_page(request: AnyRequest) -> Response[bytes]:
        try:
            params = signin.authorize_params(dict(request.query_params))
        except RedirectError as e:
            return _redirect(e.location)
        return _html(sso_login_page(params))

    @post("/auth/v1/sso/authorize", operation_id="SsoAuthorize", status_code=303)
    async def authorize(request: AnyRequest) -> Response[bytes]:
        form = _form(await request.body())
        try:
            params: AuthorizeParams = signin.authorize_params(form)
        except RedirectError as e:
            return _redirect(e.location)
        try:
            user = signin.check_password(form.get("username", ""), form.get("password", ""))
        except Problem as e:
            return _html(sso_login_page(params, e.detail), status=e.status)
        return _redirect(signin.issue_code(user, params))

    @post("/auth/v1/token", operation_id="Token", status_code=200)
    async def token(request: AnyRequest) -> Response[bytes]:
        raw = await request.body()
        if request.headers.get("content-type", "").startswith(_FORM):
            raw = msgspec.json.encode(_form(raw))
        return _token_answer(signin.exchange(decode_body(raw, TokenRequest)))

    return [login, refresh, logout, discovery, authorize_page, authorize, token]


def _gateway_handlers(gw: Gateway) -> list[BaseRouteHandler]:
    handlers: list[BaseRouteHandler] = []

    @get("/.well-known/jwks.json", operation_id="GetJwks", sync_to_thread=False)
    def jwks() -> Response[bytes]:
        response = json_response(gw.keys.jwks())
        response.headers["cache-control"] = "public, max-age=300"
        return response

    @post("/auth/v1/dev-login", operation_id="DevLogin", status_code=200)
    async def dev_login(request: AnyRequest) -> Response[bytes]:
        return json_response(gw.dev_login(decode_body(await request.body(), DevLoginRequest)))

    handlers.append(jwks)
    if gw.config.dev_login_enabled:
        handlers.append(dev_login)

    @post("/_devfleet/keys/rotate", operation_id="RotateDevfleetKeys", status_code=200)
    async def rotate_keys(request: AnyRequest) -> Response[bytes]:
        raw = await request.body()
        return json_response(gw.rotate_keys(decode_body(raw or b"{}", KeyRotation)))

    return [*handlers, *_signin_handlers(gw), *iam_handlers(gw), rotate_keys]


def _routing_handlers(routing: GatewayRouting) -> list[BaseRouteHandler]:
    @post("/admin/v1/config/reload", operation_id="ReloadGatewayConfig", status_code=200)
    async def reload() -> Response[bytes]:
        return json_response(await routing.reload())

    @get("/admin/routing/resolve", operation_id="ResolveRoute", sync_to_thread=False)
    def resolve(request: AnyRequest) -> Response[bytes]:
        q = request.query_params
        return json_response(routing.resolve(q.get("tenant"), q.get("kind")))

    @get("/admin/v1/instance", operation_id="GetGatewayInstance", sync_to_thread=False)
    def instance() -> Response[bytes]:
        return json_response(routing.instance())

    @post("/_devfleet/routing/fault", operation_id="SetRoutingFault", status_code=200)
    async def fault(request: AnyRequest) -> Response[bytes]:
        body = decode_body(await request.body() or b"{}", RoutingFault)
        routing.wrong_after_reload = body.wrong_after_reload
        return json_response({"wrong_after_reload": routing.wrong_after_reload})

    return [reload, resolve, instance, fault]


def create_gateway_app(config: GatewayConfig) -> Litestar:
    """A simulated Gateway serving ``docs/contracts/gateway-iam.md`` from ``config.data_dir``,
    and routing (reload, resolve) from the placement bucket when ``config.nats_url`` is set."""
    kit = ServiceKit(SERVICE, config.version, config.git_sha, config.baseline_error_ratio)
    gateway = Gateway(config, kit)
    handlers = _gateway_handlers(gateway)
    lifespan = []
    routing = (
        GatewayRouting(config.nats_url, config.placement_file)
        if config.nats_url or config.placement_file
        else None
    )
    if routing is not None:
        handlers += _routing_handlers(routing)
        traffic = TenantTraffic(kit, routing)
        handlers += tenant_traffic_handlers(traffic)
        lifespan.append(traffic.client)

        @asynccontextmanager
        async def run_routing(_app: Litestar) -> AsyncIterator[None]:
            await routing.start()
            try:
                yield
            finally:
                await routing.stop()

        lifespan.append(run_routing)
    app = build_service_app(kit, handlers, lifespan=lifespan)
    app.state.gateway = gateway
    app.state.routing = routing
    app.state.kit = kit
    return app
