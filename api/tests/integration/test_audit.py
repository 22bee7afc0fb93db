"""Audit trail: filters, cursor pagination, export, denials, and fail-closed mutations."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from cloudlysis_control.adapters.nats.state import BUCKET_JOBS, NatsKeyValue
from cloudlysis_control.audit.service import AuditService
from cloudlysis_control.core.errors import AuditWriteFailed, StateUnavailable
from cloudlysis_control.core.metrics import Metrics
from cloudlysis_control.jobs.creation import JobCreation
from cloudlysis_control.jobs.engine import JobEngine
from cloudlysis_control.jobs.kinds import KindRegistry
from cloudlysis_control.jobs.service import JobService
from cloudlysis_control.jobs.store import JobStore
from cloudlysis_control.ports import StreamMessage
from tests.support.auth import bearer
from tests.support.jobs import ScriptedKind, job_request_with, make_replica

pytestmark = pytest.mark.integration
Client = AsyncTestClient[Litestar]


async def seed(client: Client, actor_tag: str, n: int) -> str:
    """n denied requests from principal 'viewer' sharing one correlation id."""
    corr = f"seed-{actor_tag}"
    for _ in range(n):
        r = await client.post(
            "/admin/v1/jobs/kinds/platform.verify",
            json={"reason": "x"},
            headers={
                **bearer("viewer"),
                "Idempotency-Key": uuid.uuid4().hex,
                "x-correlation-id": corr,
            },
        )
        assert r.status_code == 403
    return corr


async def test_filters_and_cursor_pagination(client: Client) -> None:
    corr = await seed(client, uuid.uuid4().hex, 7)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"correlation_id": corr, "limit": "3"}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/admin/v1/audit", params=params, headers=bearer())).json()
        seen += [e["id"] for e in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and len(seen) == 7 and len(set(seen)) == 7
    ats = [
        e["at"]
        for e in (
            await client.get("/admin/v1/audit", params={"correlation_id": corr}, headers=bearer())
        ).json()["items"]
    ]
    assert ats == sorted(ats, reverse=True)
    for params, expected in [
        ({"actor": "viewer", "correlation_id": corr}, 7),
        ({"actor": "admin", "correlation_id": corr}, 0),
        ({"outcome": "denied", "correlation_id": corr}, 7),
        ({"outcome": "succeeded", "correlation_id": corr}, 0),
        ({"action": "authz.deny", "correlation_id": corr}, 7),
        ({"since": "2999-01-01T00:00:00Z", "correlation_id": corr}, 0),
        ({"until": "2000-01-01T00:00:00Z", "correlation_id": corr}, 0),
    ]:
        items = (
            await client.get("/admin/v1/audit", params={**params, "limit": "50"}, headers=bearer())
        ).json()["items"]
        assert len(items) == expected, params
    # Time bounds compare as times, whatever form they take: `since` inclusive, `until`
    # exclusive (they compared as text: "…00Z" without milliseconds, or an offset, landed on
    # the wrong side of the boundary).
    oldest = datetime.fromisoformat(ats[-1].replace("Z", "+00:00"))
    forms = [
        ats[-1],
        oldest.isoformat(),
        oldest.astimezone(timezone(timedelta(hours=2))).isoformat(),
    ]
    for form in forms:
        for bound, expected in [("since", 7), ("until", 0)]:
            params = {bound: form, "correlation_id": corr, "limit": "50"}
            r = await client.get("/admin/v1/audit", params=params, headers=bearer())
            assert r.status_code == 200, r.text
            assert len(r.json()["items"]) == expected, params
    r = await client.get("/admin/v1/audit", params={"since": "yesterday"}, headers=bearer())
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_filter_by_job_id(client: Client, nats_url: str) -> None:
    # Events written by another replica on the same stream; the API follows it.
    writer = await make_replica(nats_url, ScriptedKind(name="test.audit"), "writer")
    jobs = [f"j_{uuid.uuid4().hex}" for _ in range(2)]
    try:
        for job_id in jobs:
            for action in ("job.create.test", "job.succeeded"):
                await writer.audit.record(
                    actor="admin",
                    action=action,
                    target=f"job:{job_id}",
                    outcome="accepted",
                    job_id=job_id,
                )
    finally:
        await writer.stop()
    for job_id in jobs:
        for path in ("/admin/v1/audit", "/admin/v1/audit/export"):
            for _ in range(100):
                r = await client.get(path, params={"job_id": job_id}, headers=bearer())
                assert r.status_code == 200, r.text
                events = (
                    r.json()["items"]
                    if path.endswith("audit")
                    else [json.loads(line) for line in r.text.splitlines()]
                )
                if len(events) == 2:
                    break
                await asyncio.sleep(0.05)
            assert {e["job_id"] for e in events} == {job_id}, events
            assert {e["action"] for e in events} == {"job.create.test", "job.succeeded"}
    none = await client.get("/admin/v1/audit", params={"job_id": "j_" + "0" * 32}, headers=bearer())
    assert none.json()["items"] == []


async def test_bad_query_parameters_are_400(client: Client) -> None:
    for params in (
        {"limit": "0"},
        {"limit": "501"},
        {"outcome": "maybe"},
        {"cursor": "%%%not-base64"},
    ):
        r = await client.get("/admin/v1/audit", params=params, headers=bearer())
        assert r.status_code == 400, (params, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")


async def test_export_ndjson_and_csv(client: Client) -> None:
    corr = await seed(client, uuid.uuid4().hex, 3)
    r = await client.get(
        "/admin/v1/audit/export", params={"correlation_id": corr}, headers=bearer()
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert len(lines) == 3 and all(e["correlation_id"] == corr for e in lines)
    r = await client.get(
        "/admin/v1/audit/export", params={"correlation_id": corr, "format": "csv"}, headers=bearer()
    )
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 3 and rows[0]["outcome"] == "denied" and rows[0]["actor"] == "viewer"
    # Export needs its own right: a viewer is refused (and that refusal is audited too).
    r = await client.get("/admin/v1/audit/export", headers=bearer("viewer"))
    assert r.status_code == 403 and r.json()["missing_right"] == "control.audit.export"


async def test_investigate_finds_jobs_and_events_by_any_id(client: Client) -> None:
    corr = f"inv-{uuid.uuid4().hex}"
    r = await client.post(
        "/admin/v1/jobs/kinds/platform.verify",
        json={"reason": "x"},
        headers={
            **bearer("viewer"),
            "Idempotency-Key": "k",
            "x-correlation-id": corr,
            "x-request-id": corr + "-req",
        },
    )
    trace_id = r.headers["traceparent"].split("-")[1]
    for value, kind in [
        (corr, "correlation_id"),
        (corr + "-req", "request_id"),
        (trace_id, "trace_id"),
    ]:
        body = (
            await client.get("/admin/v1/investigate", params={"id": value}, headers=bearer())
        ).json()
        assert kind in body["kinds"], (value, body)
        assert [e["correlation_id"] for e in body["audit_events"]] == [corr]
    body = (
        await client.get("/admin/v1/investigate", params={"id": "nothing-here"}, headers=bearer())
    ).json()
    assert body["kinds"] == [] and body["jobs"] == [] and body["audit_events"] == []
    r = await client.get("/admin/v1/investigate", params={"id": "bad id!"}, headers=bearer())
    assert r.status_code == 400


class FailingLog:
    async def append(self, data: bytes, msg_id: str) -> int:
        raise StateUnavailable("stream unavailable")

    async def follow(self, from_seq: int) -> AsyncIterator[StreamMessage]:  # pragma: no cover
        if False:
            yield StreamMessage(0, b"")


async def test_mutation_fails_closed_when_audit_cannot_be_written(nats_url: str) -> None:
    kind = ScriptedKind(name=f"test.k{uuid.uuid4().hex[:8]}")
    replica = await make_replica(nats_url, kind, "audit-fail")
    try:
        metrics = Metrics()
        failing = AuditService(FailingLog(), metrics)
        kinds = KindRegistry()
        kinds.register(kind)
        store = JobStore(NatsKeyValue(replica.nats, BUCKET_JOBS))
        engine = JobEngine(store, kinds, failing, metrics, instance_id="x")
        service = JobService(JobCreation(store, kinds, engine, failing))
        key = uuid.uuid4().hex
        with pytest.raises(AuditWriteFailed):
            await service.create(
                kind_name=kind.name,
                **job_request_with("admin", reason="r"),
                idempotency_key=key,
            )
        assert list(store.all()) == []
        assert kind.executions == []
        # The key was released: once the audit trail is back, the same request goes through.
        job = await replica.service.create(
            kind_name=kind.name,
            **job_request_with("admin", reason="r"),
            idempotency_key=key,
        )
        assert job.status == "pending"
    finally:
        await replica.stop()
