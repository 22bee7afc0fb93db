"""The authenticated caller, its rights with their tenant scope, and the rights catalog."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cloudlysis_control.core.scope import TenantScope

# Every right the control plane gives meaning to: (area, description). The Gateway treats rights
# as opaque strings; this catalog is what the console offers when a role is edited.
RIGHTS_CATALOG: dict[str, tuple[str, str]] = {
    "control.access": ("Console", "Use the control plane at all (whoami, settings)"),
    "control.jobs.read": ("Jobs", "Read jobs and their steps"),
    "control.jobs.run": ("Jobs", "Start and cancel jobs"),
    "control.audit.read": ("Audit", "Read audit events and investigate ids"),
    "control.audit.export": ("Audit", "Export the audit log"),
    "control.iam.read": ("Identity and access", "Read users, sessions and roles (Gateway IAM)"),
    "control.iam.write": (
        "Identity and access",
        "Change users, sessions and roles (Gateway IAM)",
    ),
    "control.fleet.read": ("Platform", "Read fleet health"),
    "control.placement.read": ("Platform", "Read placement and routing"),
    "control.tenants.read": ("Tenants", "Read tenants"),
    "control.tenants.operate": ("Tenants", "Drain, resume and migrate tenants"),
    "control.deployments.read": ("Deployments", "Read deployments"),
    "control.deployments.operate": ("Deployments", "Deploy and roll back services"),
    "control.config.read": ("Configuration", "Read configuration"),
    "control.config.write": ("Configuration", "Change configuration"),
}
RIGHTS: dict[str, str] = {right: text for right, (_, text) in RIGHTS_CATALOG.items()}


@dataclass(frozen=True, slots=True)
class Principal:
    id: str
    session_id: str
    rights: frozenset[str]  # platform-wide
    authorization: str  # the raw header, kept only to forward to the Gateway; never logged
    # Rights held on some tenants only: right → those tenants (never one of `rights`).
    tenant_rights: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def __repr__(self) -> str:  # keep the credential out of any repr-based logging
        return f"Principal(id={self.id!r}, session_id={self.session_id!r})"

    def holds(self, right: str, tenant_id: str | None = None) -> bool:
        """Platform-wide, or (with a tenant) on that tenant."""
        if right in self.rights:
            return True
        return tenant_id is not None and tenant_id in self.tenant_rights.get(right, ())

    def holds_anywhere(self, right: str) -> bool:
        return right in self.rights or bool(self.tenant_rights.get(right))

    def scope(self, right: str) -> TenantScope:
        """The tenants `right` reaches: None (platform-wide) or a set (maybe empty)."""
        if right in self.rights:
            return None
        return self.tenant_rights.get(right, frozenset())
