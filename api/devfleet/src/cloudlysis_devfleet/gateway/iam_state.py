"""IAM state: users (with their role bindings and password hash), roles and sessions, seeded on
first start and saved to the data dir as one JSON document after every change."""

import time
from pathlib import Path
from typing import Literal

import msgspec

from cloudlysis_devfleet.gateway.files import load, write_private

STATE_FILE = "iam-state.json"
# Sessions this long past their expiry are dropped from the persisted state.
SESSION_RETENTION_S = 24 * 3600

RIGHT_IAM_READ = "control.iam.read"
RIGHT_IAM_WRITE = "control.iam.write"
VIEWER_RIGHTS = (
    "control.access",
    "control.jobs.read",
    "control.audit.read",
    "control.fleet.read",
    "control.placement.read",
    "control.tenants.read",
    "control.iam.read",
    "control.deployments.read",
    "control.config.read",
)
PLATFORM_ADMIN_RIGHTS = (
    *VIEWER_RIGHTS,
    "control.jobs.run",
    "control.audit.export",
    "control.iam.write",
    "control.tenants.operate",
    "control.deployments.operate",
    "control.config.write",
)
# What a tenant operator does, on the tenants its binding names (docs/contracts/gateway-iam.md).
TENANT_OPERATOR_RIGHTS = (
    "control.access",
    "control.tenants.read",
    "control.tenants.operate",
    "control.jobs.read",
    "control.jobs.run",
    "control.audit.read",
)

SessionStatus = Literal["active", "revoked", "expired", "unknown"]
SessionMethod = Literal["dev", "password", "sso"]


def unix_now() -> int:
    return int(time.time())


class Binding(msgspec.Struct):
    """A role bound to a user: platform-wide (`tenants` None) or on those tenants only."""

    role: str
    tenants: list[str] | None = None


class User(msgspec.Struct):
    id: str
    name: str
    roles: list[str]  # the bound roles' names, sorted; kept equal to the bindings' roles
    disabled: bool
    created_at: int
    updated_at: int
    bindings: list[Binding] = msgspec.field(default_factory=list)
    password_hash: str | None = None  # never part of a view


class Role(msgspec.Struct):
    name: str
    rights: list[str]
    description: str = ""


class Session(msgspec.Struct):
    id: str
    principal_id: str
    created_at: int
    expires_at: int
    revoked_at: int | None = None
    method: SessionMethod = "dev"
    # The current refresh token's hash, and the hashes of those it replaced (reuse detection).
    refresh_hash: str | None = None
    spent_refresh_hashes: list[str] = msgspec.field(default_factory=list)
    refreshed_at: int = 0

    def status(self, now: int) -> SessionStatus:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "active"


class IamState(msgspec.Struct):
    users: dict[str, User] = msgspec.field(default_factory=dict)
    roles: dict[str, Role] = msgspec.field(default_factory=dict)
    sessions: dict[str, Session] = msgspec.field(default_factory=dict)


def _seed_state() -> IamState:
    now = unix_now()
    roles = {
        "platform-admin": Role(
            "platform-admin", list(PLATFORM_ADMIN_RIGHTS), "Operate the whole platform."
        ),
        "viewer": Role("viewer", list(VIEWER_RIGHTS), "Read-only access to the control plane."),
        "tenant-operator": Role(
            "tenant-operator",
            list(TENANT_OPERATOR_RIGHTS),
            "Read and operate tenants (drain, resume, migrate); bind it to a list of tenants.",
        ),
    }
    users = {
        "admin": User("admin", "Platform Admin", [], False, now, now),
        "viewer": User("viewer", "Read-only Viewer", [], False, now, now),
        "nobody": User("nobody", "No Rights", [], False, now, now),
        "acme-operator": User("acme-operator", "Acme Operator", [], False, now, now),
    }
    set_bindings(users["admin"], [Binding("platform-admin")])
    set_bindings(users["viewer"], [Binding("viewer")])
    set_bindings(users["acme-operator"], [Binding("tenant-operator", ["acme-eu", "acme-us"])])
    return IamState(users=users, roles=roles)


def set_bindings(user: User, bindings: list[Binding]) -> None:
    """Replace a user's bindings (one per role, sorted) and keep `roles` equal to them."""
    by_role = {b.role: b for b in bindings}
    user.bindings = [by_role[r] for r in sorted(by_role)]
    user.roles = sorted(by_role)


class Grants(msgspec.Struct):
    """Rights with their scope: platform-wide, or per right the tenants it holds on."""

    platform: set[str]
    tenants: dict[str, set[str]]


class IamStore:
    """Users, roles and sessions, persisted as one JSON document after every change."""

    def __init__(self, data_dir: Path) -> None:
        self._path = data_dir / STATE_FILE
        if self._path.exists():
            self.state = load(self._path, IamState)
            for user in self.state.users.values():  # a state written before bindings existed
                if user.roles and not user.bindings:
                    set_bindings(user, [Binding(r) for r in user.roles])
        else:
            self.state = _seed_state()
            self.save()

    def save(self) -> None:
        # Handlers run on the event loop thread, so state changes and saves never interleave.
        cutoff = unix_now() - SESSION_RETENTION_S
        self.state.sessions = {
            sid: s for sid, s in self.state.sessions.items() if s.expires_at > cutoff
        }
        write_private(self._path, msgspec.json.encode(self.state))

    def grants(self, user: User) -> Grants:
        platform: set[str] = set()
        tenants: dict[str, set[str]] = {}
        for binding in user.bindings:
            role = self.state.roles.get(binding.role)
            if role is None:
                continue
            if binding.tenants is None:
                platform.update(role.rights)
            else:
                for right in role.rights:
                    tenants.setdefault(right, set()).update(binding.tenants)
        # A right held platform-wide needs no tenant list.
        return Grants(platform, {r: t for r, t in tenants.items() if r not in platform})

    def effective_rights(self, user: User) -> list[str]:
        """Platform-wide rights only: a tenant-limited right is never one of these."""
        return sorted(self.grants(user).platform)

    def holders(self, role: str) -> list[str]:
        return sorted(u.id for u in self.state.users.values() if role in u.roles)

    def session_status(self, sid: str, principal_id: str) -> SessionStatus:
        session = self.state.sessions.get(sid)
        if session is None or session.principal_id != principal_id:
            return "unknown"
        user = self.state.users.get(principal_id)
        if user is None or user.disabled:
            return "revoked"
        return session.status(unix_now())

    def revoke_sessions_of(self, principal_id: str) -> list[Session]:
        now = unix_now()
        revoked = []
        for session in self.state.sessions.values():
            if session.principal_id == principal_id and session.revoked_at is None:
                session.revoked_at = now
                revoked.append(session)
        return revoked
