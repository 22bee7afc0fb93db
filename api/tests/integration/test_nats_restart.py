"""The API survives a nats-server crash: 503s while it is down, nothing lost, watchers resumed.

A dedicated nats-server (its own store dir and fixed port) is SIGKILLed under a running app and
restarted on the same port and store. Jobs and audit events written by *another* writer after the
restart (a raw NATS client standing in for a second replica) must reach this app's indexes: that
only happens if the jobs KV watch and the audit stream follower were recreated after reconnect.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgspec
import nats
import pytest
from cloudlysis_devfleet import GatewayConfig, create_gateway_app, serve
from litestar import Litestar
from litestar.testing import AsyncTestClient

from cloudlysis_control.adapters.nats.server import EmbeddedNatsServer
from cloudlysis_control.audit.schemas import AuditEvent
from cloudlysis_control.bootstrap.app import create_app
from cloudlysis_control.core.clock import rfc3339
from cloudlysis_control.jobs.schemas import Job, new_steps
from tests.support.auth import FakeRights, bearer
from tests.support.net import free_port
from tests.support.settings import app_settings
from tests.support.wait import eventually

pytestmark = pytest.mark.integration

Client = AsyncTestClient[Litestar]
TERMINAL = ("succeeded", "failed", "cancelled", "timed_out")


async def start_job(client: Client, reason: str) -> str:
    r = await client.post(
        "/admin/v1/jobs/kinds/platform.verify",
        json={"reason": reason},
        headers={**bearer(), "Idempotency-Key": uuid.uuid4().hex},
    )
    assert r.status_code == 202, r.text
    return str(r.json()["id"])


async def job_status_in_list(client: Client, job_id: str) -> str | None:
    r = await client.get("/admin/v1/jobs", params={"limit": 500}, headers=bearer())
    if r.status_code != 200:
        return None
    for j in r.json()["items"]:
        if j["id"] == job_id:
            return str(j["status"])
    return None


async def listed_jobs(client: Client) -> dict[str, str]:
    r = await client.get("/admin/v1/jobs", params={"limit": 500}, headers=bearer())
    assert r.status_code == 200, r.text
    return {j["id"]: j["status"] for j in r.json()["items"]}


async def listed_audit_ids(client: Client) -> set[str]:
    r = await client.get("/admin/v1/audit", params={"limit": 500}, headers=bearer())
    assert r.status_code == 200, r.text
    return {e["id"] for e in r.json()["items"]}


@pytest.fixture
async def fleet_file(tmp_path: Path) -> AsyncIterator[Path]:
    """A one-service fleet: the devfleet Gateway answers /health, /ready, /metrics."""
    app = create_gateway_app(GatewayConfig(data_dir=tmp_path / "gateway"))
    async with serve(app, "127.0.0.1", 0) as url:
        path = tmp_path / "fleet.json"
        path.write_text(json.dumps([{"name": "gateway", "kind": "gateway", "url": url}]))
        yield path


async def test_nats_crash_and_restart(tmp_path: Path, secret_file: Path, fleet_file: Path) -> None:
    nats_server = EmbeddedNatsServer(tmp_path / "nats-store", port=free_port())
    await nats_server.start()
    raw_nc: Any = None
    try:
        settings = app_settings(
            nats_server.url,
            secret_file,
            tmp_path / "data",
            CONTROL_FLEET_FILE=str(fleet_file),
            CONTROL_NATS_OP_TIMEOUT_S="1",
            CONTROL_NATS_CONNECT_TIMEOUT_S="1",
        )
        app = create_app(settings, rights_source=FakeRights())
        async with AsyncTestClient(app=app) as client:
            assert (await client.get("/ready")).status_code == 200

            # -- before the crash: jobs run to completion, audit events are written ------------
            before_jobs = [await start_job(client, f"before crash {i}") for i in range(3)]
            for job_id in before_jobs:
                status = await eventually(
                    lambda job_id=job_id: _terminal(client, job_id),
                    15,
                    f"job {job_id} finishing",
                )
                assert status == "succeeded", status
            denied = await client.post(
                "/admin/v1/jobs/kinds/platform.verify",
                json={"reason": "viewer may not"},
                headers={**bearer("viewer"), "Idempotency-Key": uuid.uuid4().hex},
            )
            assert denied.status_code == 403
            jobs_before = await listed_jobs(client)
            audit_before = await listed_audit_ids(client)
            assert set(before_jobs) <= set(jobs_before)
            # create + finish per job, plus the authz.deny
            assert len(audit_before) >= 2 * len(before_jobs) + 1, audit_before

            # -- crash ---------------------------------------------------------------------------
            assert nats_server.process is not None
            nats_server.process.kill()  # SIGKILL: no graceful shutdown, no flush
            await asyncio.to_thread(nats_server.process.wait, 5)

            async def ready_is_503() -> Any:
                r = await client.get("/ready")
                return r if r.status_code == 503 else None

            r = await eventually(ready_is_503, 10, "/ready turning 503 after the crash")
            assert r.headers["content-type"].startswith("application/problem+json"), r.text
            body = r.json()
            assert body["code"] == "not_ready"
            assert "nats" in body["dependencies"], body

            # A mutation while NATS is down is a clean 503 problem, never a 500.
            started = time.monotonic()
            r = await client.post(
                "/admin/v1/jobs/kinds/platform.verify",
                json={"reason": "while nats is down"},
                headers={**bearer(), "Idempotency-Key": uuid.uuid4().hex},
            )
            took = time.monotonic() - started
            assert r.status_code == 503, r.text
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["code"] in ("state_unavailable", "audit_write_failed"), r.json()
            assert took < 10, f"the 503 took {took:.1f} s"
            # Reads served from the in-memory indexes still work while NATS is down.
            assert set(before_jobs) <= set(await listed_jobs(client))

            # -- restart on the same port and store dir ------------------------------------------
            restarted = time.monotonic()
            await nats_server.start()

            async def ready_is_200() -> Any:
                r = await client.get("/ready")
                return r if r.status_code == 200 else None

            await eventually(ready_is_200, 10, "/ready returning 200 after the restart")
            assert time.monotonic() - restarted < 10

            # Nothing written before the crash is lost (this app's view).
            jobs_after = await listed_jobs(client)
            for job_id, status in jobs_before.items():
                assert jobs_after.get(job_id) == status, (job_id, status, jobs_after.get(job_id))
            assert audit_before <= await listed_audit_ids(client)
            for job_id in before_jobs:
                r = await client.get(f"/admin/v1/jobs/{job_id}", headers=bearer())
                assert r.status_code == 200 and r.json()["status"] == "succeeded", r.text

            # A new job created through the API after the restart runs to completion.
            new_job = await start_job(client, "after restart")
            assert await eventually(lambda: _terminal(client, new_job), 15, "new job") == (
                "succeeded"
            )
            assert (await listed_jobs(client))[new_job] == "succeeded"

            # -- writes by another replica reach this app: the watch / follower were recreated --
            raw_nc = await nats.connect(nats_server.url)
            js = raw_nc.jetstream()
            foreign = Job(
                id=f"j_{uuid.uuid4().hex}",
                kind="platform.verify",
                status="pending",
                reason="written by another replica after the restart",
                params={"services": ["gateway"]},
                created_by="admin",
                created_at=rfc3339(),
                steps=new_steps(["probe:gateway"]),
            )
            kv = await js.key_value("control_jobs")
            await kv.create(foreign.id, msgspec.json.encode(foreign))

            async def foreign_listed_terminal() -> Any:
                status = await job_status_in_list(client, foreign.id)
                return status if status in TERMINAL else None

            status = await eventually(
                foreign_listed_terminal,
                15,
                "a job written to KV by another replica being picked up via the KV watch",
            )
            assert status == "succeeded"

            event = AuditEvent(
                id=f"a_{uuid.uuid4().hex}",
                at=rfc3339(),
                actor="other-replica",
                action="test.after_restart",
                target="test:restart",
                outcome="succeeded",
            )
            await js.publish(
                "control.audit.events",
                msgspec.json.encode(event),
                stream="CONTROL_AUDIT",
                headers={"Nats-Msg-Id": event.id},
            )

            async def foreign_event_listed() -> Any:
                return event.id in await listed_audit_ids(client)

            await eventually(
                foreign_event_listed,
                10,
                "an audit event appended by another replica reaching GET /admin/v1/audit",
            )

        # -- a fresh replica reads everything back from the restarted server ------------------
        fresh = create_app(
            app_settings(nats_server.url, secret_file, tmp_path / "data2"),
            rights_source=FakeRights(),
        )
        async with AsyncTestClient(app=fresh) as client2:
            expected_jobs = {**jobs_before, new_job: "succeeded", foreign.id: "succeeded"}

            async def fresh_sees_all_jobs() -> Any:
                listed = await listed_jobs(client2)
                return all(listed.get(k) == v for k, v in expected_jobs.items()) or None

            await eventually(fresh_sees_all_jobs, 10, "a fresh replica listing every job")
            expected_audit = audit_before | {event.id}

            async def fresh_sees_all_audit() -> Any:
                return expected_audit <= await listed_audit_ids(client2) or None

            await eventually(fresh_sees_all_audit, 10, "a fresh replica listing every event")
    finally:
        if raw_nc is not None:
            await raw_nc.close()
        await nats_server.stop()


async def _terminal(client: Client, job_id: str) -> str | None:
    r = await client.get(f"/admin/v1/jobs/{job_id}", headers=bearer())
    if r.status_code == 200 and r.json()["status"] in TERMINAL:
        return str(r.json()["status"])
    return None
