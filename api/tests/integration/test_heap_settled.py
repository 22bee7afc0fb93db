"""A serving app settles its heap once started (core/heap.py, issue 19): one collection,
gc.freeze() of what survived, the configured young-generation threshold. An app built without
`serving` (tests, tools) leaves the collector alone."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudlysis_control.bootstrap.app import create_app
from tests.support.asgi import lifespan
from tests.support.auth import FakeRights
from tests.support.settings import app_settings

pytestmark = pytest.mark.integration


@pytest.fixture
def collector() -> Iterator[None]:
    """The collector as the test found it, restored after (a frozen heap is unfrozen)."""
    threshold = gc.get_threshold()
    gc.unfreeze()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


async def test_a_serving_app_freezes_its_started_heap_and_raises_the_threshold(
    collector: None, nats_url: str, secret_file: Path, tmp_path: Path
) -> None:
    settings = app_settings(nats_url, secret_file, tmp_path, CONTROL_GC_GEN0_THRESHOLD="25000")
    app = create_app(settings, rights_source=FakeRights(), serving=True)
    assert gc.get_freeze_count() == 0
    async with lifespan(app):
        frozen = gc.get_freeze_count()
        threshold = gc.get_threshold()
    # The app's own objects (its route table, among others) are in the permanent generation.
    assert frozen > 10_000, frozen
    assert threshold[0] == 25_000
    assert threshold[1:] == gc.get_threshold()[1:]


async def test_an_app_built_in_process_leaves_the_collector_alone(
    collector: None, nats_url: str, secret_file: Path, tmp_path: Path
) -> None:
    before = gc.get_threshold()
    app = create_app(app_settings(nats_url, secret_file, tmp_path), rights_source=FakeRights())
    async with lifespan(app):
        assert gc.get_freeze_count() == 0
        assert gc.get_threshold() == before
