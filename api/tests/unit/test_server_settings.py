"""CONTROL_SERVER and CONTROL_WORKERS (issue 19): defaults, bounds, and the embedded nats-server
that several workers cannot share."""

from __future__ import annotations

import pytest

from cloudlysis_control.core.errors import SettingsError
from cloudlysis_control.core.settings import Settings


def test_defaults_are_granian_and_one_worker() -> None:
    server = Settings.from_env({}).server
    assert (server.asgi_server, server.workers) == ("granian", 1)
    assert server.gc_gen0_threshold == 10_000


def test_the_gc_threshold_is_read() -> None:
    env = {"CONTROL_GC_GEN0_THRESHOLD": "50000"}
    assert Settings.from_env(env).server.gc_gen0_threshold == 50_000


def test_uvicorn_and_several_workers_with_a_nats_url() -> None:
    server = Settings.from_env(
        {"CONTROL_SERVER": "uvicorn", "CONTROL_WORKERS": "3", "CONTROL_NATS_URL": "nats://n:4222"}
    ).server
    assert (server.asgi_server, server.workers) == ("uvicorn", 3)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"CONTROL_SERVER": "hypercorn"}, "CONTROL_SERVER"),
        ({"CONTROL_WORKERS": "0"}, "CONTROL_WORKERS"),
        ({"CONTROL_WORKERS": "65", "CONTROL_NATS_URL": "nats://n:4222"}, "CONTROL_WORKERS"),
        ({"CONTROL_WORKERS": "2"}, "CONTROL_NATS_URL"),  # each would start its own nats-server
        ({"CONTROL_GC_GEN0_THRESHOLD": "699"}, "CONTROL_GC_GEN0_THRESHOLD"),  # below Python's
        ({"CONTROL_GC_GEN0_THRESHOLD": "1000001"}, "CONTROL_GC_GEN0_THRESHOLD"),
        ({"CONTROL_GC_GEN0_THRESHOLD": "lots"}, "CONTROL_GC_GEN0_THRESHOLD"),
    ],
)
def test_invalid_server_settings_are_refused(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        Settings.from_env(env)
