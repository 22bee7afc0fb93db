"""The simulated Gateway's HTTP routes (IAM, tokens, JWKS; routing when NATS is configured) and
``create_gateway_app``."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request, Response, delete, get, patch, post, put
from litestar.handlers import BaseRouteHandler
from litestar.params import FromPath

from cloudlysis_devfleet.common import ServiceKit, build_service_app, decode_body, json_response
from cloudlysis_devfleet.gateway.config import SERVICE, GatewayConfig
from cloudlysis_devfleet.gateway.iam_state import RIGHT_IAM_READ, RIGHT_IAM_WRITE
from cloudlysis_devfleet.gateway.schemas import (
    DevLoginRequest,
    KeyRotation,
    RolePut,
    RoutingFault,
    UserCreate,
    UserUpdate,
)
from cloudlysis_devfleet.gateway.service import Caller, Gateway
from cloudlysis_devfleet.routing import GatewayRouting

AnyRequest = Request[Any, Any, Any]


def _auth_header(request: AnyRequest) -> str | None:
    return request.headers.get("authorization")


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

    @get(
        "/iam/v1/principals/{principal_id:str}/rights",
        operation_id="GetPrincipalRights",
        sync_to_thread=False,
    )
    def rights(request: AnyRequest, principal_id: FromPath[str]) -> Response[bytes]:
        session_id = request.query_params.get("session_id")
        return json_response(gw.principal_rights(_auth_header(request), principal_id, session_id))

    def reader(request: AnyRequest) -> Caller:
        caller = gw.authenticate(_auth_header(request))
        caller.require(RIGHT_IAM_READ)
        return caller

    def writer(request: AnyRequest) -> Caller:
        caller = gw.authenticate(_auth_header(request))
        caller.require(RIGHT_IAM_WRITE)
        return caller

    @get("/iam/v1/users", operation_id="ListUsers", sync_to_thread=False)
    def list_users(request: AnyRequest) -> Response[bytes]:
        reader(request)
        return json_response(gw.list_users())

    @post("/iam/v1/users", operation_id="CreateUser", status_code=201)
    async def create_user(request: AnyRequest) -> Response[bytes]:
        writer(request)
        body = decode_body(await request.body(), UserCreate)
        return json_response(gw.create_user(body), status=201)

    @get("/iam/v1/users/{user_id:str}", operation_id="GetUser", sync_to_thread=False)
    def get_user(request: AnyRequest, user_id: FromPath[str]) -> Response[bytes]:
        reader(request)
        return json_response(gw.get_user(user_id))

    @patch("/iam/v1/users/{user_id:str}", operation_id="UpdateUser")
    async def update_user(request: AnyRequest, user_id: FromPath[str]) -> Response[bytes]:
        caller = writer(request)
        body = decode_body(await request.body(), UserUpdate)
        return json_response(gw.update_user(caller, user_id, body))

    @delete("/iam/v1/users/{user_id:str}", operation_id="DeleteUser", status_code=204)
    async def delete_user(request: AnyRequest, user_id: FromPath[str]) -> None:
        gw.delete_user(writer(request), user_id)

    @get("/iam/v1/sessions", operation_id="ListSessions", sync_to_thread=False)
    def list_sessions(request: AnyRequest) -> Response[bytes]:
        reader(request)
        return json_response(gw.list_sessions(request.query_params.get("principal_id")))

    @get("/iam/v1/sessions/{session_id:str}", operation_id="GetSession", sync_to_thread=False)
    def get_session(request: AnyRequest, session_id: FromPath[str]) -> Response[bytes]:
        reader(request)
        return json_response(gw.get_session(session_id))

    @post("/iam/v1/sessions/{session_id:str}/revoke", operation_id="RevokeSession", status_code=200)
    async def revoke_session(request: AnyRequest, session_id: FromPath[str]) -> Response[bytes]:
        caller = gw.authenticate(_auth_header(request))
        return json_response(gw.revoke_session(caller, session_id))

    @get("/iam/v1/roles", operation_id="ListRoles", sync_to_thread=False)
    def list_roles(request: AnyRequest) -> Response[bytes]:
        reader(request)
        return json_response(gw.list_roles())

    @get("/iam/v1/roles/{name:str}", operation_id="GetRole", sync_to_thread=False)
    def get_role(request: AnyRequest, name: FromPath[str]) -> Response[bytes]:
        reader(request)
        return json_response(gw.get_role(name))

    @put("/iam/v1/roles/{name:str}", operation_id="PutRole")
    async def put_role(request: AnyRequest, name: FromPath[str]) -> Response[bytes]:
        writer(request)
        body = decode_body(await request.body(), RolePut)
        role, created = gw.put_role(name, body)
        return json_response(role, status=201 if created else 200)

    @post("/_devfleet/keys/rotate", operation_id="RotateDevfleetKeys", status_code=200)
    async def rotate_keys(request: AnyRequest) -> Response[bytes]:
        raw = await request.body()
        return json_response(gw.rotate_keys(decode_body(raw or b"{}", KeyRotation)))

    handlers += [
        rights,
        list_users,
        create_user,
        get_user,
        update_user,
        delete_user,
        list_sessions,
        get_session,
        revoke_session,
        list_roles,
        get_role,
        put_role,
        rotate_keys,
    ]
    return handlers


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
    kit = ServiceKit(SERVICE, config.version, config.git_sha)
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
