"""The IAM API's HTTP routes (`/iam/v1`): authenticate, check the right, delegate to `IamOps`."""

from typing import Any

from litestar import Request, Response, delete, get, patch, post, put
from litestar.handlers import BaseRouteHandler
from litestar.params import FromPath

from cloudlysis_devfleet.common import decode_body, json_response
from cloudlysis_devfleet.gateway.iam_ops import IamOps
from cloudlysis_devfleet.gateway.iam_state import RIGHT_IAM_READ, RIGHT_IAM_WRITE
from cloudlysis_devfleet.gateway.schemas import (
    BindingPut,
    PasswordSet,
    RoleCreate,
    RolePut,
    UserCreate,
    UserUpdate,
)
from cloudlysis_devfleet.gateway.service import Caller, Gateway

AnyRequest = Request[Any, Any, Any]


def iam_handlers(gw: Gateway) -> list[BaseRouteHandler]:
    ops = IamOps(gw)

    def caller(request: AnyRequest) -> Caller:
        return gw.authenticate(request.headers.get("authorization"))

    def reader(request: AnyRequest) -> Caller:
        found = caller(request)
        found.require(RIGHT_IAM_READ)
        return found

    def writer(request: AnyRequest) -> Caller:
        found = caller(request)
        found.require(RIGHT_IAM_WRITE)
        return found

    @get(
        "/iam/v1/principals/{principal_id:str}/rights",
        operation_id="GetPrincipalRights",
        sync_to_thread=False,
    )
    def rights(request: AnyRequest, principal_id: FromPath[str]) -> Response[bytes]:
        session_id = request.query_params.get("session_id")
        auth = request.headers.get("authorization")
        return json_response(gw.principal_rights(auth, principal_id, session_id))

    # -- users -------------------------------------------------------------------------------

    @get("/iam/v1/users", operation_id="ListUsers", sync_to_thread=False)
    def list_users(request: AnyRequest) -> Response[bytes]:
        reader(request)
        return json_response(ops.list_users())

    @post("/iam/v1/users", operation_id="CreateUser", status_code=201)
    async def create_user(request: AnyRequest) -> Response[bytes]:
        writer(request)
        body = decode_body(await request.body(), UserCreate)
        return json_response(ops.create_user(body), status=201)

    @get("/iam/v1/users/{user_id:str}", operation_id="GetUser", sync_to_thread=False)
    def get_user(request: AnyRequest, user_id: FromPath[str]) -> Response[bytes]:
        reader(request)
        return json_response(ops.get_user(user_id))

    @patch("/iam/v1/users/{user_id:str}", operation_id="UpdateUser")
    async def update_user(request: AnyRequest, user_id: FromPath[str]) -> Response[bytes]:
        who = writer(request)
        body = decode_body(await request.body(), UserUpdate)
        return json_response(ops.update_user(who, user_id, body))

    @delete("/iam/v1/users/{user_id:str}", operation_id="DeleteUser", status_code=204)
    async def delete_user(request: AnyRequest, user_id: FromPath[str]) -> None:
        ops.delete_user(writer(request), user_id)

    @put("/iam/v1/users/{user_id:str}/password", operation_id="SetPassword", status_code=204)
    async def set_password(request: AnyRequest, user_id: FromPath[str]) -> None:
        writer(request)
        ops.set_password(user_id, decode_body(await request.body(), PasswordSet))

    # -- role bindings -----------------------------------------------------------------------

    @get("/iam/v1/users/{user_id:str}/bindings", operation_id="ListBindings", sync_to_thread=False)
    def list_bindings(request: AnyRequest, user_id: FromPath[str]) -> Response[bytes]:
        reader(request)
        return json_response(ops.list_bindings(user_id))

    @put("/iam/v1/users/{user_id:str}/bindings/{role:str}", operation_id="PutBinding")
    async def put_binding(
        request: AnyRequest, user_id: FromPath[str], role: FromPath[str]
    ) -> Response[bytes]:
        who = writer(request)
        body = decode_body(await request.body() or b"{}", BindingPut)
        view, created = ops.put_binding(who, user_id, role, body)
        return json_response(view, status=201 if created else 200)

    @delete(
        "/iam/v1/users/{user_id:str}/bindings/{role:str}",
        operation_id="DeleteBinding",
        status_code=204,
    )
    async def delete_binding(
        request: AnyRequest, user_id: FromPath[str], role: FromPath[str]
    ) -> None:
        ops.delete_binding(writer(request), user_id, role)

    # -- sessions ----------------------------------------------------------------------------

    @get("/iam/v1/sessions", operation_id="ListSessions", sync_to_thread=False)
    def list_sessions(request: AnyRequest) -> Response[bytes]:
        reader(request)
        return json_response(ops.list_sessions(request.query_params.get("principal_id")))

    @get("/iam/v1/sessions/{session_id:str}", operation_id="GetSession", sync_to_thread=False)
    def get_session(request: AnyRequest, session_id: FromPath[str]) -> Response[bytes]:
        reader(request)
        return json_response(ops.get_session(session_id))

    @post("/iam/v1/sessions/{session_id:str}/revoke", operation_id="RevokeSession", status_code=200)
    async def revoke_session(request: AnyRequest, session_id: FromPath[str]) -> Response[bytes]:
        return json_response(ops.revoke_session(caller(request), session_id))

    @post(
        "/iam/v1/users/{user_id:str}/sessions/revoke",
        operation_id="RevokeUserSessions",
        status_code=200,
    )
    async def revoke_user_sessions(request: AnyRequest, user_id: FromPath[str]) -> Response[bytes]:
        return json_response(ops.revoke_sessions_of(caller(request), user_id))

    # -- roles -------------------------------------------------------------------------------

    @get("/iam/v1/roles", operation_id="ListRoles", sync_to_thread=False)
    def list_roles(request: AnyRequest) -> Response[bytes]:
        reader(request)
        return json_response(ops.list_roles())

    @post("/iam/v1/roles", operation_id="CreateRole", status_code=201)
    async def create_role(request: AnyRequest) -> Response[bytes]:
        writer(request)
        body = decode_body(await request.body(), RoleCreate)
        return json_response(ops.create_role(body), status=201)

    @get("/iam/v1/roles/{name:str}", operation_id="GetRole", sync_to_thread=False)
    def get_role(request: AnyRequest, name: FromPath[str]) -> Response[bytes]:
        reader(request)
        return json_response(ops.get_role(name))

    @put("/iam/v1/roles/{name:str}", operation_id="PutRole")
    async def put_role(request: AnyRequest, name: FromPath[str]) -> Response[bytes]:
        writer(request)
        role, created = ops.put_role(name, decode_body(await request.body(), RolePut))
        return json_response(role, status=201 if created else 200)

    @delete("/iam/v1/roles/{name:str}", operation_id="DeleteRole", status_code=204)
    async def delete_role(request: AnyRequest, name: FromPath[str]) -> None:
        writer(request)
        ops.delete_role(name)

    return [
        rights,
        list_users,
        create_user,
        get_user,
        update_user,
        delete_user,
        set_password,
        list_bindings,
        put_binding,
        delete_binding,
        list_sessions,
        get_session,
        revoke_session,
        revoke_user_sessions,
        list_roles,
        create_role,
        get_role,
        put_role,
        delete_role,
    ]
