"""CONTROL_FLAGS_SEED_FILE: the `flags` document written on first start when none is stored (the
demo's short playbook windows), never over a stored one; an invalid file stops the start. On a
nats-server of its own: the flags it writes are seen by no other test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from cloudlysis_control.bootstrap.app import create_app
from cloudlysis_control.core.errors import SettingsError
from tests.support.auth import FakeRights, bearer
from tests.support.settings import app_settings

pytestmark = pytest.mark.integration


async def stored_flags(nats_url: str, secret_file: Path, tmp_path: Path, seed: Path) -> dict:  # type: ignore[type-arg]
    app = create_app(
        app_settings(nats_url, secret_file, tmp_path, CONTROL_FLAGS_SEED_FILE=str(seed)),
        rights_source=FakeRights(),
    )
    async with AsyncTestClient(app=app) as client:
        r = await client.get("/admin/v1/config/flags/control", headers=bearer())
        assert r.status_code == 200, r.text
        value: dict = r.json()["value"]  # type: ignore[type-arg]
        return value


async def test_the_seed_is_written_once_and_never_over_a_stored_document(
    own_nats: str, secret_file: Path, tmp_path: Path
) -> None:
    first = tmp_path / "first.json"
    first.write_text(json.dumps({"schema_version": 1, "playbook_window_s": 10}))
    assert (await stored_flags(own_nats, secret_file, tmp_path / "a", first))[
        "playbook_window_s"
    ] == 10
    second = tmp_path / "second.json"
    second.write_text(json.dumps({"schema_version": 1, "playbook_window_s": 99}))
    assert (await stored_flags(own_nats, secret_file, tmp_path / "b", second))[
        "playbook_window_s"
    ] == 10


async def test_an_invalid_seed_stops_the_start(
    own_nats: str, secret_file: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"schema_version": 1, "playbook_window_s": 1}))
    with pytest.raises(BaseExceptionGroup) as raised:  # the lifespan wraps it
        await stored_flags(own_nats, secret_file, tmp_path, bad)
    errors = [raised.value]
    while isinstance(errors[-1], BaseExceptionGroup):
        errors.append(errors[-1].exceptions[0])
    assert isinstance(errors[-1], SettingsError), errors
    assert "CONTROL_FLAGS_SEED_FILE is invalid" in str(errors[-1])
    assert "playbook_window_s" in str(errors[-1])
