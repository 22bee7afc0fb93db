"""The Swarm cache against the real Docker engine (gated on CONTROL_TEST_DOCKER=1; see
test_swarm_engine.py): changes made with the docker CLI (create, scale, env-add, remove) become
visible through SwarmView, answered from memory, because the engine's events say so. Each delay
(CLI returned → visible) is printed; the only bound is a generous deadline (no timing assertion).

Run: `scripts/docker-up.sh`, then
`cd api && CONTROL_TEST_DOCKER=1 uv run pytest -q -s tests/swarm/test_swarm_cache_engine.py`.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from cloudlysis_control.adapters.docker.engine import DockerEngine
from cloudlysis_control.swarm.cache import SwarmCache
from cloudlysis_control.swarm.service import SwarmView
from tests.support.swarm import TEST_IMAGE, docker, ensure_test_images

pytestmark = [
    pytest.mark.docker,
    pytest.mark.skipif(
        os.environ.get("CONTROL_TEST_DOCKER") != "1",
        reason="needs a Docker swarm manager: set CONTROL_TEST_DOCKER=1",
    ),
]

DEADLINE_S = 30.0


@pytest.fixture
def name() -> Iterator[str]:
    ensure_test_images()
    name = f"cstest-cache-{uuid.uuid4().hex[:8]}"
    try:
        yield name
    finally:
        docker("service", "rm", name, check=False)


@pytest.fixture
async def cached() -> AsyncIterator[tuple[SwarmCache, SwarmView]]:
    engine = DockerEngine("unix:///var/run/docker.sock", None)
    # intervals far longer than the test: whatever becomes visible came from an event
    cache = SwarmCache(engine, tasks_interval_s=300, resync_interval_s=3600, stale_after_s=600)
    await cache.start()
    try:
        await asyncio.wait_for(cache.ready.wait(), 30)
        yield cache, SwarmView(engine, cache)
    finally:
        await cache.stop()
        await engine.close()


async def _visible(what: str, check: Callable[[], Any]) -> float:
    """Seconds from now until `check()` (awaited) is truthy; fails after DEADLINE_S."""
    started = time.perf_counter()
    while time.perf_counter() - started < DEADLINE_S:
        if await check():
            delay = time.perf_counter() - started
            print(f"swarm cache: {what} visible {delay * 1000:.0f} ms after the CLI returned")
            return delay
        await asyncio.sleep(0.005)
    raise AssertionError(f"{what}: not visible through the cache within {DEADLINE_S} s")


def _env(raw: dict[str, Any]) -> list[str]:
    return list(
        ((raw["Spec"].get("TaskTemplate") or {}).get("ContainerSpec") or {}).get("Env") or []
    )


async def test_cli_changes_become_visible_from_the_event_stream(
    cached: tuple[SwarmCache, SwarmView], name: str
) -> None:
    cache, view = cached
    full_reads = cache.full_reads

    async def listed() -> dict[str, Any]:
        return {s.service: s for s in (await view.list_services()).items}

    assert name not in await listed()
    docker("service", "create", "-d", "-q", "--name", name, "--replicas", "0",
           "--label", "cloudlysis.kind=runner", f"{TEST_IMAGE}:v1")  # fmt: skip

    async def created() -> bool:
        s = (await listed()).get(name)
        return s is not None and s.replicas_desired == 0

    await _visible("service create", created)

    docker("service", "update", "-d", "-q", "--replicas", "1", name)

    async def scaled() -> bool:
        s = (await listed()).get(name)
        return s is not None and s.replicas_desired == 1

    await _visible("service update --replicas 1", scaled)

    docker("service", "update", "-d", "-q", "--env-add", "CACHE_PROBE=1", name)

    async def env_added() -> bool:
        observed = await view.observe()
        mine = [s for s in observed.services if s["Spec"]["Name"] == name]
        return bool(mine) and "CACHE_PROBE=1" in _env(mine[0]) and not observed.stale

    await _visible("service update --env-add", env_added)
    one = await view.get_service(name)
    assert one.replicas_desired == 1 and one.image_tag == "v1"

    docker("service", "rm", name)

    async def removed() -> bool:
        return name not in await listed()

    await _visible("service rm", removed)
    # every change came through the events: no full read happened meanwhile
    assert cache.full_reads == full_reads
    assert not (await view.list_services()).stale
