"""Authorization: every route declares the right it needs; anything else is denied.

Routes declare `opt={"right": "control.x.y"}` (or `public=True` for the few unauthenticated
ones). A route that declares nothing is refused for everyone — deny by default — and the
route-table test fails the build before such a route ships. Every denial is audited.
"""

from __future__ import annotations

from typing import Any, NoReturn

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from cloudlysis_control.audit.service import AuditService
from cloudlysis_control.auth.principal import Principal
from cloudlysis_control.core.errors import (
    ControlError,
    Forbidden,
    TenantIdInvalid,
    TenantIdMissing,
)
from cloudlysis_control.core.identity import current_identity
from cloudlysis_control.core.logging import get_logger
from cloudlysis_control.core.pipeline import route_template
from cloudlysis_control.core.validation import TENANT_ID_RE, TENANT_ID_RULE

_log = get_logger("control.authz")


def tenant_from_headers(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    values = connection.headers.getall("x-tenant-id", [])
    if not values or values[0] == "":
        raise TenantIdMissing("this route is tenant-scoped: send x-tenant-id")
    if len(values) > 1 or not TENANT_ID_RE.match(values[0]):
        raise TenantIdInvalid(f"x-tenant-id must match {TENANT_ID_RULE}")
    return values[0]


async def deny(connection: ASGIConnection[Any, Any, Any, Any], missing_right: str) -> NoReturn:
    """Audit the denial (best effort: the denial stands either way) and raise 403."""
    principal: Principal = connection.user
    audit: AuditService = connection.app.state.audit
    try:
        await audit.record(
            actor=principal.id,
            action="authz.deny",
            target=f"{connection.scope.get('method', '')} {route_template(connection.scope)}",
            outcome="denied",
            detail={"missing_right": missing_right},
        )
    except ControlError:
        _log.error("could not audit a denial", missing_right=missing_right)
    raise Forbidden(f"this action needs the right {missing_right}", missing_right=missing_right)


# A route whose right is the right of the job kind named in its path (the generic job create).
RIGHT_OF_KIND = "right-of-kind"
_FALLBACK_KIND_RIGHT = "control.jobs.run"


def _route_right(connection: ASGIConnection[Any, Any, Any, Any], declared: Any) -> Any:
    if declared != RIGHT_OF_KIND:
        return declared
    rights_of_kinds: dict[str, str] = connection.app.state.get("kind_rights") or {}
    return rights_of_kinds.get(str(connection.path_params.get("kind")), _FALLBACK_KIND_RIGHT)


async def authorize(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    opt = handler.opt
    if opt.get("public"):
        return
    principal: Principal = connection.user
    right = _route_right(connection, opt.get("right"))
    if not isinstance(right, str) or right not in principal.rights:
        await deny(connection, right if isinstance(right, str) else "undeclared")
    if opt.get("tenant_scoped"):
        tenant_id = tenant_from_headers(connection)
        ident = current_identity.get()
        if ident is not None:
            ident.tenant_id = tenant_id
