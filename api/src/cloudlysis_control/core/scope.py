"""Tenant scope: which tenants a principal may see or act on with a right.

`None` means platform-wide (every tenant, and what belongs to no tenant); a frozenset names the
only tenants in scope (and nothing that belongs to no tenant). Lists are filtered with it; a
tenant outside it is refused at the boundary (docs/decisions/0011-tenant-scoped-rights.md).
"""

from __future__ import annotations

from typing import Protocol, TypeAlias

TenantScope: TypeAlias = frozenset[str] | None
PLATFORM: TenantScope = None


def in_scope(scope: TenantScope, tenant_id: str | None) -> bool:
    """May something of `tenant_id` (None: of no tenant) be seen or touched within `scope`?"""
    if scope is None:
        return True
    return tenant_id is not None and tenant_id in scope


def scope_label(tenant_id: str | None) -> str:
    """How a denial names the scope it needed: `platform`, or `tenant:<id>`."""
    return "platform" if tenant_id is None else f"tenant:{tenant_id}"


class ScopedCaller(Protocol):
    """What a controller below `auth` (audit, locks) needs of the principal: its scope."""

    def scope(self, right: str) -> TenantScope: ...


# Route options (auth.guards reads them): where a route's right must be held. Without one, the
# right must be held platform-wide.
ANY_SCOPE = "any"
SCOPE_ANY = {"scope": ANY_SCOPE}  # on some tenant at least; the answer is filtered to them
SCOPE_TENANT_PATH = {"scope": "tenant"}  # on the tenant the `tenant_id` path parameter names
