"""Authorization: every route declares the right it needs, and where; anything else is denied.

Routes declare `opt={"right": "control.x.y"}` (or `public=True` for the few unauthenticated
ones, or the right `SESSION` for what any valid session may do, e.g. sign out). A route that
declares nothing is refused for everyone — deny by default — and the route-table test fails the
build before such a route ships. Every denial is audited.

Where the right must be held (docs/decisions/0011-tenant-scoped-rights.md):
- by default, platform-wide (fleet, placement, Swarm, deployments, IAM, config);
- `tenant_scoped: True` (the tenant in `x-tenant-id`) or `scope: "tenant"` (the `tenant_id` path
  parameter): on that tenant;
- `scope: "any"`: on at least one tenant; the service filters what it answers to the caller's
  tenants (lists, investigation) or checks the object's tenant (a job read by id).
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from cloudlysis_control.audit.service import AuditService
from cloudlysis_control.auth.denials import record_denial
from cloudlysis_control.auth.principal import Principal
from cloudlysis_control.core.errors import TenantIdInvalid, TenantIdMissing
from cloudlysis_control.core.identity import current_identity
from cloudlysis_control.core.pipeline import route_template
from cloudlysis_control.core.scope import ANY_SCOPE, scope_label
from cloudlysis_control.core.validation import TENANT_ID_RE, TENANT_ID_RULE

# The right of a route any valid session may call (no right needed): signing out.
SESSION = "session"


def tenant_from_headers(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    values = connection.headers.getall("x-tenant-id", [])
    if not values or values[0] == "":
        raise TenantIdMissing("this route is tenant-scoped: send x-tenant-id")
    if len(values) > 1 or not TENANT_ID_RE.match(values[0]):
        raise TenantIdInvalid(f"x-tenant-id must match {TENANT_ID_RULE}")
    return values[0]


async def deny(
    connection: ASGIConnection[Any, Any, Any, Any],
    missing_right: str,
    tenant_id: str | None = None,
    scope: str | None = None,
) -> None:
    """Audit the denial and raise 403 naming the right and where it was needed."""
    principal: Principal = connection.user
    audit: AuditService = connection.app.state.audit
    raise await record_denial(
        audit,
        actor=principal.id,
        target=f"{connection.scope.get('method', '')} {route_template(connection.scope)}",
        right=missing_right,
        tenant_id=tenant_id,
        scope=scope,
    )


# A route whose right is the right of the job kind named in its path (the generic job create).
RIGHT_OF_KIND = "right-of-kind"
_FALLBACK_KIND_RIGHT = "control.jobs.run"
_KIND_TENANT = "kind-tenant"


def _route_right(connection: ASGIConnection[Any, Any, Any, Any], declared: Any) -> tuple[Any, Any]:
    """The right and the scope option the request needs."""
    if declared != RIGHT_OF_KIND:
        return declared, None
    state = connection.app.state
    kind = str(connection.path_params.get("kind"))
    rights_of_kinds: dict[str, str] = state.get("kind_rights") or {}
    tenant_kinds: frozenset[str] = state.get("tenant_kinds") or frozenset()
    # A tenant kind acts on the tenant in x-tenant-id (JobService.create checks it again, and
    # refuses a missing one with 422).
    return rights_of_kinds.get(kind, _FALLBACK_KIND_RIGHT), (
        _KIND_TENANT if kind in tenant_kinds else None
    )


def _path_tenant(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    value = connection.path_params.get("tenant_id")
    # A malformed id is the parameter validation's to refuse (400), after this guard.
    return value if isinstance(value, str) and TENANT_ID_RE.match(value) else None


def _header_tenant(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    values = connection.headers.getall("x-tenant-id", [])
    return values[0] if len(values) == 1 and TENANT_ID_RE.match(values[0]) else None


async def authorize(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    opt = handler.opt
    if opt.get("public"):
        return
    principal: Principal = connection.user
    right, kind_scope = _route_right(connection, opt.get("right"))
    if right == SESSION:
        return
    if not isinstance(right, str):
        await deny(connection, "undeclared")
        return
    scope = kind_scope or opt.get("scope")
    tenant_id: str | None = None
    if opt.get("tenant_scoped"):
        tenant_id = tenant_from_headers(connection)
        ident = current_identity.get()
        if ident is not None:
            ident.tenant_id = tenant_id
    elif scope == _KIND_TENANT:
        tenant_id = _header_tenant(connection)
        scope = None if tenant_id is not None else ANY_SCOPE
    elif scope == "tenant":
        tenant_id = _path_tenant(connection)
        if tenant_id is None and principal.holds_anywhere(right):
            return  # the malformed tenant id is refused by validation (400)
    if scope == ANY_SCOPE:
        if not principal.holds_anywhere(right):
            await deny(connection, right, scope=ANY_SCOPE)
    elif not principal.holds(right, tenant_id):
        await deny(connection, right, tenant_id, scope_label(tenant_id))
