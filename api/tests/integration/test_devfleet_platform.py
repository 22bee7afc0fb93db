"""Simulated Aggregate, Projection and Runner instances honour docs/contracts/service-admin.md."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from cloudlysis_devfleet.platform import PlatformConfig
from cloudlysis_devfleet.platform_host import HostedInstance, fleet_configs, serve_platform
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.integration

MANY_TENANTS = [f"tenant-{i:02d}" for i in range(40)]


@pytest.fixture
async def fleet() -> AsyncIterator[dict[str, HostedInstance]]:
    configs = fleet_configs({"aggregate": 1, "projection": 1, "runner": 1}, tenants=MANY_TENANTS)
    for c in configs:
        c.drain_tau_s = 0.15
    async with serve_platform(configs) as hosted:
        yield {h.config.kind: h for h in hosted}


async def test_each_instance_answers_on_its_own_port(fleet: dict[str, HostedInstance]) -> None:
    async with httpx.AsyncClient() as c:
        for kind, inst in fleet.items():
            info = (await c.get(f"{inst.url}/admin/v1/instance")).json()
            assert info["service"] == kind and info["instance"] == f"{kind}-1"
            text = (await c.get(f"{inst.url}/metrics")).text
            families = {f.name: f for f in text_string_to_metric_families(text)}
            build = families[f"{kind}_build_info"].samples[0]
            assert build.labels == {"service": kind, "version": "1.4.2", "git_sha": "d3v7f1e"}
            r = await c.get(f"{inst.url}/health", headers={"x-request-id": "req-7"})
            assert r.status_code == 200 and r.headers["x-request-id"] == "req-7"
            assert "x-correlation-id" in r.headers


async def test_tenant_metrics_are_bounded(fleet: dict[str, HostedInstance]) -> None:
    names = {
        "aggregate": "aggregate_tenant_inflight_commands",
        "projection": "projection_lag_events",
        "runner": "runner_tenant_jobs_inflight",
    }
    async with httpx.AsyncClient() as c:
        for kind, inst in fleet.items():
            text = (await c.get(f"{inst.url}/metrics")).text
            families = {f.name: f for f in text_string_to_metric_families(text)}
            tenants = [s.labels["tenant"] for s in families[names[kind]].samples]
            assert len(tenants) == 21 and tenants[-1] == "__other__", tenants
            assert len(set(tenants)) == 21
        runner = {
            f.name: f
            for f in text_string_to_metric_families(
                (await c.get(f"{fleet['runner'].url}/metrics")).text
            )
        }
        for name in (
            "runner_workers_busy",
            "runner_workers_capacity",
            "runner_queue_depth",
            "runner_jobs",
        ):
            assert name in runner


async def test_drain_stops_new_work_and_inflight_decays(fleet: dict[str, HostedInstance]) -> None:
    url = fleet["runner"].url
    tenant = "tenant-03"
    async with httpx.AsyncClient() as c:
        r = await c.post(f"{url}/v1/tenants/{tenant}/work", json={"duration_ms": 5000})
        assert r.status_code == 202
        before = (await c.get(f"{url}/admin/v1/tenants/{tenant}/status")).json()
        assert before["accepting"] is True and before["inflight"] >= 1
        drained = await c.post(f"{url}/admin/v1/tenants/{tenant}/drain")
        assert drained.status_code == 202 and drained.json()["draining"] is True
        r = await c.post(f"{url}/v1/tenants/{tenant}/work")
        assert r.status_code == 409 and r.json()["code"] == "tenant_draining"
        assert r.headers["content-type"].startswith("application/problem+json")
        deadline = time.monotonic() + 8
        while True:
            status = (await c.get(f"{url}/admin/v1/tenants/{tenant}/status")).json()
            if status["drained"]:
                break
            assert time.monotonic() < deadline, status
            await asyncio.sleep(0.1)
        assert status["inflight"] == 0 and status["lag"] == 0 and status["accepting"] is False
        other = (await c.get(f"{url}/admin/v1/tenants/tenant-04/status")).json()
        assert other["accepting"] is True  # drain is per tenant
        resumed = (await c.post(f"{url}/admin/v1/tenants/{tenant}/resume")).json()
        assert resumed["accepting"] is True and resumed["draining"] is False
        assert (await c.post(f"{url}/v1/tenants/{tenant}/work")).status_code == 202


async def test_admin_calls_count_drains_and_resumes_that_changed_state(
    fleet: dict[str, HostedInstance],
) -> None:
    """The HA suite counts effects from these: a repeated drain is counted, not started again."""
    url = fleet["aggregate"].url
    async with httpx.AsyncClient() as c:
        for _ in range(2):
            assert (await c.post(f"{url}/admin/v1/tenants/tenant-05/drain")).status_code == 202
        for _ in range(2):
            assert (await c.post(f"{url}/admin/v1/tenants/tenant-05/resume")).status_code == 200
        calls = (await c.get(f"{url}/admin/v1/instance")).json()["admin_calls"]
    assert calls == {
        "drain:tenant-05": 2,
        "drain_started:tenant-05": 1,
        "resume:tenant-05": 2,
        "resume_started:tenant-05": 1,
    }


async def test_reload_switches_and_errors(fleet: dict[str, HostedInstance]) -> None:
    url = fleet["aggregate"].url
    async with httpx.AsyncClient() as c:
        first = (await c.post(f"{url}/admin/v1/config/reload")).json()
        second = (await c.post(f"{url}/admin/v1/config/reload")).json()
        assert second["config_generation"] == first["config_generation"] + 1
        await c.post(f"{url}/_devfleet/switches", json={"healthy": False})
        assert (await c.get(f"{url}/health")).status_code == 503
        await c.post(f"{url}/_devfleet/switches", json={"healthy": True})
        assert (await c.get(f"{url}/health")).status_code == 200
        r = await c.get(f"{url}/admin/v1/tenants/Not_Valid/status")
        assert r.status_code == 400 and r.json()["code"] == "invalid_tenant_id"
        r = await c.post(f"{url}/v1/tenants/acme/work", json={"duration_ms": -1})
        assert r.status_code == 422
        status = (await c.get(f"{url}/admin/v1/tenants/acme/status")).json()
        assert status["lag"] is None  # Aggregate reports no lag


def test_cli_single_instance_and_many(tmp_path: Path) -> None:
    fleet_file = tmp_path / "fleet.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cloudlysis_devfleet",
            "many",
            "--aggregate",
            "2",
            "--runner",
            "1",
            "--fleet-file",
            str(fleet_file),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(3)]
        assert [ln.split()[0] for ln in lines] == ["aggregate-1", "aggregate-2", "runner-1"]
        entries = json.loads(fleet_file.read_text())
        assert [e["shard"] for e in entries] == ["aggregate-1", "aggregate-2", "runner-1"]
        r = httpx.get(f"{entries[2]['url']}/admin/v1/instance")
        assert r.json()["service"] == "runner"
    finally:
        proc.terminate()
        assert proc.wait(10) == 0
    one = subprocess.Popen(
        [sys.executable, "-m", "cloudlysis_devfleet", "projection", "--shard", "p-7"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert one.stdout is not None
        line = one.stdout.readline()
        assert line.startswith("p-7 listening on http://127.0.0.1:")
        info = httpx.get(f"{line.split()[-1]}/admin/v1/instance").json()
        assert info["service"] == "projection" and info["shard"] == "p-7"
    finally:
        one.terminate()
        assert one.wait(10) == 0


def test_platform_config_defaults() -> None:
    c = PlatformConfig(kind="runner", shard="r", instance="r")
    assert c.top_k == 20 and c.workers == 16
