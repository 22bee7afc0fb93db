"""Locks against a real nats-server: CAS ownership, expiry, and how jobs hold them."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from cloudlysis_control.adapters.nats.state import BUCKET_LOCKS, NatsKeyValue, NatsState
from cloudlysis_control.audit.schemas import AuditFilter
from cloudlysis_control.core.errors import LockHeld, ValidationFailed
from cloudlysis_control.jobs.kinds import LockSpec
from cloudlysis_control.locks.service import LockLost, LockService
from tests.support.auth import bearer
from tests.support.clock import FakeClock
from tests.support.jobs import ScriptedKind, job_request, make_replica, principal, wait_terminal

pytestmark = pytest.mark.integration


@pytest.fixture
async def kv(nats_url: str) -> Any:
    nats = NatsState(url=nats_url)
    await nats.connect()
    await nats.provision([BUCKET_LOCKS], [])
    try:
        yield NatsKeyValue(nats, BUCKET_LOCKS)
    finally:
        await nats.close()


def tenant() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"


async def test_held_lock_names_its_job_and_is_reentrant(kv: NatsKeyValue) -> None:
    locks = LockService(kv, "replica-a")
    name = tenant()
    first = await locks.acquire("tenant", name, "j_a")
    assert (first.job_id, first.owner, first.scope, first.name) == (
        "j_a",
        "replica-a",
        "tenant",
        name,
    )
    with pytest.raises(LockHeld) as err:
        await locks.acquire("tenant", name, "j_b")
    assert err.value.extra["job_id"] == "j_a"
    assert err.value.extra["lock"] == f"tenant:{name}"
    again = await locks.acquire("tenant", name, "j_a")  # the holder may take it again
    assert again.expires_at >= first.expires_at
    # Another scope with the same name is another lock.
    assert (await locks.acquire("config", name, "j_b")).job_id == "j_b"


async def test_expired_lock_is_reclaimed_then_but_never_earlier(kv: NatsKeyValue) -> None:
    clock = FakeClock()
    a = LockService(kv, "replica-a", ttl_s=30, clock=clock)
    b = LockService(kv, "replica-b", ttl_s=30, clock=clock)
    name = tenant()
    await a.acquire("tenant", name, "j_dead")
    clock.now += 29.9
    with pytest.raises(LockHeld):
        await b.acquire("tenant", name, "j_new")
    clock.now += 0.2
    taken = await b.acquire("tenant", name, "j_new")
    assert (taken.job_id, taken.owner) == ("j_new", "replica-b")
    # The old holder finds out it lost the lock and cannot release the new holder's lock.
    with pytest.raises(LockLost):
        await a.refresh("tenant", name, "j_dead")
    await a.release("tenant", name, "j_dead")
    current = await b.get("tenant", name)
    assert current is not None and current.job_id == "j_new"


async def test_concurrent_acquires_have_exactly_one_winner(kv: NatsKeyValue) -> None:
    replicas = [LockService(kv, f"replica-{i}") for i in range(5)]
    name = tenant()

    async def attempt(i: int) -> str | None:
        try:
            rec = await replicas[i % 5].acquire("tenant", name, f"j_{i}")
        except LockHeld:
            return None
        return rec.job_id

    winners = [w for w in await asyncio.gather(*(attempt(i) for i in range(50))) if w]
    assert len(winners) == 1
    holder = await replicas[0].get("tenant", name)
    assert holder is not None and holder.job_id == winners[0]


async def test_release_only_by_holder_and_reacquire_after_release(kv: NatsKeyValue) -> None:
    locks = LockService(kv, "replica-a")
    name = tenant()
    await locks.acquire("service", name, "j_a")
    await locks.release("service", name, "j_other")  # not the holder: nothing happens
    assert (await locks.get("service", name)) is not None
    await locks.release("service", name, "j_a")
    assert await locks.get("service", name) is None
    assert name not in [r.name for r in await locks.held()]
    # A deleted key (tombstone) can be taken again.
    assert (await locks.acquire("service", name, "j_b")).job_id == "j_b"
    with pytest.raises(LockLost):
        await locks.refresh("service", name, "j_a")


@pytest.mark.parametrize(("scope", "name"), [("cluster", "x"), ("tenant", ""), ("tenant", "a.b")])
async def test_bad_scope_or_name_is_refused(kv: NatsKeyValue, scope: str, name: str) -> None:
    with pytest.raises(ValidationFailed):
        await LockService(kv, "r").acquire(scope, name, "j_a")


class LockingKind(ScriptedKind):
    def locks(self, params: dict[str, Any]) -> list[LockSpec]:
        return [("tenant", str(params["tenant"]))]


@pytest.fixture
def locking_kind() -> LockingKind:
    return LockingKind(name=f"test.lock{uuid.uuid4().hex[:8]}")


async def test_a_conflicting_job_is_refused_with_the_holders_id(
    nats_url: str, locking_kind: LockingKind
) -> None:
    r = await make_replica(nats_url, locking_kind, "replica-a")
    try:
        locking_kind.gates["two"] = asyncio.Event()
        name = tenant()
        first = await r.service.create(
            kind_name=locking_kind.name,
            **job_request("admin", tenant=name),
            idempotency_key=uuid.uuid4().hex,
        )
        key = uuid.uuid4().hex
        with pytest.raises(LockHeld) as err:
            await r.service.create(
                kind_name=locking_kind.name,
                **job_request("other", tenant=name),
                idempotency_key=key,
            )
        assert err.value.extra["job_id"] == first.id
        # Nothing was created for the refused request, and the refusal is audited.
        assert [j.id for j in r.store.all() if j.params.get("tenant") == name] == [first.id]
        refused = (
            await r.audit.query(
                AuditFilter(actor="other", outcomes=frozenset({"refused"})), None, 10
            )
        ).items
        assert refused and refused[0].action == f"job.create.{locking_kind.name}"
        # The job ends → the lock is gone, and the same request (same key) now goes through.
        locking_kind.gates.pop("two").set()
        assert (await wait_terminal(r.service, first.id)).status == "succeeded"
        assert await r.locks.get("tenant", name) is None
        second = await r.service.create(
            kind_name=locking_kind.name,
            **job_request("other", tenant=name),
            idempotency_key=key,
        )
        assert (await wait_terminal(r.service, second.id)).status == "succeeded"
        assert await r.locks.get("tenant", name) is None
    finally:
        await r.stop()


async def test_failed_and_cancelled_jobs_release_their_locks(
    nats_url: str, locking_kind: LockingKind
) -> None:
    r = await make_replica(nats_url, locking_kind, "replica-a")
    try:
        failing = await r.service.create(
            kind_name=locking_kind.name,
            **job_request("admin", tenant=(t1 := tenant()), steps=["one", "fatal"]),
            idempotency_key=uuid.uuid4().hex,
        )
        assert (await wait_terminal(r.service, failing.id)).status == "failed"
        assert await r.locks.get("tenant", t1) is None
        locking_kind.gates["one"] = asyncio.Event()
        running = await r.service.create(
            kind_name=locking_kind.name,
            **job_request("admin", tenant=(t2 := tenant())),
            idempotency_key=uuid.uuid4().hex,
        )
        async with asyncio.timeout(10):
            while not [e for e in locking_kind.executions if e[0] == running.id]:
                await asyncio.sleep(0.02)
        held = await r.locks.get("tenant", t2)
        assert held is not None and held.job_id == running.id
        await r.service.cancel(running.id, principal())
        locking_kind.gates.pop("one").set()
        assert (await wait_terminal(r.service, running.id)).status == "cancelled"
        assert await r.locks.get("tenant", t2) is None
    finally:
        await r.stop()


async def test_a_taken_over_job_keeps_its_lock_and_releases_it_at_the_end(
    nats_url: str, locking_kind: LockingKind
) -> None:
    a = await make_replica(nats_url, locking_kind, "replica-a", lease_s=1.0)
    locking_kind.gates["two"] = asyncio.Event()
    name = tenant()
    job = await a.service.create(
        kind_name=locking_kind.name,
        **job_request("admin", tenant=name),
        idempotency_key=uuid.uuid4().hex,
    )
    async with asyncio.timeout(10):
        while [e[1] for e in locking_kind.executions if e[0] == job.id] != ["one", "two"]:
            await asyncio.sleep(0.02)
    await a.stop()  # "crash": the lock stays with the job
    b = await make_replica(nats_url, locking_kind, "replica-b", lease_s=1.0)
    try:
        held = await b.locks.get("tenant", name)
        assert held is not None and held.job_id == job.id
        with pytest.raises(LockHeld):  # nobody else may take it meanwhile
            await b.locks.acquire("tenant", name, "j_intruder")
        locking_kind.gates.pop("two").set()
        done = await wait_terminal(b.service, job.id)
        assert done.status == "succeeded" and done.runs == 2
        assert await b.locks.get("tenant", name) is None
    finally:
        await b.stop()


async def test_locks_endpoint_lists_held_locks(client: Any, kv: NatsKeyValue) -> None:
    name = tenant()
    await LockService(kv, "replica-x").acquire("tenant", name, "j_listed")
    resp = await client.get("/admin/v1/locks", headers=bearer())
    assert resp.status_code == 200, resp.text
    rows = [r for r in resp.json() if r["name"] == name]
    assert rows == [
        {
            "scope": "tenant",
            "name": name,
            "job_id": "j_listed",
            "owner": "replica-x",
            "acquired_at": rows[0]["acquired_at"],
            "expires_at": rows[0]["expires_at"],
            "expired": False,
        }
    ]
    denied = await client.get("/admin/v1/locks", headers=bearer("nobody"))
    assert denied.status_code == 403


async def test_an_unreadable_lock_is_listed_as_held_and_never_expiring(kv: NatsKeyValue) -> None:
    """A record that is no lock (written by hand, another tool): held until repaired, and its
    view says so within the schema — expires_at null (it answered null against "number")."""
    import json

    from cloudlysis_control.bootstrap.openapi_export import render_schema

    name = tenant()
    await kv.create(f"tenant.{name}", b"not a lock record")
    locks = LockService(kv, "replica-a")
    with pytest.raises(LockHeld):
        await locks.acquire("tenant", name, "j_a")
    views = [v for v in await locks.views() if v.name == f"tenant.{name}"]
    assert [(v.expires_at, v.expired, v.job_id) for v in views] == [(None, False, "unknown")]
    schema = json.loads(render_schema())["components"]["schemas"]["LockView"]
    expires = schema["properties"]["expires_at"]
    assert {"type": "null"} in expires.get("oneOf", expires.get("anyOf", [])), expires
