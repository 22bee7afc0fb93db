"""The simulated Gateway's behaviour, independent of HTTP routing: dev login (token minting),
token verification and authentication, rights lookups, and the IAM operations on users,
sessions and roles."""

import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
from joserfc import jwt
from joserfc.errors import ClaimError, ExpiredTokenError, JoseError
from joserfc.jwt import JWTClaimsRegistry
from prometheus_client import Counter

from cloudlysis_devfleet.common import Problem, ServiceKit
from cloudlysis_devfleet.gateway.config import SERVICE, GatewayConfig
from cloudlysis_devfleet.gateway.iam_state import (
    RIGHT_IAM_READ,
    RIGHT_IAM_WRITE,
    IamStore,
    Role,
    Session,
    SessionStatus,
    User,
    unix_now,
)
from cloudlysis_devfleet.gateway.keys import JWT_ALG, KeyStore
from cloudlysis_devfleet.gateway.schemas import (
    DevLoginRequest,
    KeyRotation,
    RolePut,
    UserCreate,
    UserUpdate,
    session_view,
)

_PRINCIPAL_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_ROLE_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_RIGHT = re.compile(r"^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)+$")

_WWW_AUTHENTICATE = "WWW-Authenticate"


def _unauthorized(code: str, detail: str) -> Problem:
    error = "invalid_request" if code == "token_missing" else "invalid_token"
    return Problem(
        401,
        code,
        "Unauthorized",
        detail,
        headers={_WWW_AUTHENTICATE: f'Bearer realm="cloudlysis", error="{error}"'},
    )


@dataclass(frozen=True)
class Caller:
    principal_id: str
    session_id: str
    session_status: SessionStatus
    rights: frozenset[str] = field(default_factory=frozenset)

    def require(self, right: str) -> None:
        if right not in self.rights:
            raise Problem(
                403, "missing_right", "Forbidden", f"this operation needs the right '{right}'"
            )


class Gateway:
    """The simulated Gateway's behaviour, independent of HTTP routing."""

    def __init__(self, config: GatewayConfig, kit: ServiceKit) -> None:
        data_dir = Path(config.data_dir)  # launchers may hand over a str
        data_dir.mkdir(parents=True, exist_ok=True)
        self.config = config
        self.keys = KeyStore(data_dir)
        self.iam = IamStore(data_dir)
        # Named and labelled as docs/observability/metrics-contract.yaml lists it.
        self.auth_failures = Counter(
            f"{SERVICE}_auth_failures",
            "Rejected authentications by bounded reason.",
            ["reason"],
            registry=kit.registry,
        )

    # -- tokens ------------------------------------------------------------------------------

    def dev_login(self, body: DevLoginRequest) -> dict[str, Any]:
        user = self.iam.state.users.get(body.principal)
        if user is None:
            raise Problem(
                404, "principal_not_found", "Not found", f"no principal '{body.principal}'"
            )
        if user.disabled:
            raise Problem(
                403, "principal_disabled", "Forbidden", f"principal '{user.id}' is disabled"
            )
        ttl = self.config.token_ttl_s if body.ttl_s is None else body.ttl_s
        if not 1 <= ttl <= self.config.token_ttl_s:
            raise Problem(
                422,
                "invalid_request",
                "Invalid request body",
                f"ttl_s must be between 1 and {self.config.token_ttl_s}",
            )
        now = unix_now()
        session = Session(
            id=f"ses_{uuid.uuid4().hex}", principal_id=user.id, created_at=now, expires_at=now + ttl
        )
        self.iam.state.sessions[session.id] = session
        self.iam.save()
        claims = {
            "iss": self.config.issuer,
            "aud": self.config.audience,
            "sub": user.id,
            "sid": session.id,
            "iat": now,
            "nbf": now,
            "exp": session.expires_at,
            "name": user.name,
        }
        header = {"alg": JWT_ALG, "kid": self.keys.current_kid, "typ": "JWT"}
        token = jwt.encode(header, claims, self.keys.signing_key, algorithms=[JWT_ALG])
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_at": session.expires_at,
            "session_id": session.id,
            "principal_id": user.id,
        }

    def _verify(self, token: str) -> tuple[str, str]:
        try:
            decoded = jwt.decode(token, self.keys.verification_keys, algorithms=[JWT_ALG])
            if not decoded.header.get("kid"):
                raise _unauthorized("token_invalid", "token header has no kid")
            JWTClaimsRegistry(
                iss={"essential": True, "value": self.config.issuer},
                aud={"essential": True, "value": self.config.audience},
                sub={"essential": True},
                sid={"essential": True},
                exp={"essential": True},
                iat={"essential": True},
            ).validate(decoded.claims)
        except ExpiredTokenError as e:
            raise _unauthorized("token_expired", "the access token has expired") from e
        except (ClaimError, JoseError, ValueError) as e:
            raise _unauthorized("token_invalid", "the access token is not valid") from e
        sub, sid = decoded.claims["sub"], decoded.claims["sid"]
        if not isinstance(sid, str) or not sid:
            raise _unauthorized("token_invalid", "the access token is not valid")
        return str(sub), sid

    def authenticate(self, authorization: str | None, allow_inactive: bool = False) -> Caller:
        try:
            return self._authenticate(authorization, allow_inactive)
        except Problem as e:
            self.auth_failures.labels(e.code).inc()
            raise

    def _authenticate(self, authorization: str | None, allow_inactive: bool) -> Caller:
        if not authorization:
            raise _unauthorized("token_missing", "an Authorization: Bearer token is required")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorized("token_missing", "an Authorization: Bearer token is required")
        sub, sid = self._verify(token.strip())
        status = self.iam.session_status(sid, sub)
        if status != "active":
            if allow_inactive:
                return Caller(sub, sid, status)
            raise _unauthorized(f"session_{status}", f"the token's session is {status}")
        user = self.iam.state.users[sub]
        return Caller(sub, sid, status, frozenset(self.iam.effective_rights(user)))

    # -- rights ------------------------------------------------------------------------------

    def principal_rights(
        self, authorization: str | None, principal_id: str, session_id: str | None
    ) -> dict[str, Any]:
        if not session_id:
            raise Problem(
                422, "invalid_request", "Invalid request", "query parameter session_id is required"
            )
        caller = self.authenticate(authorization, allow_inactive=True)
        is_self = caller.principal_id == principal_id
        if caller.session_status != "active":
            # The control plane forwards its caller's token: a revoked caller learns that
            # its own session is revoked (200), anything else is an ordinary 401.
            if not (is_self and caller.session_id == session_id):
                self.auth_failures.labels(f"session_{caller.session_status}").inc()
                raise _unauthorized(
                    f"session_{caller.session_status}",
                    f"the token's session is {caller.session_status}",
                )
            return {
                "principal_id": principal_id,
                "session_id": session_id,
                "session_status": caller.session_status,
                "rights": [],
            }
        if not is_self:
            caller.require(RIGHT_IAM_READ)
        user = self.iam.state.users.get(principal_id)
        if user is None:
            raise Problem(404, "principal_not_found", "Not found", f"no principal '{principal_id}'")
        status = self.iam.session_status(session_id, principal_id)
        return {
            "principal_id": principal_id,
            "session_id": session_id,
            "session_status": status,
            "rights": self.iam.effective_rights(user) if status == "active" else [],
        }

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
            raise Problem(
                422, "invalid_request", "Invalid request body", "name must be 1-200 chars"
            )

    def list_users(self) -> dict[str, Any]:
        users = sorted(self.iam.state.users.values(), key=lambda u: u.id)
        return {"items": msgspec.to_builtins(users)}

    def get_user(self, user_id: str) -> Any:
        return msgspec.to_builtins(self._user(user_id))

    def create_user(self, body: UserCreate) -> Any:
        if not _PRINCIPAL_ID.fullmatch(body.id):
            raise Problem(
                422,
                "invalid_request",
                "Invalid request body",
                "id must match ^[a-z0-9][a-z0-9._-]{0,63}$",
            )
        self._check_name(body.name)
        self._check_roles(body.roles)
        if body.id in self.iam.state.users:
            raise Problem(409, "user_exists", "Conflict", f"user '{body.id}' already exists")
        now = unix_now()
        user = User(body.id, body.name, sorted(set(body.roles)), False, now, now)
        self.iam.state.users[user.id] = user
        self.iam.save()
        return msgspec.to_builtins(user)

    def update_user(self, caller: Caller, user_id: str, body: UserUpdate) -> Any:
        user = self._user(user_id)
        if not isinstance(body.name, msgspec.UnsetType):
            self._check_name(body.name)
            user.name = body.name
        if not isinstance(body.roles, msgspec.UnsetType):
            self._check_roles(body.roles)
            user.roles = sorted(set(body.roles))
        if not isinstance(body.disabled, msgspec.UnsetType):
            if body.disabled and user_id == caller.principal_id:
                raise Problem(409, "self_lockout", "Conflict", "a principal cannot disable itself")
            user.disabled = body.disabled
            if body.disabled:
                self.iam.revoke_sessions_of(user_id)
        user.updated_at = unix_now()
        self.iam.save()
        return msgspec.to_builtins(user)

    def delete_user(self, caller: Caller, user_id: str) -> None:
        self._user(user_id)
        if user_id == caller.principal_id:
            raise Problem(409, "self_lockout", "Conflict", "a principal cannot delete itself")
        del self.iam.state.users[user_id]
        self.iam.revoke_sessions_of(user_id)
        self.iam.save()

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
            self.iam.save()
        return self._view(session)

    # -- roles -------------------------------------------------------------------------------

    def list_roles(self) -> dict[str, Any]:
        roles = sorted(self.iam.state.roles.values(), key=lambda r: r.name)
        return {"items": msgspec.to_builtins(roles)}

    def get_role(self, name: str) -> Any:
        role = self.iam.state.roles.get(name)
        if role is None:
            raise Problem(404, "role_not_found", "Not found", f"no role '{name}'")
        return msgspec.to_builtins(role)

    def put_role(self, name: str, body: RolePut) -> tuple[Any, bool]:
        if not _ROLE_NAME.fullmatch(name):
            raise Problem(
                422,
                "invalid_request",
                "Invalid role name",
                "role name must match ^[a-z0-9][a-z0-9._-]{0,63}$",
            )
        bad = sorted(r for r in body.rights if not _RIGHT.fullmatch(r))
        if bad:
            raise Problem(422, "invalid_right", "Invalid right", f"malformed rights: {bad}")
        existing = self.iam.state.roles.get(name)
        description = (
            body.description
            if not isinstance(body.description, msgspec.UnsetType)
            else (existing.description if existing else "")
        )
        role = Role(name, sorted(set(body.rights)), description)
        self.iam.state.roles[name] = role
        self.iam.save()
        return msgspec.to_builtins(role), existing is None

    def rotate_keys(self, body: KeyRotation) -> dict[str, Any]:
        published = self.keys.rotate(body.retire_previous)
        return {"current_kid": self.keys.current_kid, "published_kids": published}
