"""The demo's metrics history, end to end with a real VictoriaMetrics: it scrapes a devfleet
instance with the demo's scrape config (vmagent/scrape.yml's relabeling, HTTP SD from the
instance), tenant traffic runs, and a deploy of the marked bad tag through the API raises the
instance's 5xx ratio in the stored series (under the bad version's labels); a rollback lowers it.
Values only, polled with `eventually`: no timing is asserted."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from cloudlysis_devfleet.world import RELEASES
from tests.support.obs import VictoriaMetrics, require_binary, scraping
from tests.support.wait import eventually
from tests.support.world import demo_world, deploy, tenant_traffic

SERVICE = "platform_aggregate-1"
_WORK = 'route=~"/v1/.*"'


def ratio_by_version(vm: VictoriaMetrics, instance: str) -> dict[str, float]:
    sel = f'instance="{instance}", {_WORK}'
    expr = (
        f'(sum by (version) (rate(aggregate_http_requests_total{{{sel}, status=~"5.."}}[5s]))'
        f" or sum by (version) (rate(aggregate_http_requests_total{{{sel}}}[5s])) * 0)"
        f" / sum by (version) (rate(aggregate_http_requests_total{{{sel}}}[5s]))"
    )
    body = vm.query(expr)
    assert body["status"] == "success", body
    return {r["metric"].get("version", ""): float(r["value"][1]) for r in body["data"]["result"]}


async def test_a_bad_tag_raises_the_error_ratio_and_a_rollback_lowers_it(
    own_nats: str, secret_file: Path, tmp_path: Path
) -> None:
    """(A NATS of its own: a deploy's playbook samples placed tenants through the Gateway, and
    tenants other tests placed in the session's server are not the devfleet's.)"""
    require_binary("victoria-metrics")
    release = RELEASES["aggregate"]
    async with demo_world(
        own_nats, secret_file, tmp_path, {"aggregate": 1}, baseline_error_ratio=0.02
    ) as world:
        target = world.instances["aggregate-1"]
        instance = f"127.0.0.1:{target.port}"
        vm = scraping(tmp_path, target.url)
        try:
            async with tenant_traffic(target.url):

                async def ratios(ok: Callable[[dict[str, float]], bool]) -> dict[str, float] | None:
                    found = await asyncio.to_thread(ratio_by_version, vm, instance)
                    return found if ok(found) else None

                good = await eventually(lambda: ratios(lambda r: release.version in r), 60)
                assert good[release.version] < 0.1, good

                job = await deploy(world.client, SERVICE, release.bad)
                assert job["status"] == "succeeded", (job["error"], job["steps"])
                hurt = await eventually(
                    lambda: ratios(lambda r: r.get(release.bad, 0.0) > 0.15), 60
                )
                assert release.version not in hurt or hurt[release.bad] > hurt[release.version]

                job = await deploy(world.client, SERVICE)  # roll back
                assert job["status"] == "succeeded", (job["error"], job["steps"])
                healed = await eventually(
                    lambda: ratios(lambda r: release.bad not in r and release.version in r), 60
                )
                assert healed[release.version] < 0.1, healed
        finally:
            vm.stop()
