"""Tokens signed like the Gateway's (HS256 test secret) and an in-memory rights source."""

from __future__ import annotations

import time
from typing import Any

from joserfc import jwt
from joserfc.jwk import OctKey

from cloudlysis_control.auth.principal import RIGHTS
from cloudlysis_control.auth.rights import SessionRights

SECRET = b"s" * 48
ISSUER = "cloudlysis-gateway"
AUDIENCE = "cloudlysis-control"
ALL_RIGHTS = frozenset(RIGHTS)
VIEWER_RIGHTS = frozenset(r for r in RIGHTS if r.endswith(".read") or r == "control.access")


class FakeRights:
    """In-memory stand-in for the Gateway IAM rights lookup."""

    def __init__(self) -> None:
        self.by_sub: dict[str, frozenset[str]] = {
            "admin": ALL_RIGHTS,
            "viewer": VIEWER_RIGHTS,
            "nobody": frozenset(),
        }
        self.revoked: set[str] = set()
        self.calls = 0

    async def lookup(self, authorization: str, sub: str, sid: str) -> SessionRights:
        self.calls += 1
        if sid in self.revoked:
            return SessionRights("revoked", frozenset())
        return SessionRights("active", self.by_sub.get(sub, frozenset()))


# An hour: modules mint their tokens at import, and a whole run on a busy machine takes longer
# than the ten minutes these once lived (every test of a late module then got 401).
def make_token(sub: str = "admin", sid: str | None = None, ttl: int = 3600, **claims: Any) -> str:
    now = int(time.time())
    payload = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": sub,
        "sid": sid or f"s-{sub}",
        "iat": now,
        "nbf": now,
        "exp": now + ttl,
        **claims,
    }
    return jwt.encode({"alg": "HS256"}, payload, OctKey.import_key(SECRET))


def bearer(sub: str = "admin", **kw: Any) -> dict[str, str]:
    return {"authorization": f"Bearer {make_token(sub, **kw)}"}
