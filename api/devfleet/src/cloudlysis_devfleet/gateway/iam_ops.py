"""The IAM API's operations on users, role bindings, sessions and roles
(docs/contracts/gateway-iam.md §5). The routes authenticate the caller and check its right;
these check the objects and answer with views."""

import re
from typing import Any

import msgspec

from cloudlysis_devfleet.common import Problem
from cloudlysis_devfleet.gateway.iam_state import (
    RIGHT_IAM_WRITE,
    Binding,
    Role,
    Session,
    User,
    set_bindings,
    unix_now,
)
from cloudlysis_devfleet.gateway.schemas import (
    BindingPut,
    PasswordSet,
    RoleCreate,
    RolePut,
    UserCreate,
    UserUpdate,
    binding_view,
    session_view,
    user_view,
)
from cloudlysis_devfleet.gateway.secrets import check_password_rules, hash_password
from cloudlysis_devfleet.gateway.service import Caller, Gateway

PRINCIPAL_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_ROLE_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_RIGHT = re.compile(r"^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)+$")
_TENANT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
MAX_BINDING_TENANTS = 1000
MAX_DESCRIPTION = 500


def _invalid(detail: str, title: str = "Invalid request body") -> Problem:
    return Problem(422, "invalid_request", title, detail)


class IamOps:
    def __init__(self, gateway: Gateway) -> None:
        self.gw = gateway
        self.iam = gateway.iam

    def _save(self) -> None:
        self.iam.save()

    # -- users -------------------------------------------------------------------------------

    def _user(self, user_id: str) -> User:
        user = self.iam.state.users.get(user_id)
        if user is None:
            raise Problem(404, "user_not_found", "Not found", f"no user '{user_id}'")
        return user

    def _check_roles(self, roles: list[str]) -> None:
        unknown = sorted(set(roles) - set(self.iam.state.roles))
        if unknown:
            raise Problem(422, "unknown_role", "Unknown role", f"no such roles: {unknown}")

    @staticmethod
    def _check_name(name: str) -> None:
        if not 1 <= len(name.strip()) <= 200:
            raise _invalid("name must be 1-200 chars")

    def list_users(self) -> dict[str, Any]:
        users = sorted(self.iam.state.users.values(), key=lambda u: u.id)
        return {"items": [user_view(u) for u in users]}

    def get_user(self, user_id: str) -> dict[str, Any]:
        return user_view(self._user(user_id))

    def create_user(self, body: UserCreate) -> dict[str, Any]:
        if not PRINCIPAL_ID.fullmatch(body.id):
            raise _invalid("id must match ^[a-z0-9][a-z0-9._-]{0,63}$")
        self._check_name(body.name)
        self._check_roles(body.roles)
        if body.password is not None:
            check_password_rules(body.password)
        if body.id in self.iam.state.users:
            raise Problem(409, "user_exists", "Conflict", f"user '{body.id}' already exists")
        now = unix_now()
        user = User(body.id, body.name, [], False, now, now)
        set_bindings(user, [Binding(r) for r in body.roles])
        if body.password is not None:
            user.password_hash = hash_password(body.password)
        self.iam.state.users[user.id] = user
        self._save()
        return user_view(user)

    def update_user(self, caller: Caller, user_id: str, body: UserUpdate) -> dict[str, Any]:
        user = self._user(user_id)
        if not isinstance(body.name, msgspec.UnsetType):
            self._check_name(body.name)
        if not isinstance(body.roles, msgspec.UnsetType):
            self._check_roles(body.roles)
        if body.disabled is True and user_id == caller.principal_id:
            raise Problem(409, "self_lockout", "Conflict", "a principal cannot disable itself")
        if not isinstance(body.name, msgspec.UnsetType):
            user.name = body.name
        if not isinstance(body.roles, msgspec.UnsetType):
            # `roles` replaces the list; a role kept keeps its binding's tenants.
            kept = {b.role: b for b in user.bindings}
            set_bindings(user, [kept.get(r, Binding(r)) for r in body.roles])
        if not isinstance(body.disabled, msgspec.UnsetType):
            user.disabled = body.disabled
            if body.disabled:
                self.iam.revoke_sessions_of(user_id)
        user.updated_at = unix_now()
        self._save()
        return user_view(user)

    def delete_user(self, caller: Caller, user_id: str) -> None:
        self._user(user_id)
        if user_id == caller.principal_id:
            raise Problem(409, "self_lockout", "Conflict", "a principal cannot delete itself")
        del self.iam.state.users[user_id]
        self.iam.revoke_sessions_of(user_id)
        self._save()

    def set_password(self, user_id: str, body: PasswordSet) -> None:
        user = self._user(user_id)
        check_password_rules(body.password)
        user.password_hash = hash_password(body.password)
        user.updated_at = unix_now()
        self._save()

    # -- role bindings -----------------------------------------------------------------------

    def list_bindings(self, user_id: str) -> dict[str, Any]:
        return {"items": [binding_view(b) for b in self._user(user_id).bindings]}

    @staticmethod
    def _tenants(tenants: list[str] | None) -> list[str] | None:
        if tenants is None:
            return None
        if not 1 <= len(tenants) <= MAX_BINDING_TENANTS:
            raise _invalid(
                f"tenants lists 1 to {MAX_BINDING_TENANTS} tenants (null: platform-wide)"
            )
        bad = sorted(t for t in tenants if not _TENANT_ID.fullmatch(t))
        if bad:
            raise _invalid(f"not tenant ids (^[a-z0-9][a-z0-9-]{{0,62}}$): {bad[:10]}")
        return sorted(set(tenants))

    def put_binding(
        self, caller: Caller, user_id: str, role: str, body: BindingPut
    ) -> tuple[dict[str, Any], bool]:
        user = self._user(user_id)
        self._check_roles([role])
        tenants = self._tenants(body.tenants)
        if user_id == caller.principal_id:
            raise Problem(
                409, "self_lockout", "Conflict", "a principal cannot change its own role bindings"
            )
        others = [b for b in user.bindings if b.role != role]
        created = len(others) == len(user.bindings)
        binding = Binding(role, tenants)
        set_bindings(user, [*others, binding])
        user.updated_at = unix_now()
        self._save()
        return binding_view(binding), created

    def delete_binding(self, caller: Caller, user_id: str, role: str) -> None:
        user = self._user(user_id)
        if role not in user.roles:
            raise Problem(
                404, "binding_not_found", "Not found", f"user '{user_id}' has no role '{role}'"
            )
        if user_id == caller.principal_id:
            raise Problem(
                409, "self_lockout", "Conflict", "a principal cannot change its own role bindings"
            )
        set_bindings(user, [b for b in user.bindings if b.role != role])
        user.updated_at = unix_now()
        self._save()

    # -- sessions ----------------------------------------------------------------------------

    def _session(self, session_id: str) -> Session:
        session = self.iam.state.sessions.get(session_id)
        if session is None:
            raise Problem(404, "session_not_found", "Not found", f"no session '{session_id}'")
        return session

    def _view(self, session: Session) -> dict[str, Any]:
        return session_view(session, self.iam.session_status(session.id, session.principal_id))

    def list_sessions(self, principal_id: str | None) -> dict[str, Any]:
        sessions = [
            s
            for s in self.iam.state.sessions.values()
            if principal_id is None or s.principal_id == principal_id
        ]
        sessions.sort(key=lambda s: (-s.created_at, s.id))
        return {"items": [self._view(s) for s in sessions]}

    def get_session(self, session_id: str) -> dict[str, Any]:
        return self._view(self._session(session_id))

    def revoke_session(self, caller: Caller, session_id: str) -> dict[str, Any]:
        session = self._session(session_id)
        if session.principal_id != caller.principal_id:
            caller.require(RIGHT_IAM_WRITE)
        if session.revoked_at is None:
            session.revoked_at = unix_now()
            self._save()
        return self._view(session)

    def revoke_sessions_of(self, caller: Caller, user_id: str) -> dict[str, Any]:
        """Every active session of the user; the revoked ones are answered."""
        if user_id != caller.principal_id:
            caller.require(RIGHT_IAM_WRITE)
        self._user(user_id)
        revoked = self.iam.revoke_sessions_of(user_id)
        self._save()
        return {"items": [self._view(s) for s in revoked]}

    # -- roles -------------------------------------------------------------------------------

    def _role(self, name: str) -> Role:
        role = self.iam.state.roles.get(name)
        if role is None:
            raise Problem(404, "role_not_found", "Not found", f"no role '{name}'")
        return role

    @staticmethod
    def _check_role(name: str, rights: list[str], description: str | None) -> None:
        if not _ROLE_NAME.fullmatch(name):
            raise _invalid(
                "role name must match ^[a-z0-9][a-z0-9._-]{0,63}$", title="Invalid role name"
            )
        bad = sorted(r for r in rights if not _RIGHT.fullmatch(r))
        if bad:
            raise Problem(422, "invalid_right", "Invalid right", f"malformed rights: {bad}")
        if description is not None and len(description) > MAX_DESCRIPTION:
            raise _invalid(f"description has at most {MAX_DESCRIPTION} characters")

    def list_roles(self) -> dict[str, Any]:
        roles = sorted(self.iam.state.roles.values(), key=lambda r: r.name)
        return {"items": msgspec.to_builtins(roles)}

    def get_role(self, name: str) -> Any:
        return msgspec.to_builtins(self._role(name))

    def create_role(self, body: RoleCreate) -> Any:
        self._check_role(body.name, body.rights, body.description)
        if body.name in self.iam.state.roles:
            raise Problem(409, "role_exists", "Conflict", f"role '{body.name}' already exists")
        role = Role(body.name, sorted(set(body.rights)), body.description)
        self.iam.state.roles[role.name] = role
        self._save()
        return msgspec.to_builtins(role)

    def put_role(self, name: str, body: RolePut) -> tuple[Any, bool]:
        description = None if isinstance(body.description, msgspec.UnsetType) else body.description
        self._check_role(name, body.rights, description)
        existing = self.iam.state.roles.get(name)
        if description is None:
            description = existing.description if existing else ""
        role = Role(name, sorted(set(body.rights)), description)
        self.iam.state.roles[name] = role
        self._save()
        return msgspec.to_builtins(role), existing is None

    def delete_role(self, name: str) -> None:
        self._role(name)
        holders = self.iam.holders(name)
        if holders:
            shown = ", ".join(holders[:20]) + (
                f" and {len(holders) - 20} more" if len(holders) > 20 else ""
            )
            raise Problem(
                409,
                "role_bound",
                "Conflict",
                f"role '{name}' is still bound to: {shown}",
            )
        del self.iam.state.roles[name]
        self._save()
