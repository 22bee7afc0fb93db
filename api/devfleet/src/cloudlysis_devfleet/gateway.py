"""Simulated Cloudlysis Gateway: token minting, JWKS and the IAM API.

Implements ``docs/contracts/gateway-iam.md`` for the demo and end-to-end tests. The signing keys
and IAM state (users, roles, sessions) live in ``GatewayConfig.data_dir``, so a restarted
simulator keeps accepting the tokens it issued before.

Simulator-only endpoints (not part of the contract) live under ``/_devfleet/``:
``POST /_devfleet/switches`` (see ``common``) and ``POST /_devfleet/keys/rotate``.
"""

import os
import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import msgspec
from joserfc import jwt
from joserfc.errors import ClaimError, ExpiredTokenError, JoseError
from joserfc.jwk import KeySet, OKPKey
from joserfc.jwt import JWTClaimsRegistry
from litestar import Litestar, Request, Response, delete, get, patch, post, put
from litestar.handlers import BaseRouteHandler
from litestar.params import FromPath
from prometheus_client import Counter

from cloudlysis_devfleet.common import (
    Problem,
    ServiceKit,
    build_service_app,
    decode_body,
    json_response,
)
from cloudlysis_devfleet.routing import GatewayRouting

SERVICE = "gateway"
JWT_ALG = "Ed25519"
KEYS_FILE = "signing-keys.json"
STATE_FILE = "iam-state.json"
# Previous keys stay published after a rotation so tokens they signed keep verifying.
MAX_PUBLISHED_PREVIOUS_KEYS = 2
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

_PRINCIPAL_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_ROLE_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_RIGHT = re.compile(r"^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)+$")

S = TypeVar("S")
SessionStatus = Literal["active", "revoked", "expired", "unknown"]


@dataclass(frozen=True)
class GatewayConfig:
    data_dir: Path
    issuer: str = "cloudlysis-gateway"
    audience: str = "cloudlysis-control"
    token_ttl_s: int = 3600
    dev_login_enabled: bool = True
    version: str = "0.0.0-devfleet"
    git_sha: str = "devfleet"
    # NATS with the placement bucket: enables routing (reload, resolve). None: IAM only.
    nats_url: str | None = None

    def __post_init__(self) -> None:
        if self.token_ttl_s < 1:
            raise ValueError("token_ttl_s must be at least 1 second")


# ---------------------------------------------------------------------------------------------
# Persisted state
# ---------------------------------------------------------------------------------------------


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


class SigningKeys(msgspec.Struct):
    current_kid: str
    keys: list[dict[str, Any]]


def _now() -> int:
    return int(time.time())


def _write_private(path: Path, data: bytes) -> None:
    """Write atomically, readable by the owner only (the keys file holds private keys)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _load(path: Path, model: type[S]) -> S:
    try:
        return msgspec.json.decode(path.read_bytes(), type=model)
    except msgspec.MsgspecError as e:
        raise RuntimeError(f"{path} is corrupt ({e}); remove it to start from a fresh state") from e


def _seed_state() -> IamState:
    now = _now()
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


class KeyStore:
    """Ed25519 signing keys, generated on first start and kept in the data dir."""

    def __init__(self, data_dir: Path) -> None:
        self._path = data_dir / KEYS_FILE
        if self._path.exists():
            self._keys = _load(self._path, SigningKeys)
        else:
            key = self._generate()
            self._keys = SigningKeys(current_kid=key.kid or "", keys=[key.as_dict(private=True)])
            self._save()
        self._reload()

    @staticmethod
    def _generate() -> OKPKey:
        key = OKPKey.generate_key("Ed25519")
        # The RFC 7638 thumbprint makes a stable, collision-free kid.
        return OKPKey.import_key(
            key.as_dict(private=True), parameters={"kid": key.thumbprint(), "use": "sig"}
        )

    def _save(self) -> None:
        _write_private(self._path, msgspec.json.encode(self._keys))

    def _reload(self) -> None:
        imported = [OKPKey.import_key(k) for k in self._keys.keys]
        current = [k for k in imported if k.kid == self._keys.current_kid]
        if not current:
            raise RuntimeError(f"{self._path} names a current key it does not hold")
        self.signing_key = current[0]
        self.verification_keys = KeySet(
            [OKPKey.import_key(k.as_dict(private=False)) for k in imported]
        )

    @property
    def current_kid(self) -> str:
        return self._keys.current_kid

    def jwks(self) -> dict[str, Any]:
        keys = []
        for key in self._keys.keys:
            public = OKPKey.import_key(key).as_dict(private=False)
            keys.append({**public, "use": "sig", "alg": JWT_ALG})
        return {"keys": keys}

    def rotate(self, retire_previous: bool) -> list[str]:
        key = self._generate()
        previous = [] if retire_previous else self._keys.keys[-MAX_PUBLISHED_PREVIOUS_KEYS:]
        self._keys = SigningKeys(
            current_kid=key.kid or "", keys=[*previous, key.as_dict(private=True)]
        )
        self._save()
        self._reload()
        return [str(k["kid"]) for k in self._keys.keys]


class IamStore:
    """Users, roles and sessions, persisted as one JSON document after every change."""

    def __init__(self, data_dir: Path) -> None:
        self._path = data_dir / STATE_FILE
        if self._path.exists():
            self.state = _load(self._path, IamState)
        else:
            self.state = _seed_state()
            self.save()

    def save(self) -> None:
        # Handlers run on the event loop thread, so state changes and saves never interleave.
        cutoff = _now() - SESSION_RETENTION_S
        self.state.sessions = {
            sid: s for sid, s in self.state.sessions.items() if s.expires_at > cutoff
        }
        _write_private(self._path, msgspec.json.encode(self.state))

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
        return session.status(_now())

    def revoke_sessions_of(self, principal_id: str) -> None:
        now = _now()
        for session in self.state.sessions.values():
            if session.principal_id == principal_id and session.revoked_at is None:
                session.revoked_at = now


# ---------------------------------------------------------------------------------------------
# Wire shapes
# ---------------------------------------------------------------------------------------------


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


def _session_view(session: Session, status: SessionStatus) -> dict[str, Any]:
    return {
        "id": session.id,
        "principal_id": session.principal_id,
        "status": status,
        "created_at": session.created_at,
        "expires_at": session.expires_at,
        "revoked_at": session.revoked_at,
    }


# ---------------------------------------------------------------------------------------------
# Authentication and authorization
# ---------------------------------------------------------------------------------------------

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
        now = _now()
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
        now = _now()
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
        user.updated_at = _now()
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
        return _session_view(session, self.iam.session_status(session.id, session.principal_id))

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
            session.revoked_at = _now()
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


# ---------------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------------

AnyRequest = Request[Any, Any, Any]


def _auth_header(request: AnyRequest) -> str | None:
    return request.headers.get("authorization")


def _gateway_handlers(gw: Gateway) -> list[BaseRouteHandler]:
    handlers: list[BaseRouteHandler] = []

    @get("/.well-known/jwks.json", operation_id="GetJwks", sync_to_thread=False)
    def jwks() -> Response[bytes]:
        response = json_response(gw.keys.jwks())
        response.headers["cache-control"] = "public, max-age=300"
        return response

    @post("/auth/v1/dev-login", operation_id="DevLogin", status_code=200)
    async def dev_login(request: AnyRequest) -> Response[bytes]:
        return json_response(gw.dev_login(decode_body(await request.body(), DevLoginRequest)))

    handlers.append(jwks)
    if gw.config.dev_login_enabled:
        handlers.append(dev_login)

    @get(
        "/iam/v1/principals/{principal_id:str}/rights",
        operation_id="GetPrincipalRights",
        sync_to_thread=False,
    )
    def rights(request: AnyRequest, principal_id: FromPath[str]) -> Response[bytes]:
        session_id = request.query_params.get("session_id")
        return json_response(gw.principal_rights(_auth_header(request), principal_id, session_id))

    def reader(request: AnyRequest) -> Caller:
        caller = gw.authenticate(_auth_header(request))
        caller.require(RIGHT_IAM_READ)
        return caller

    def writer(request: AnyRequest) -> Caller:
        caller = gw.authenticate(_auth_header(request))
        caller.require(RIGHT_IAM_WRITE)
        return caller

    @get("/iam/v1/users", operation_id="ListUsers", sync_to_thread=False)
    def list_users(request: AnyRequest) -> Response[bytes]:
        reader(request)
        return json_response(gw.list_users())

    @post("/iam/v1/users", operation_id="CreateUser", status_code=201)
    async def create_user(request: AnyRequest) -> Response[bytes]:
        writer(request)
        body = decode_body(await request.body(), UserCreate)
        return json_response(gw.create_user(body), status=201)

    @get("/iam/v1/users/{user_id:str}", operation_id="GetUser", sync_to_thread=False)
    def get_user(request: AnyRequest, user_id: FromPath[str]) -> Response[bytes]:
        reader(request)
        return json_response(gw.get_user(user_id))

    @patch("/iam/v1/users/{user_id:str}", operation_id="UpdateUser")
    async def update_user(request: AnyRequest, user_id: FromPath[str]) -> Response[bytes]:
        caller = writer(request)
        body = decode_body(await request.body(), UserUpdate)
        return json_response(gw.update_user(caller, user_id, body))

    @delete("/iam/v1/users/{user_id:str}", operation_id="DeleteUser", status_code=204)
    async def delete_user(request: AnyRequest, user_id: FromPath[str]) -> None:
        gw.delete_user(writer(request), user_id)

    @get("/iam/v1/sessions", operation_id="ListSessions", sync_to_thread=False)
    def list_sessions(request: AnyRequest) -> Response[bytes]:
        reader(request)
        return json_response(gw.list_sessions(request.query_params.get("principal_id")))

    @get("/iam/v1/sessions/{session_id:str}", operation_id="GetSession", sync_to_thread=False)
    def get_session(request: AnyRequest, session_id: FromPath[str]) -> Response[bytes]:
        reader(request)
        return json_response(gw.get_session(session_id))

    @post("/iam/v1/sessions/{session_id:str}/revoke", operation_id="RevokeSession", status_code=200)
    async def revoke_session(request: AnyRequest, session_id: FromPath[str]) -> Response[bytes]:
        caller = gw.authenticate(_auth_header(request))
        return json_response(gw.revoke_session(caller, session_id))

    @get("/iam/v1/roles", operation_id="ListRoles", sync_to_thread=False)
    def list_roles(request: AnyRequest) -> Response[bytes]:
        reader(request)
        return json_response(gw.list_roles())

    @get("/iam/v1/roles/{name:str}", operation_id="GetRole", sync_to_thread=False)
    def get_role(request: AnyRequest, name: FromPath[str]) -> Response[bytes]:
        reader(request)
        return json_response(gw.get_role(name))

    @put("/iam/v1/roles/{name:str}", operation_id="PutRole")
    async def put_role(request: AnyRequest, name: FromPath[str]) -> Response[bytes]:
        writer(request)
        body = decode_body(await request.body(), RolePut)
        role, created = gw.put_role(name, body)
        return json_response(role, status=201 if created else 200)

    @post("/_devfleet/keys/rotate", operation_id="RotateDevfleetKeys", status_code=200)
    async def rotate_keys(request: AnyRequest) -> Response[bytes]:
        raw = await request.body()
        return json_response(gw.rotate_keys(decode_body(raw or b"{}", KeyRotation)))

    handlers += [
        rights,
        list_users,
        create_user,
        get_user,
        update_user,
        delete_user,
        list_sessions,
        get_session,
        revoke_session,
        list_roles,
        get_role,
        put_role,
        rotate_keys,
    ]
    return handlers


def _routing_handlers(routing: GatewayRouting) -> list[BaseRouteHandler]:
    @post("/admin/v1/config/reload", operation_id="ReloadGatewayConfig", status_code=200)
    async def reload() -> Response[bytes]:
        return json_response(await routing.reload())

    @get("/admin/routing/resolve", operation_id="ResolveRoute", sync_to_thread=False)
    def resolve(request: AnyRequest) -> Response[bytes]:
        q = request.query_params
        return json_response(routing.resolve(q.get("tenant"), q.get("kind")))

    return [reload, resolve]


def create_gateway_app(config: GatewayConfig) -> Litestar:
    """A simulated Gateway serving ``docs/contracts/gateway-iam.md`` from ``config.data_dir``,
    and routing (reload, resolve) from the placement bucket when ``config.nats_url`` is set."""
    kit = ServiceKit(SERVICE, config.version, config.git_sha)
    gateway = Gateway(config, kit)
    handlers = _gateway_handlers(gateway)
    lifespan = []
    routing = GatewayRouting(config.nats_url) if config.nats_url else None
    if routing is not None:
        handlers += _routing_handlers(routing)

        @asynccontextmanager
        async def run_routing(_app: Litestar) -> AsyncIterator[None]:
            await routing.start()
            try:
                yield
            finally:
                await routing.stop()

        lifespan.append(run_routing)
    app = build_service_app(kit, handlers, lifespan=lifespan)
    app.state.gateway = gateway
    app.state.routing = routing
    app.state.kit = kit
    return app
