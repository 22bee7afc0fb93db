"""The simulated Gateway's core, independent of HTTP routing: token minting (dev login, and for
`signin`), token verification and authentication, and rights lookups with their tenant scope.
The IAM operations are `iam_ops`, password and SSO sign-in `signin`."""

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.errors import ClaimError, ExpiredTokenError, JoseError
from joserfc.jwt import JWTClaimsRegistry
from prometheus_client import Counter

from cloudlysis_devfleet.common import Problem, ServiceKit
from cloudlysis_devfleet.gateway.config import SERVICE, GatewayConfig
from cloudlysis_devfleet.gateway.iam_state import (
    RIGHT_IAM_READ,
    IamStore,
    Session,
    SessionMethod,
    SessionStatus,
    User,
    unix_now,
)
from cloudlysis_devfleet.gateway.keys import JWT_ALG, KeyStore
from cloudlysis_devfleet.gateway.schemas import DevLoginRequest, KeyRotation
from cloudlysis_devfleet.gateway.secrets import SignInLimiter

_WWW_AUTHENTICATE = "WWW-Authenticate"


def unauthorized(code: str, detail: str) -> Problem:
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
        self.sign_in_limiter = SignInLimiter(config.login_max_failures, config.login_window_s)

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
        session = self.new_session(user, ttl, "dev")
        return self.token_answer(user, session, ttl)

    def new_session(self, user: User, ttl_s: int, method: SessionMethod) -> Session:
        now = unix_now()
        session = Session(
            id=f"ses_{uuid.uuid4().hex}",
            principal_id=user.id,
            created_at=now,
            expires_at=now + ttl_s,
            method=method,
        )
        self.iam.state.sessions[session.id] = session
        self.iam.save()
        return session

    def mint(self, user: User, session: Session, ttl_s: int, **claims: Any) -> tuple[str, int]:
        """An access token of `session`, valid `ttl_s` but never past the session's end."""
        now = unix_now()
        exp = min(now + ttl_s, session.expires_at)
        payload = {
            "iss": self.config.issuer,
            "aud": self.config.audience,
            "sub": user.id,
            "sid": session.id,
            "iat": now,
            "nbf": now,
            "exp": exp,
            "name": user.name,
            **claims,
        }
        header = {"alg": JWT_ALG, "kid": self.keys.current_kid, "typ": "JWT"}
        return jwt.encode(header, payload, self.keys.signing_key, algorithms=[JWT_ALG]), exp

    def token_answer(self, user: User, session: Session, ttl_s: int) -> dict[str, Any]:
        token, exp = self.mint(user, session, ttl_s)
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_at": exp,
            "session_id": session.id,
            "principal_id": user.id,
        }

    def _verify(self, token: str) -> tuple[str, str]:
        try:
            decoded = jwt.decode(token, self.keys.verification_keys, algorithms=[JWT_ALG])
            if not decoded.header.get("kid"):
                raise unauthorized("token_invalid", "token header has no kid")
            JWTClaimsRegistry(
                iss={"essential": True, "value": self.config.issuer},
                aud={"essential": True, "value": self.config.audience},
                sub={"essential": True},
                sid={"essential": True},
                exp={"essential": True},
                iat={"essential": True},
            ).validate(decoded.claims)
        except ExpiredTokenError as e:
            raise unauthorized("token_expired", "the access token has expired") from e
        except (ClaimError, JoseError, ValueError) as e:
            raise unauthorized("token_invalid", "the access token is not valid") from e
        sub, sid = decoded.claims["sub"], decoded.claims["sid"]
        if not isinstance(sid, str) or not sid:
            raise unauthorized("token_invalid", "the access token is not valid")
        return str(sub), sid

    def authenticate(self, authorization: str | None, allow_inactive: bool = False) -> Caller:
        try:
            return self._authenticate(authorization, allow_inactive)
        except Problem as e:
            self.auth_failures.labels(e.code).inc()
            raise

    def _authenticate(self, authorization: str | None, allow_inactive: bool) -> Caller:
        if not authorization:
            raise unauthorized("token_missing", "an Authorization: Bearer token is required")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized("token_missing", "an Authorization: Bearer token is required")
        sub, sid = self._verify(token.strip())
        status = self.iam.session_status(sid, sub)
        if status != "active":
            if allow_inactive:
                return Caller(sub, sid, status)
            raise unauthorized(f"session_{status}", f"the token's session is {status}")
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
                raise unauthorized(
                    f"session_{caller.session_status}",
                    f"the token's session is {caller.session_status}",
                )
            return {
                "principal_id": principal_id,
                "session_id": session_id,
                "session_status": caller.session_status,
                "rights": [],
                "tenant_rights": {},
            }
        if not is_self:
            caller.require(RIGHT_IAM_READ)
        user = self.iam.state.users.get(principal_id)
        if user is None:
            raise Problem(404, "principal_not_found", "Not found", f"no principal '{principal_id}'")
        status = self.iam.session_status(session_id, principal_id)
        grants = self.iam.grants(user)
        active = status == "active"
        return {
            "principal_id": principal_id,
            "session_id": session_id,
            "session_status": status,
            "rights": sorted(grants.platform) if active else [],
            "tenant_rights": (
                {r: sorted(t) for r, t in sorted(grants.tenants.items())} if active else {}
            ),
        }

    def rotate_keys(self, body: KeyRotation) -> dict[str, Any]:
        published = self.keys.rotate(body.retire_previous)
        return {"current_kid": self.keys.current_kid, "published_kids": published}
