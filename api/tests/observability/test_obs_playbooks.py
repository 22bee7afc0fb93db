"""The verification playbook of a deploy, end to end: devfleet instances, the demo's file-mode
Swarm built from them, a real VictoriaMetrics scraping them with the demo's scrape config, tenant
traffic, and the API with CONTROL_METRICS_URL. A deploy of the next (good) version passes
`playbook.post_deploy`, measured; a deploy of the marked bad version (`world.is_bad`: 30 % of
tenant requests fail) fails it on the error-rate check with the measured values and takes the
rollback path (`deploy_failed_rolled_back`). Windows are short (flags.playbook_window_s), the
scrape interval 1 s; values only, no timing asserted."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import nats
from cloudlysis_devfleet.metrics_store import write_scrape_config
from cloudlysis_devfleet.world import RELEASES
from tests.support.auth import bearer
from tests.support.net import free_port
from tests.support.obs import REPO, VictoriaMetrics, require_binary
from tests.support.wait import eventually
from tests.support.world import demo_world, deploy, job_done, tenant_traffic

from cloudlysis_control.adapters.nats.server import EmbeddedNatsServer
from cloudlysis_control.adapters.nats.state import BUCKET_CONFIG

SERVICE = "platform_aggregate-1"
WINDOW_S = 10
FLAGS = {
    "schema_version": 1,
    "playbook_window_s": WINDOW_S,
    "playbook_min_requests": 50,
    "playbook_max_error_rate_increase": 0.05,
    # Lenient on latency: the instances, the traffic and the API share one event loop here, so
    # a busy machine stretches p99; the evidence is the error rate (30 % of a bad build's).
    "playbook_max_p99_ratio": 20.0,
    "playbook_p99_floor_ms": 3000,
}


async def put_flags(nats_url: str, flags: dict[str, Any]) -> None:
    nc = await nats.connect(nats_url)
    try:
        kv = await nc.jetstream().key_value(BUCKET_CONFIG.name)
        await kv.put("flags/control/platform", json.dumps(flags).encode())
    finally:
        await nc.close()


def checks_of(step: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["check"]: c for c in step["output"]["checks"]}


async def test_a_bad_version_fails_post_deploy_on_the_error_rate_and_is_rolled_back(
    secret_file: Path, tmp_path: Path
) -> None:
    require_binary("victoria-metrics")
    release = RELEASES["aggregate"]
    # A server of its own: the flags this test writes are seen by no other test.
    server = EmbeddedNatsServer(tmp_path / "nats")
    await server.start()
    vm_port = free_port()
    vm: VictoriaMetrics | None = None
    try:
        async with demo_world(
            server.url,
            secret_file,
            tmp_path,
            {"aggregate": 1},
            CONTROL_METRICS_URL=f"http://127.0.0.1:{vm_port}",
        ) as world:
            await put_flags(server.url, FLAGS)
            target = world.instances["aggregate-1"]
            instance = f"127.0.0.1:{target.port}"
            config = write_scrape_config(
                REPO,
                tmp_path / "scrape.yml",
                [target.url],
                ("127.0.0.1", free_port()),  # no API here: its target is down, as it may be
                ("0.1.0", "test"),
                interval="1s",
            )
            (tmp_path / "vm").mkdir()
            vm = VictoriaMetrics(
                tmp_path / "vm",
                [f"-promscrape.config={config}", "-promscrape.httpSDCheckInterval=1s"],
                port=vm_port,
            )
            store = vm
            async with tenant_traffic(target.url):

                async def a_full_window(version: str) -> bool:
                    sel = f'instance="{instance}", version="{version}"'
                    expr = f"count_over_time(up{{{sel}}}[{WINDOW_S}s])"
                    body = await asyncio.to_thread(store.query, expr)
                    found = body["data"]["result"] if body.get("status") == "success" else []
                    return bool(found) and float(found[0]["value"][1]) >= WINDOW_S - 1

                await eventually(lambda: a_full_window(release.version), 60)

                good = await deploy(world.client, SERVICE, release.next)
                assert good["status"] == "succeeded", json.dumps(good["steps"][-1])
                verify = good["steps"][3]
                assert verify["output"]["playbook"] == "post_deploy" and verify["output"]["ok"]
                checks = checks_of(verify)
                error_rate = checks["error_rate"]
                assert error_rate["ok"] and isinstance(error_rate["value"], float), error_rate
                assert error_rate["value"] <= error_rate["threshold"]
                assert "requests" in error_rate["detail"], error_rate  # measured, not skipped
                assert isinstance(checks["p99_latency"]["value"], float), checks["p99_latency"]
                assert verify["output"]["from_version"] == release.version
                assert verify["output"]["to_version"] == release.next

                bad = await deploy(world.client, SERVICE, release.bad)
                assert bad["status"] == "failed", bad
                verify = bad["steps"][3]
                assert verify["error"]["code"] == "deploy_failed_rolled_back", verify
                assert "error_rate" in verify["error"]["message"]
                assert verify["output"]["rolled_back"] is True
                error_rate = checks_of(verify)["error_rate"]
                assert error_rate["ok"] is False, error_rate
                assert error_rate["value"] > error_rate["threshold"] >= 0.05, error_rate
                assert verify["output"]["to_version"] == release.bad
                svc = (
                    await world.client.get(f"/admin/v1/swarm/services/{SERVICE}", headers=bearer())
                ).json()
                assert (svc["image_tag"], svc["update_state"]) == (
                    release.next,
                    "rollback_completed",
                )

                # Run again as its own job over the good deploy's windows: the same verdict.
                async def good_deployment() -> str | None:
                    r = await world.client.get(
                        "/admin/v1/deployments/", params={"service": SERVICE}, headers=bearer()
                    )
                    mine = [d for d in r.json()["items"] if d["job_id"] == good["id"]]
                    return mine[0]["id"] if mine and mine[0]["finished_at"] else None

                deployment_id = await eventually(good_deployment, 20)
                r = await world.client.post(
                    "/admin/v1/jobs/kinds/playbook.post_deploy",
                    json={
                        "reason": "check the good deploy again",
                        "params": {"service": SERVICE, "deployment_id": deployment_id},
                    },
                    headers={**bearer(), "idempotency-key": uuid.uuid4().hex},
                )
                assert r.status_code == 202, r.text
                again = await job_done(world.client, r.json()["id"])
                assert again["status"] == "succeeded", again
                rerun = checks_of(again["steps"][0])
                assert rerun["error_rate"]["ok"] and isinstance(rerun["error_rate"]["value"], float)
    finally:
        if vm is not None:
            vm.stop()
        await server.stop()
