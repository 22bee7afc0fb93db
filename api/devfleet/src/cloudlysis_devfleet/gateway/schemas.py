"""Request bodies of the Gateway's API and the views it answers with (never a password hash or
a refresh token's digest)."""

from typing import Any

import msgspec

from cloudlysis_devfleet.gateway.iam_state import Binding, Session, SessionStatus, User


class DevLoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    principal: str
    ttl_s: int | None = None


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    username: str
    password: str


class RefreshRequest(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: str


class LogoutRequest(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: str | None = None


class TokenRequest(msgspec.Struct, forbid_unknown_fields=True):
    """The OIDC token endpoint's authorization-code grant (RFC 6749 §4.1.3 with PKCE)."""

    grant_type: str
    code: str
    redirect_uri: str
    client_id: str
    code_verifier: str


class UserCreate(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    name: str
    roles: list[str] = msgspec.field(default_factory=list)
    password: str | None = None


class UserUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: str | msgspec.UnsetType = msgspec.UNSET
    roles: list[str] | msgspec.UnsetType = msgspec.UNSET
    disabled: bool | msgspec.UnsetType = msgspec.UNSET


class PasswordSet(msgspec.Struct, forbid_unknown_fields=True):
    password: str


class BindingPut(msgspec.Struct, forbid_unknown_fields=True):
    tenants: list[str] | None = None


class RoleCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    rights: list[str]
    description: str = ""


class RolePut(msgspec.Struct, forbid_unknown_fields=True):
    rights: list[str]
    description: str | msgspec.UnsetType = msgspec.UNSET


class KeyRotation(msgspec.Struct, forbid_unknown_fields=True):
    retire_previous: bool = False


def binding_view(binding: Binding) -> dict[str, Any]:
    return {"role": binding.role, "tenants": binding.tenants}


def user_view(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "roles": user.roles,
        "bindings": [binding_view(b) for b in user.bindings],
        "disabled": user.disabled,
        "has_password": user.password_hash is not None,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
    }


def session_view(session: Session, status: SessionStatus) -> dict[str, Any]:
    return {
        "id": session.id,
        "principal_id": session.principal_id,
        "status": status,
        "method": session.method,
        "created_at": session.created_at,
        "expires_at": session.expires_at,
        "revoked_at": session.revoked_at,
    }


class RoutingFault(msgspec.Struct, forbid_unknown_fields=True):
    """Simulator only: after the next reload, keep answering with the previous table."""

    wrong_after_reload: bool = True
