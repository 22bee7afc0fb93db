"""Two API processes on one nats-server list the same jobs and the same deployment history
(issue 19): right after a write through either of them, without waiting for the other to catch
up, and page by page with the same cursors."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import msgspec
import nats
import pytest

from cloudlysis_control.adapters.nats.state import STREAM_DEPLOYMENTS, NatsState
from cloudlysis_control.deployments.schemas import DeploymentRecord
from tests.support.replicas import api_replicas
from tests.support.swarm import isolated_fixture

pytestmark = pytest.mark.integration
TERMINAL = {"succeeded", "failed", "cancelled", "timed_out"}


async def _walk(api: httpx.AsyncClient, path: str, **params: Any) -> list[dict[str, Any]]:
    pages: list[dict[str, Any]] = []
    cursor = None
    while True:
        r = await api.get(path, params={**params, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        pages.append(r.json())
        cursor = pages[-1]["next_cursor"]
        if cursor is None:
            return pages


def _ids(pages: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for page in pages for item in page["items"]]


async def test_jobs_and_deployments_are_listed_the_same_by_every_replica(
    own_nats: str, tmp_path: Path
) -> None:
    state = NatsState(url=own_nats)
    await state.connect()
    await state.provision([], [STREAM_DEPLOYMENTS])
    await state.close()
    fixture = isolated_fixture(tmp_path)
    async with (
        api_replicas(
            tmp_path,
            own_nats,
            CONTROL_SWARM_MODE="file",
            CONTROL_SWARM_FILE=str(fixture),
            CONTROL_SWARM_DISCOVERY="false",
        ) as r,
        httpx.AsyncClient(base_url=r.urls[0], headers=r.headers, timeout=30) as a,
        httpx.AsyncClient(base_url=r.urls[1], headers=r.headers, timeout=30) as b,
    ):
        replicas = (a, b)
        created: list[str] = []
        for i in range(8):
            writer = replicas[i % 2]
            got = await writer.post(
                "/admin/v1/jobs/kinds/platform.verify",
                json={"reason": f"replica test {i}", "params": {}},
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )
            assert got.status_code == 202, got.text
            created.append(got.json()["id"])
            # At once, through both: the job just created is listed by the other replica too.
            lists = [_ids(await _walk(api, "/admin/v1/jobs", limit=500)) for api in replicas]
            assert lists[0] == lists[1]
            assert set(created) <= set(lists[0])
        deadline = time.monotonic() + 60
        while True:
            pages = await _walk(a, "/admin/v1/jobs", limit=500)
            if all(j["status"] in TERMINAL for p in pages for j in p["items"]):
                break
            assert time.monotonic() < deadline, pages
            await asyncio.sleep(0.1)
        for params in ({"limit": 3}, {"limit": 2, "kind": "platform.verify"}):
            walked = [await _walk(api, "/admin/v1/jobs", **params) for api in replicas]
            for page in (*walked[0], *walked[1]):
                page.pop("stale_for_s", None)
            for p0, p1 in zip(walked[0], walked[1], strict=True):
                for j0, j1 in zip(p0["items"], p1["items"], strict=True):
                    assert j0 == j1, [(k, j0[k], j1.get(k)) for k in j0 if j0[k] != j1.get(k)]
            assert walked[0] == walked[1]
            assert sorted(_ids(walked[0])) == sorted(created)

        # Deployment history: both replicas reconcile the same fixture (appending the same
        # records, each once), and records appended straight to the stream are listed by both
        # at once.
        nc = await nats.connect(own_nats)
        try:
            js = nc.jetstream()
            for i in range(6):
                rec = DeploymentRecord(
                    deployment_id=f"d_{uuid.uuid4().hex[:12]}",
                    type="started",
                    at=f"2026-11-0{i + 1}T10:00:00.000Z",
                    service=f"svc-{i % 2}",
                    service_id=f"sid-{i % 2}-{uuid.uuid4().hex[:6]}",
                    job_id=f"j_test{i}",
                )
                await js.publish(
                    "control.deployments.events",
                    msgspec.json.encode(rec),
                    stream=STREAM_DEPLOYMENTS.name,
                    headers={"Nats-Msg-Id": f"{rec.deployment_id}.started"},
                )
                lists = [await _walk(api, "/admin/v1/deployments/", limit=4) for api in replicas]
                assert lists[0] == lists[1]
                assert rec.deployment_id in _ids(lists[0])
                detail = [
                    await api.get(f"/admin/v1/deployments/{rec.deployment_id}") for api in replicas
                ]
                assert detail[0].status_code == detail[1].status_code == 200
                assert detail[0].json() == detail[1].json()
        finally:
            await nc.close()
