"""The fleet snapshot's figures from a real VictoriaMetrics that scrapes real devfleet instances:
with CONTROL_METRICS_URL set the snapshot probes only /health and /ready, and reads build info and
the selected metrics from the store; the figures are the ones the instance's own /metrics gives;
an instance the store does not know, and every instance while the store is down, is probed in
full."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cloudlysis_devfleet import serve
from cloudlysis_devfleet.platform_host import fleet_configs, serve_platform
from tests.support.auth import FakeRights, bearer
from tests.support.net import free_port
from tests.support.obs import VictoriaMetrics
from tests.support.settings import app_settings
from tests.support.wait import eventually

from cloudlysis_control.bootstrap.app import create_app

pytestmark = pytest.mark.integration


@dataclass
class World:
    vm: VictoriaMetrics
    fleet_file: Path
    urls: dict[str, str]


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    configs = fleet_configs({"aggregate": 1, "projection": 1, "runner": 1}, tenants=["acme"])
    async with serve_platform(configs) as hosted:
        urls = {h.config.instance: h.url for h in hosted}
        scrape = tmp_path / "scrape.yml"
        targets = [u.removeprefix("http://") for u in urls.values()]
        scrape.write_text(
            json.dumps(
                {
                    "global": {"scrape_interval": "1s"},
                    "scrape_configs": [
                        {"job_name": "devfleet", "static_configs": [{"targets": targets}]}
                    ],
                }
            )
        )
        vm = VictoriaMetrics(tmp_path, (f"-promscrape.config={scrape}",))
        try:

            async def scraped() -> bool:
                async with httpx.AsyncClient() as c:
                    r = await c.get(
                        f"{vm.url}/api/v1/query", params={"query": '{__name__=~".+_build_info"}'}
                    )
                return len(r.json()["data"]["result"]) == len(targets)

            await eventually(scraped, 30)
            fleet = [h.fleet_entry() for h in hosted]
            fleet.append(  # known to nobody: no series in the store, probed in full
                {
                    "name": "aggregate-9",
                    "kind": "aggregate",
                    "url": f"http://127.0.0.1:{free_port()}",
                }
            )
            fleet_file = tmp_path / "fleet.json"
            fleet_file.write_text(json.dumps(fleet))
            yield World(vm, fleet_file, urls)
        finally:
            vm.stop()


async def snapshot(
    nats_url: str, secret_file: Path, tmp_path: Path, fleet_file: Path, **env: str
) -> dict[str, dict[str, Any]]:
    settings = app_settings(
        nats_url,
        secret_file,
        tmp_path,
        CONTROL_FLEET_FILE=str(fleet_file),
        CONTROL_PROBE_TIMEOUT_S="3",
        **env,
    )
    app = create_app(settings, rights_source=FakeRights())
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=20) as api:
        r = await api.get("/admin/v1/fleet", headers=bearer())  # the first read takes one
        assert r.status_code == 200, r.text
        return {i["instance"]: i for i in r.json()["instances"]}


async def test_the_store_gives_the_figures_the_instances_metrics_give(
    world: World, nats_url: str, secret_file: Path, tmp_path: Path
) -> None:
    probed = await snapshot(nats_url, secret_file, tmp_path / "a", world.fleet_file)
    stored = await snapshot(
        nats_url, secret_file, tmp_path / "b", world.fleet_file, CONTROL_METRICS_URL=world.vm.url
    )
    for name in world.urls:
        assert probed[name]["metrics_source"] == "probe"
        assert stored[name]["metrics_source"] == "store", stored[name]
        assert (stored[name]["health"], stored[name]["ready"]) == ("ok", "ready")
        assert stored[name]["version"] == probed[name]["version"] == "1.4.2"
        assert stored[name]["git_sha"] == probed[name]["git_sha"]
        # the same selected figures (counters may have moved between the two reads)
        assert set(stored[name]["metrics"]) == set(probed[name]["metrics"]), name
    assert stored["runner-1"]["metrics"]["workers_capacity"] == 16
    dead = stored["aggregate-9"]
    assert (dead["metrics_source"], dead["health"]) == ("probe", "unreachable")


async def test_while_the_store_is_down_every_instance_is_probed_in_full(
    world: World, nats_url: str, secret_file: Path, tmp_path: Path
) -> None:
    world.vm.stop()
    stored = await snapshot(
        nats_url, secret_file, tmp_path, world.fleet_file, CONTROL_METRICS_URL=world.vm.url
    )
    for name in world.urls:
        assert stored[name]["metrics_source"] == "probe"
        assert stored[name]["version"] == "1.4.2"
