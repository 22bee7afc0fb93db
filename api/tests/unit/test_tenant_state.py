"""The tenants list's state columns: the operation state from Control's jobs, and the lag
figures refreshed in the background from the metrics store (fakes behind the ports)."""

from __future__ import annotations

import asyncio

from cloudlysis_control.core.errors import MetricsUnavailable
from cloudlysis_control.jobs.schemas import Job
from cloudlysis_control.metrics.ports import Series
from cloudlysis_control.metrics.service import MetricsService
from cloudlysis_control.tenants.state import TenantLag, TenantOperations


def job(kind: str, status: str, created_at: str, tenant: str = "acme", jid: str = "") -> Job:
    return Job(
        id=jid or f"j_{kind}_{created_at}",
        kind=kind,
        status=status,  # type: ignore[arg-type]
        reason="r",
        params={"tenant_id": tenant},
        tenant_id=tenant,
        created_by="admin",
        created_at=created_at,
    )


def test_the_latest_operation_of_a_tenant_sets_its_state() -> None:
    ops = TenantOperations()
    assert ops.state("acme") == ("serving", None)
    ops.on_job(job("tenant.drain", "running", "2026-12-06T10:00:00Z", jid="j1"))
    assert ops.state("acme") == ("draining", "j1")
    ops.on_job(job("tenant.drain", "succeeded", "2026-12-06T10:00:00Z", jid="j1"))
    assert ops.state("acme") == ("drained", "j1")
    # an older job's late update does not win over the newer one
    ops.on_job(job("tenant.resume", "succeeded", "2026-12-06T09:00:00Z", jid="j0"))
    assert ops.state("acme") == ("drained", "j1")
    ops.on_job(job("tenant.migrate", "running", "2026-12-06T11:00:00Z", jid="j2"))
    assert ops.state("acme") == ("migrating", "j2")
    ops.on_job(job("tenant.migrate", "failed", "2026-12-06T11:00:00Z", jid="j2"))
    assert ops.state("acme") == ("attention", "j2")
    ops.on_job(job("tenant.resume", "succeeded", "2026-12-06T12:00:00Z", jid="j3"))
    assert ops.state("acme") == ("serving", "j3")
    # other kinds and other tenants do not touch it
    ops.on_job(job("config.reload", "failed", "2026-12-06T13:00:00Z", jid="j4"))
    ops.on_job(job("tenant.drain", "succeeded", "2026-12-06T13:00:00Z", tenant="beta", jid="j5"))
    assert ops.state("acme") == ("serving", "j3")
    assert ops.state("beta") == ("drained", "j5")


class LagStore:
    def __init__(self) -> None:
        self.calls = 0
        self.down = False
        self.gate = asyncio.Event()

    async def query_range(self, expr: str, start: float, end: float, step: float) -> list[Series]:
        self.calls += 1
        await self.gate.wait()
        if self.down:
            raise MetricsUnavailable("down")
        return [
            Series(labels={"tenant": "acme"}, points=[(start, 5.0), (end, 12.0)]),
            Series(labels={"tenant": "beta"}, points=[(start, 3.0), (end, None)]),
            Series(labels={"tenant": "__other__"}, points=[(end, 99.0)]),
        ]


async def test_lag_is_refreshed_in_the_background_and_never_waited_for() -> None:
    store = LagStore()
    now = [1000.0]
    lag = TenantLag(MetricsService(store, cache_s=0), ttl_s=10, clock=lambda: now[0])
    assert lag.current() == ({}, None)  # nothing yet: the list does not wait for the store
    assert lag.current() == ({}, None)
    store.gate.set()
    await asyncio.sleep(0.01)
    assert store.calls == 1  # one refresh in flight at a time
    now[0] += 4
    values, age = lag.current()
    assert values == {"acme": 12, "beta": 3} and age == 4.0  # latest number; __other__ dropped
    assert store.calls == 1  # within the TTL: no new query
    now[0] += 10
    store.down = True
    assert lag.current()[0] == {"acme": 12, "beta": 3}
    await asyncio.sleep(0.01)
    assert store.calls == 2
    assert lag.current()[0] == {"acme": 12, "beta": 3}  # a failed refresh keeps the last figures
    await lag.stop()


def test_without_a_store_there_is_no_lag_and_no_query() -> None:
    lag = TenantLag(MetricsService(None))
    assert lag.current() == ({}, None)
