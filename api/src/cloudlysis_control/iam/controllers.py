"""Gateway IAM pass-through: /admin/v1/iam/{path} → Gateway /iam/v1/{path}, byte for byte.

Status code, content type and body are the Gateway's own. Mutations are audited before they are
forwarded (fail closed: no audit, no change) and their outcome afterwards.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Controller, Request, Response, get, route
from litestar.enums import HttpMethod
from litestar.params import FromPath

from cloudlysis_control.adapters.gateway import HOP_BY_HOP, GatewayClient
from cloudlysis_control.audit.service import AuditService
from cloudlysis_control.auth.principal import Principal
from cloudlysis_control.auth.rights import RightsResolver
from cloudlysis_control.core.errors import ControlError, UpstreamUnavailable, ValidationFailed
from cloudlysis_control.core.logging import get_logger
from cloudlysis_control.core.openapi import problems

MAX_BODY = 1024 * 1024
_PATH_RE = re.compile(r"^[A-Za-z0-9._~\-/:@]{1,512}$")
_REVOKE_PATH = re.compile(r"^sessions/([^/]+)/revoke$")
_FORWARD_REQUEST_HEADERS = (
    "authorization",
    "content-type",
    "accept",
    "x-tenant-id",
    "if-match",
    "if-none-match",
)
_log = get_logger("control.iam")


def _gateway(request: Request[Any, Any, Any]) -> GatewayClient:
    gateway: GatewayClient | None = request.app.state.gateway
    if gateway is None:
        raise UpstreamUnavailable("no Gateway is configured (CONTROL_GATEWAY_URL)")
    return gateway


def _clean_path(path: str) -> str:
    p = path.lstrip("/")
    if not _PATH_RE.match(p) or ".." in p.split("/"):
        raise ValidationFailed("invalid IAM path")
    return p


async def _forward(request: Request[Principal, Any, Any], path: FromPath[str]) -> Response[bytes]:
    gateway = _gateway(request)
    clean = _clean_path(path)
    body = await request.body()
    if len(body) > MAX_BODY:
        raise ValidationFailed("request body too large")
    headers = [(k, v) for k, v in request.headers.items() if k.lower() in _FORWARD_REQUEST_HEADERS]
    forwarded = await gateway.forward(
        request.method, clean, request.scope.get("query_string", b""), headers, body
    )
    out = {k: v for k, v in forwarded.headers if k.lower() not in HOP_BY_HOP}
    media_type = out.pop("content-type", None)
    return Response(
        forwarded.body, status_code=forwarded.status, headers=out, media_type=media_type
    )


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
        responses=problems(502, 504),
        description="Read from the Gateway IAM API; the Gateway's status and body are kept.",
    )
    async def iam_read(
        self, request: Request[Principal, Any, Any], path: FromPath[str]
    ) -> Response[bytes]:
        return await _forward(request, path)

    @route(
        "/{path:path}",
        http_method=[HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE],
        operation_id=_write_operation_id,
        opt={"right": "control.iam.write"},
        responses=problems(502, 504),
        status_code=200,
        description="Change Gateway IAM state; audited before and after.",
    )
    async def iam_write(
        self, request: Request[Principal, Any, Any], path: FromPath[str]
    ) -> Response[bytes]:
        audit: AuditService = request.app.state.audit
        clean = _clean_path(path)
        target = f"iam:{clean}"
        action = f"iam.{request.method.lower()}"
        await audit.record(actor=request.user.id, action=action, target=target, outcome="accepted")
        try:
            response = await _forward(request, path)
        except ControlError as e:
            await _audit_outcome(
                audit, request.user.id, action, target, "failed", {"error": e.code}
            )
            raise
        outcome = "succeeded" if (response.status_code or 500) < 400 else "failed"
        revoked = _REVOKE_PATH.match(clean)
        if revoked and outcome == "succeeded":
            # Do not wait for the rights TTL: the revoked session is refused from now on.
            resolver: RightsResolver = request.app.state.rights_resolver
            resolver.invalidate_session(revoked.group(1))
        await _audit_outcome(
            audit, request.user.id, action, target, outcome, {"status": response.status_code}
        )
        return response


async def _audit_outcome(
    audit: AuditService,
    actor: str,
    action: str,
    target: str,
    outcome: Any,
    detail: dict[str, Any],
) -> None:
    try:
        await audit.record(
            actor=actor, action=action, target=target, outcome=outcome, detail=detail
        )
    except ControlError:
        _log.error("could not audit the outcome of an IAM change", action=action, target=target)
