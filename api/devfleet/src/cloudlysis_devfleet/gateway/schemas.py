"""Request bodies of the Gateway's API and the session view it answers with."""

from typing import Any

import msgspec

from cloudlysis_devfleet.gateway.iam_state import Session, SessionStatus


class DevLoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    principal: str
    ttl_s: int | None = None


class UserCreate(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    name: str
    roles: list[str] = msgspec.field(default_factory=list)


class UserUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: str | msgspec.UnsetType = msgspec.UNSET
    roles: list[str] | msgspec.UnsetType = msgspec.UNSET
    disabled: bool | msgspec.UnsetType = msgspec.UNSET


class RolePut(msgspec.Struct, forbid_unknown_fields=True):
    rights: list[str]
    description: str | msgspec.UnsetType = msgspec.UNSET


class KeyRotation(msgspec.Struct, forbid_unknown_fields=True):
    retire_previous: bool = False


def session_view(session: Session, status: SessionStatus) -> dict[str, Any]:
    return {
        "id": session.id,
        "principal_id": session.principal_id,
        "status": status,
        "created_at": session.created_at,
        "expires_at": session.expires_at,
        "revoked_at": session.revoked_at,
    }


class RoutingFault(msgspec.Struct, forbid_unknown_fields=True):
    """Simulator only: after the next reload, keep answering with the previous table."""

    wrong_after_reload: bool = True
