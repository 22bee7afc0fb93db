"""IAM state: users, roles and sessions, seeded on first start and saved to the data dir as one
JSON document after every change."""

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

SessionStatus = Literal["active", "revoked", "expired", "unknown"]


def unix_now() -> int:
    return int(time.time())


class User(msgspec.Struct):
    id: str
    name: str
    roles: list[str]
    disabled: bool
    created_at: int
    updated_at: int


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
    }
    users = {
        "admin": User("admin", "Platform Admin", ["platform-admin"], False, now, now),
        "viewer": User("viewer", "Read-only Viewer", ["viewer"], False, now, now),
        "nobody": User("nobody", "No Rights", [], False, now, now),
    }
    return IamState(users=users, roles=roles)


class IamStore:
    """Users, roles and sessions, persisted as one JSON document after every change."""

    def __init__(self, data_dir: Path) -> None:
        self._path = data_dir / STATE_FILE
        if self._path.exists():
            self.state = load(self._path, IamState)
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

    def effective_rights(self, user: User) -> list[str]:
        rights: set[str] = set()
        for role_name in user.roles:
            role = self.state.roles.get(role_name)
            if role is not None:
                rights.update(role.rights)
        return sorted(rights)

    def session_status(self, sid: str, principal_id: str) -> SessionStatus:
        session = self.state.sessions.get(sid)
        if session is None or session.principal_id != principal_id:
            return "unknown"
        user = self.state.users.get(principal_id)
        if user is None or user.disabled:
            return "revoked"
        return session.status(unix_now())

    def revoke_sessions_of(self, principal_id: str) -> None:
        now = unix_now()
        for session in self.state.sessions.values():
            if session.principal_id == principal_id and session.revoked_at is None:
                session.revoked_at = now
