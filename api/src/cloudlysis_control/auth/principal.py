"""The authenticated caller and the rights catalog."""

from __future__ import annotations

from dataclasses import dataclass

RIGHTS: dict[str, str] = {
    "control.access": "Use the control plane at all (whoami, settings)",
    "control.jobs.read": "Read jobs and their steps",
    "control.jobs.run": "Start and cancel jobs",
    "control.audit.read": "Read audit events and investigate ids",
    "control.audit.export": "Export the audit log",
    "control.iam.read": "Read users, sessions and roles (Gateway IAM)",
    "control.iam.write": "Change users, sessions and roles (Gateway IAM)",
    "control.fleet.read": "Read fleet health",
    "control.placement.read": "Read placement and routing",
    "control.tenants.read": "Read tenants",
    "control.tenants.operate": "Drain, resume and migrate tenants",
    "control.deployments.read": "Read deployments",
    "control.deployments.operate": "Deploy and roll back services",
    "control.config.read": "Read configuration",
    "control.config.write": "Change configuration",
}


@dataclass(frozen=True, slots=True)
class Principal:
    id: str
    session_id: str
    rights: frozenset[str]
    authorization: str  # the raw header, kept only to forward to the Gateway; never logged

    def __repr__(self) -> str:  # keep the credential out of any repr-based logging
        return f"Principal(id={self.id!r}, session_id={self.session_id!r})"
