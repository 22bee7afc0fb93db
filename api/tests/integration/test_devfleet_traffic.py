"""The demo's tenant traffic: the generator's requests go through the Gateway's routed
`/v1/tenants/{tenant}/{kind}/work` to the tenant's shard, and both sides record them in the
contract's metrics (Gateway tenant and upstream series, the instances' HTTP series); one tenant
is noisy; an instance running a marked bad build turns part of them into 5xx at the Gateway."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from cloudlysis_devfleet.traffic import TrafficGenerator, TrafficShape
from cloudlysis_devfleet.world import RELEASES
from prometheus_client.parser import text_string_to_metric_families

from tests.support.ops import devfleet_world
from tests.support.wait import eventually

TENANTS = ["acme", "globex", "hooli", "initech", "umbrella", "wonka"]


@contextlib.asynccontextmanager
async def running(generator: TrafficGenerator) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(generator.run(stop))
    try:
        yield
    finally:
        stop.set()
        await task


async def samples(url: str, name: str) -> list[tuple[dict[str, str], float]]:
    async with httpx.AsyncClient() as c:
        text = (await c.get(f"{url}/metrics")).text
    return [
        (s.labels, s.value)
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name == name
    ]


async def test_traffic_reaches_the_shards_through_the_gateway_with_one_noisy_tenant(
    tmp_path: Path,
) -> None:
    async with devfleet_world(tmp_path) as world:
        generator = TrafficGenerator(world.gateway_url, TENANTS, TrafficShape(rps=60))
        async with running(generator):
            await eventually(lambda: _at_least(generator, 120), 30)
        assert generator.statuses.get(202, 0) >= 0.95 * sum(generator.statuses.values())
        by_tenant: dict[str, float] = {}
        for labels, value in await samples(world.gateway_url, "gateway_tenant_requests_total"):
            by_tenant[labels["tenant"]] = by_tenant.get(labels["tenant"], 0) + value
        assert max(by_tenant, key=lambda t: by_tenant[t]) == generator.noisy
        upstream = await samples(world.gateway_url, "gateway_upstream_requests_total")
        assert {labels["upstream"] for labels, _ in upstream} == {
            "aggregate",
            "projection",
            "runner",
        }
        work = [
            (labels, value)
            for labels, value in await samples(
                world.instances["aggregate-1"].url, "aggregate_http_requests_total"
            )
            if labels["route"].startswith("/v1/")
        ]
        assert sum(v for _, v in work) > 0


async def test_a_bad_build_behind_the_gateway_shows_as_5xx_there(tmp_path: Path) -> None:
    async with devfleet_world(tmp_path) as world:
        # Every tenant routes to aggregate-1 (the default shard); it runs a marked bad build.
        async with httpx.AsyncClient() as c:
            r = await c.post(
                f"{world.instances['aggregate-1'].url}/_devfleet/switches",
                json={"version": RELEASES["aggregate"].bad},
            )
            assert r.status_code == 200, r.text
        generator = TrafficGenerator(world.gateway_url, TENANTS, TrafficShape(rps=60))
        async with running(generator):
            await eventually(lambda: _at_least(generator, 120), 30)
        failed = [
            value
            for labels, value in await samples(world.gateway_url, "gateway_upstream_requests_total")
            if labels == {"upstream": "aggregate", "outcome": "error"}
        ]
        assert failed and failed[0] > 0
        fivexx = [
            value
            for labels, value in await samples(world.gateway_url, "gateway_tenant_requests_total")
            if labels["status_class"] == "5xx"
        ]
        assert sum(fivexx) > 0
        assert generator.statuses.get(502, 0) > 0


async def _at_least(generator: TrafficGenerator, n: int) -> bool | None:
    done = sum(generator.statuses.values())
    return True if done >= n else None
