"""Authorization: every route declares the right it needs; anything else is denied.

Routes declare `opt={"right": "control.x.y"}` (or `public=True` for the few unauthenticated
ones). A route that declares nothing is refused for everyone — deny by default — and the
route-table test fails the build before such a route ships. Every denial is audited.
"""

from __future__ import annotations

import re
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

TENANT_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_log = get_logger("control.authz")


def tenant_from_headers(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    values = connection.headers.getall("x-tenant-id", [])
    if not values or values[0] == "":
        raise TenantIdMissing("this route is tenant-scoped: send x-tenant-id")
    if len(values) > 1 or not TENANT_ID_RE.match(values[0]):
        raise TenantIdInvalid("x-tenant-id must match [a-z0-9][a-z0-9-]{0,62}")
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


async def authorize(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    opt = handler.opt
    if opt.get("public"):
        return
    principal: Principal = connection.user
    right = opt.get("right")
    if not isinstance(right, str) or right not in principal.rights:
        await deny(connection, right if isinstance(right, str) else "undeclared")
    if opt.get("tenant_scoped"):
        tenant_id = tenant_from_headers(connection)
        ident = current_identity.get()
        if ident is not None:
            ident.tenant_id = tenant_id
