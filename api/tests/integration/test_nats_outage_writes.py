"""A NATS outage never leaves a ghost write (issue #13).

nats-py used to buffer a write made while it was disconnected and deliver it after the reconnect:
the request had long answered 503, yet an idempotency record appeared that named a job that never
existed; the same key with another body then got a 409 naming that missing job, and a retry made
the job without its `accepted` audit event and without the lock check. (Since issue 19 the job's
id derives from the key and the job's own create is the idempotency claim: no separate record.)
Here a dedicated nats-server is SIGKILLed, requests are sent while it is down, and it is
restarted on the same port and store: nothing of those requests may exist afterwards, and their
retries must create exactly one job each, with its audit event and through its lock.
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
from nats.js.errors import KeyNotFoundError, NoKeysError

from cloudlysis_control.adapters.nats.server import EmbeddedNatsServer
from cloudlysis_control.bootstrap.app import create_app
from cloudlysis_control.jobs.creation import job_id_for
from cloudlysis_control.jobs.schemas import Job
from cloudlysis_control.locks.schemas import LockRecord
from tests.support.auth import FakeRights, bearer
from tests.support.net import free_port
from tests.support.problems import problem
from tests.support.settings import app_settings
from tests.support.wait import eventually

pytestmark = pytest.mark.integration

Client = AsyncTestClient[Litestar]
OP_TIMEOUT_S = 30  # a request that waited for the timeout instead of failing fast would show


@pytest.fixture
async def fleet_file(tmp_path: Path) -> AsyncIterator[Path]:
    app = create_gateway_app(GatewayConfig(data_dir=tmp_path / "gateway"))
    async with serve(app, "127.0.0.1", 0) as url:
        path = tmp_path / "fleet.json"
        path.write_text(json.dumps([{"name": "gateway", "kind": "gateway", "url": url}]))
        yield path


@pytest.fixture
async def nats_server(tmp_path: Path) -> AsyncIterator[EmbeddedNatsServer]:
    server = EmbeddedNatsServer(tmp_path / "nats-store", port=free_port())
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def client(
    nats_server: EmbeddedNatsServer, secret_file: Path, tmp_path: Path, fleet_file: Path
) -> AsyncIterator[Client]:
    settings = app_settings(
        nats_server.url,
        secret_file,
        tmp_path / "data",
        CONTROL_FLEET_FILE=str(fleet_file),
        CONTROL_NATS_OP_TIMEOUT_S=str(OP_TIMEOUT_S),
        CONTROL_NATS_CONNECT_TIMEOUT_S="1",
    )
    async with AsyncTestClient(app=create_app(settings, rights_source=FakeRights())) as c:
        assert (await c.get("/ready")).status_code == 200
        yield c


def job_post(client: Client, kind: str, key: str, reason: str, **params: Any) -> Any:
    return client.post(
        f"/admin/v1/jobs/kinds/{kind}",
        json={"reason": reason, "params": params},
        headers={**bearer(), "Idempotency-Key": key},
    )


async def kill(server: EmbeddedNatsServer, client: Client) -> None:
    assert server.process is not None
    server.process.kill()  # SIGKILL: no graceful shutdown
    await asyncio.to_thread(server.process.wait, 5)

    async def not_ready() -> bool:
        return (await client.get("/ready")).status_code == 503

    await eventually(not_ready, 10, "/ready turning 503")


async def restart(server: EmbeddedNatsServer, client: Client) -> None:
    await server.start()

    async def ready() -> bool:
        return (await client.get("/ready")).status_code == 200

    await eventually(ready, 15, "/ready turning 200 again")

    async def following() -> bool:
        jobs = (await client.get("/admin/v1/jobs", headers=bearer())).json()
        audit = (await client.get("/admin/v1/audit", headers=bearer())).json()
        return not jobs["stale"] and not audit["stale"]

    await eventually(following, 15, "jobs and audit lists following NATS again")


async def raw_kv(server: EmbeddedNatsServer, bucket: str) -> tuple[Any, Any]:
    nc = await nats.connect(server.url)
    return nc, await nc.jetstream().key_value(bucket)


async def record_exists(server: EmbeddedNatsServer, kind: str, key: str) -> bool:
    """The job this key creates, or a lock naming it, exists."""
    job_id = job_id_for("admin", kind, key)
    for bucket, name in (("control_jobs", job_id), ("control_locks", "config.gateway")):
        nc, kv = await raw_kv(server, bucket)
        try:
            entry = await kv.get(name)
        except KeyNotFoundError:
            continue
        finally:
            await nc.close()
        if bucket == "control_jobs" or json.loads(entry.value)["job_id"] == job_id:
            return True
    return False


async def jobs_with_reason(server: EmbeddedNatsServer, reason: str) -> list[Job]:
    nc, kv = await raw_kv(server, "control_jobs")
    try:
        found = []
        try:
            keys = await kv.keys()
        except NoKeysError:
            return []
        for key in keys:
            job = msgspec.json.decode((await kv.get(key)).value, type=Job)
            if job.reason == reason:
                found.append(job)
        return found
    finally:
        await nc.close()


async def audit_events(client: Client, **params: str) -> list[dict[str, Any]]:
    r = await client.get("/admin/v1/audit", params=params, headers=bearer())
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def test_requests_during_an_outage_leave_nothing_and_their_retries_create_one_job(
    client: Client, nats_server: EmbeddedNatsServer
) -> None:
    verify_key, reload_key = uuid.uuid4().hex, uuid.uuid4().hex
    await kill(nats_server, client)

    # While NATS is down: a 503 problem at once (not after the op timeout), and the lists
    # served from memory say they are stale.
    for kind, key, params in (
        ("platform.verify", verify_key, {}),
        ("config.reload", reload_key, {"services": ["gateway"]}),
    ):
        started = time.monotonic()
        r = await asyncio.wait_for(job_post(client, kind, key, "during the outage", **params), 10)
        assert problem(r, 503)["code"] in ("state_unavailable", "audit_write_failed")
        assert time.monotonic() - started < OP_TIMEOUT_S / 3
    for path in ("/admin/v1/jobs", "/admin/v1/audit"):
        page = (await client.get(path, headers=bearer())).json()
        assert page["stale"] is True and page["stale_for_s"] >= 0, (path, page)

    await restart(nats_server, client)
    await asyncio.sleep(1)  # anything nats-py had buffered would have been delivered by now

    # Nothing of the failed requests exists.
    assert not await record_exists(nats_server, "platform.verify", verify_key)
    assert not await record_exists(nats_server, "config.reload", reload_key)
    assert await jobs_with_reason(nats_server, "during the outage") == []

    # The retry of the reload meets its lock check: a lock another job holds refuses it.
    nc, locks = await raw_kv(nats_server, "control_locks")
    holder = f"j_{uuid.uuid4().hex}"
    held = LockRecord(
        scope="config",
        name="gateway",
        job_id=holder,
        owner="other-replica",
        acquired_at="2026-01-01T00:00:00Z",
        expires_at=time.time() + 300,
    )
    revision = await locks.put("config.gateway", msgspec.json.encode(held))
    try:
        r = await job_post(
            client, "config.reload", reload_key, "during the outage", services=["gateway"]
        )
        body = problem(r, 409)
        assert body["code"] == "lock_held" and body["job_id"] == holder, body
    finally:
        await locks.delete("config.gateway", last=revision)
        await nc.close()

    # Retried once more (the same request): exactly one job each, with its audit event.
    for kind, key, params in (
        ("platform.verify", verify_key, {}),
        ("config.reload", reload_key, {"services": ["gateway"]}),
    ):
        first = await job_post(client, kind, key, "during the outage", **params)
        assert first.status_code == 202, first.text
        again = await job_post(client, kind, key, "during the outage", **params)
        assert again.status_code == 202 and again.json()["id"] == first.json()["id"]
        job_id = first.json()["id"]
        events = await audit_events(client, job_id=job_id)
        accepted = [e for e in events if e["action"] == f"job.create.{kind}"]
        assert [e["outcome"] for e in accepted] == ["accepted"], events
    jobs = await jobs_with_reason(nats_server, "during the outage")
    assert sorted(j.kind for j in jobs) == ["config.reload", "platform.verify"]


async def test_a_creation_that_failed_half_way_is_finished_by_its_retry_not_named(
    client: Client, nats_server: EmbeddedNatsServer
) -> None:
    """A creation that failed half-way (it took the lock, its job was never written): the same
    key — with the same body or another — creates its job at once (the lock names the job the
    key derives, so it is the retry's own), with one `accepted` event, and no 409 names a job
    that does not exist. Another key meets the lock like any other job would."""
    nc, locks = await raw_kv(nats_server, "control_locks")
    try:
        for body_differs in (True, False):
            key = uuid.uuid4().hex
            job_id = job_id_for("admin", "config.reload", key)
            left = LockRecord(
                scope="config",
                name="gateway",
                job_id=job_id,
                owner="a-replica-that-died",
                acquired_at="2026-01-01T00:00:00Z",
                expires_at=time.time() + 300,
            )
            await locks.put("config.gateway", msgspec.json.encode(left))
            other = await job_post(
                client, "config.reload", uuid.uuid4().hex, "another key", services=["gateway"]
            )
            assert problem(other, 409)["job_id"] == job_id
            reason = "another body" if body_differs else "the earlier attempt"
            r = await job_post(client, "config.reload", key, reason, services=["gateway"])
            assert r.status_code == 202, r.text
            job = r.json()
            assert job["id"] == job_id and job["reason"] == reason
            events = await audit_events(client, job_id=job_id)
            assert [e["outcome"] for e in events if e["action"] == "job.create.config.reload"] == [
                "accepted"
            ]
            async with asyncio.timeout(20):
                while True:
                    got = await client.get(f"/admin/v1/jobs/{job_id}", headers=bearer())
                    # (the devfleet gateway has no reload endpoint: the job fails, and ends)
                    if got.json()["status"] in ("succeeded", "failed"):
                        break
                    await asyncio.sleep(0.05)
            with pytest.raises(KeyNotFoundError):
                await locks.get("config.gateway")  # released at the end
    finally:
        await nc.close()
