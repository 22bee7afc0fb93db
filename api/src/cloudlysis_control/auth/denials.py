"""A denial, the same everywhere (the route guard, job creation, a job read by id): audited as
`authz.deny` naming the missing right and its scope, then 403 with `missing_right` and `scope`."""

from __future__ import annotations

from cloudlysis_control.audit.service import AuditService
from cloudlysis_control.core.errors import ControlError, Forbidden
from cloudlysis_control.core.logging import get_logger
from cloudlysis_control.core.scope import ANY_SCOPE, scope_label

_log = get_logger("control.authz")


def forbidden(right: str, scope: str) -> Forbidden:
    where = {"platform": " platform-wide", ANY_SCOPE: ""}.get(scope)
    if where is None:
        where = f" on {scope.replace(':', ' ', 1)}"
    return Forbidden(
        f"this action needs the right {right}{where}", missing_right=right, scope=scope
    )


async def record_denial(
    audit: AuditService,
    *,
    actor: str,
    target: str,
    right: str,
    tenant_id: str | None = None,
    scope: str | None = None,
) -> Forbidden:
    """Audit the denial (best effort: it stands either way) and return the 403 to raise."""
    scope = scope or scope_label(tenant_id)
    try:
        await audit.record(
            actor=actor,
            action="authz.deny",
            target=target,
            outcome="denied",
            tenant_id=tenant_id,
            detail={"missing_right": right, "scope": scope},
        )
    except ControlError:
        _log.error("could not audit a denial", missing_right=right, scope=scope)
    return forbidden(right, scope)
