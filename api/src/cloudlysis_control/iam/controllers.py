"""Gateway IAM pass-through: /admin/v1/iam/{path} → Gateway /iam/v1/{path}, byte for byte.

Status code, content type and body are the Gateway's own. Mutations are audited before they are
forwarded (fail closed: no audit, no change) and their outcome afterwards.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, route
from litestar.di import NamedDependency
from litestar.enums import HttpMethod
from litestar.params import PathParameter

from cloudlysis_control.auth.principal import Principal
from cloudlysis_control.core.openapi import problems
from cloudlysis_control.iam.ports import ForwardedResponse
from cloudlysis_control.iam.service import IAM_PATH_PATTERN, IamService

_FORWARD_REQUEST_HEADERS = (
    "authorization",
    "content-type",
    "accept",
    "x-tenant-id",
    "if-match",
    "if-none-match",
)
# The statuses the Gateway's IAM API answers with (docs/contracts/gateway-iam.md), passed on.
_GATEWAY_STATUSES = (404, 409, 412, 422, 502, 504)
IamPath = Annotated[str, PathParameter(pattern=IAM_PATH_PATTERN, description="IAM API path")]
AnyRequest = Request[Principal, Any, Any]


def _headers(request: AnyRequest) -> list[tuple[str, str]]:
    return [(k, v) for k, v in request.headers.items() if k.lower() in _FORWARD_REQUEST_HEADERS]


def _response(answer: ForwardedResponse) -> Response[bytes]:
    headers = dict(answer.headers)  # hop-by-hop headers are gone already (the adapter)
    media_type = headers.pop("content-type", None)
    return Response(answer.body, status_code=answer.status, headers=headers, media_type=media_type)


_WRITE_OPERATION_IDS = {
    "POST": "IamPost",
    "PUT": "IamPut",
    "PATCH": "IamPatch",
    "DELETE": "IamDelete",
}


def _write_operation_id(_handler: Any, method: Any, _components: Any) -> str:
    return _WRITE_OPERATION_IDS[str(method.value if hasattr(method, "value") else method)]


class IamController(Controller):
    path = "/admin/v1/iam"
    tags = ["iam"]

    @get(
        "/{path:path}",
        operation_id="IamRead",
        opt={"right": "control.iam.read"},
        responses=problems(*_GATEWAY_STATUSES),
        description="Read from the Gateway IAM API; the Gateway's status and body are kept.",
    )
    async def iam_read(
        self, request: AnyRequest, iam: NamedDependency[IamService], path: IamPath
    ) -> Response[bytes]:
        answer = await iam.forward(
            request.method, path, request.scope.get("query_string", b""), _headers(request), b""
        )
        return _response(answer)

    @route(
        "/{path:path}",
        http_method=[HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE],
        operation_id=_write_operation_id,
        opt={"right": "control.iam.write"},
        responses=problems(*_GATEWAY_STATUSES),
        status_code=200,
        description="Change Gateway IAM state; audited before and after.",
    )
    async def iam_write(
        self, request: AnyRequest, iam: NamedDependency[IamService], path: IamPath
    ) -> Response[bytes]:
        answer = await iam.change(
            request.user.id,
            request.method,
            path,
            request.scope.get("query_string", b""),
            _headers(request),
            await request.body(),
        )
        return _response(answer)
