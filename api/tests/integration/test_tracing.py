"""Server spans: named by route template, parented on the incoming traceparent, ids echoed.

The app runs against the session's real nats-server (its lifespan needs state); spans go to an
in-memory exporter.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from cloudlysis_control.bootstrap.app import create_app
from cloudlysis_control.core.tracing import Tracing
from tests.support.auth import FakeRights, bearer
from tests.support.settings import app_settings

Client = AsyncTestClient[Litestar]

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    exp = InMemorySpanExporter()
    yield exp
    exp.clear()


async def _client(
    nats_url: str, secret_file: Path, tmp_path: Path, exporter: InMemorySpanExporter, ratio: float
) -> AsyncIterator[Client]:
    tracing = Tracing.from_settings(None, ratio, "v", extra_processor=SimpleSpanProcessor(exporter))
    app = create_app(
        app_settings(nats_url, secret_file, tmp_path), rights_source=FakeRights(), tracing=tracing
    )
    async with AsyncTestClient(app=app) as c:
        yield c


@pytest.fixture
async def client(
    nats_url: str, secret_file: Path, tmp_path: Path, exporter: InMemorySpanExporter
) -> AsyncIterator[Client]:
    async for c in _client(nats_url, secret_file, tmp_path, exporter, 1.0):
        yield c


@pytest.fixture
async def unsampled_client(
    nats_url: str, secret_file: Path, tmp_path: Path, exporter: InMemorySpanExporter
) -> AsyncIterator[Client]:
    async for c in _client(nats_url, secret_file, tmp_path, exporter, 0.0):
        yield c


def _server_spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.kind == SpanKind.SERVER]


def _only_span_for(exporter: InMemorySpanExporter, trace_id: str) -> ReadableSpan:
    spans = [s for s in _server_spans(exporter) if format(s.context.trace_id, "032x") == trace_id]
    assert len(spans) == 1, [s.name for s in spans]
    return spans[0]


async def test_span_names_use_route_templates(
    client: Client, exporter: InMemorySpanExporter
) -> None:
    job_id = f"j_{uuid.uuid4().hex}"
    cases = [
        ("GET", f"/admin/v1/jobs/{job_id}", "GET /admin/v1/jobs/{job_id}", 404),
        ("GET", "/admin/v1/jobs", "GET /admin/v1/jobs", 200),
        ("GET", "/admin/v1/whoami", "GET /admin/v1/whoami", 200),
        ("GET", "/admin/v1/iam/users/u-123", "GET /admin/v1/iam/{path}", 503),
        ("POST", "/admin/v1/jobs/kinds/no.such.kind", "POST /admin/v1/jobs/kinds/{kind}", 404),
        ("GET", "/health", "GET /health", 200),
    ]
    for method, path, expected_name, status in cases:
        exporter.clear()
        headers = {**bearer(), "Idempotency-Key": uuid.uuid4().hex}
        r = await client.request(
            method, path, headers=headers, json={"reason": "x"} if method == "POST" else None
        )
        assert r.status_code == status, (path, r.text)
        spans = _server_spans(exporter)
        assert [s.name for s in spans] == [expected_name], (path, [s.name for s in spans])
        span = spans[0]
        assert span.attributes is not None
        assert span.attributes["http.route"] == expected_name.split(" ", 1)[1]
        assert span.attributes["http.request.method"] == method
        assert span.attributes["http.response.status_code"] == status
        assert job_id not in span.name and "u-123" not in span.name
        # the echoed traceparent names this very span
        out = r.headers["traceparent"].split("-")
        assert out[1] == format(span.context.trace_id, "032x")
        assert out[2] == format(span.context.span_id, "016x")
        assert out[3] == "03"  # a new trace: sampled, and its trace-id is random (Level 2)


async def test_unmatched_path_is_not_the_span_name(
    client: Client, exporter: InMemorySpanExporter
) -> None:
    exporter.clear()
    secret_path = f"/no/such/{uuid.uuid4().hex}"
    r = await client.get(secret_path)
    assert r.status_code == 404
    [span] = _server_spans(exporter)
    assert secret_path not in span.name and span.name.startswith("GET ")


async def test_incoming_traceparent_is_the_remote_parent(
    client: Client, exporter: InMemorySpanExporter
) -> None:
    exporter.clear()
    r = await client.get(
        "/admin/v1/whoami",
        headers={
            **bearer(),
            "traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01",
            "tracestate": "rojo=00f067aa0ba902b7",
        },
    )
    assert r.status_code == 200
    span = _only_span_for(exporter, TRACE_ID)
    assert span.parent is not None
    assert span.parent.is_remote
    assert format(span.parent.span_id, "016x") == PARENT_ID
    assert format(span.parent.trace_id, "032x") == TRACE_ID
    assert span.name == "GET /admin/v1/whoami"
    server_span_id = format(span.context.span_id, "016x")
    assert server_span_id != PARENT_ID
    assert r.headers["traceparent"] == f"00-{TRACE_ID}-{server_span_id}-01"
    assert r.headers["tracestate"] == "rojo=00f067aa0ba902b7"


@pytest.mark.parametrize("flags", ["02", "03"])
async def test_random_trace_id_flag_survives_the_server_span(
    client: Client, exporter: InMemorySpanExporter, flags: str
) -> None:
    # Level 2: the random-trace-id flag of a continued trace is kept as received; the span
    # adopted from OpenTelemetry must not mask it away.
    exporter.clear()
    r = await client.get(
        "/admin/v1/whoami",
        headers={**bearer(), "traceparent": f"00-{TRACE_ID}-{PARENT_ID}-{flags}"},
    )
    assert r.status_code == 200
    out = r.headers["traceparent"].split("-")
    assert out[1] == TRACE_ID and out[3] == flags
    if flags == "03":
        span = _only_span_for(exporter, TRACE_ID)
        assert span.context.trace_flags.random_trace_id
        assert out[2] == format(span.context.span_id, "016x")
    else:
        assert _server_spans(exporter) == []  # not sampled: nothing recorded


async def test_errors_are_spans_too(client: Client, exporter: InMemorySpanExporter) -> None:
    exporter.clear()
    tp = f"00-{TRACE_ID}-{PARENT_ID}-01"
    r = await client.get("/admin/v1/jobs", headers={"traceparent": tp})
    assert r.status_code == 401
    span = _only_span_for(exporter, TRACE_ID)
    assert span.name == "GET /admin/v1/jobs"
    assert r.headers["traceparent"].split("-")[2] == format(span.context.span_id, "016x")


async def test_new_trace_without_parent(client: Client, exporter: InMemorySpanExporter) -> None:
    exporter.clear()
    r = await client.get("/admin/v1/whoami", headers=bearer())
    [span] = _server_spans(exporter)
    assert span.parent is None
    out = r.headers["traceparent"].split("-")
    assert out[1] == format(span.context.trace_id, "032x")
    assert out[2] == format(span.context.span_id, "016x")


async def test_unsampled_parent_is_not_recorded_but_propagated(
    client: Client, exporter: InMemorySpanExporter
) -> None:
    exporter.clear()
    r = await client.get(
        "/admin/v1/whoami", headers={**bearer(), "traceparent": f"00-{TRACE_ID}-{PARENT_ID}-00"}
    )
    assert r.status_code == 200
    assert _server_spans(exporter) == []
    out = r.headers["traceparent"].split("-")
    assert out[0] == "00" and out[1] == TRACE_ID and out[3] == "00"
    assert len(out[2]) == 16 and out[2] != PARENT_ID and out[2] != "0" * 16


async def test_ratio_zero_without_parent_records_nothing_but_echoes_ids(
    unsampled_client: Client, exporter: InMemorySpanExporter
) -> None:
    exporter.clear()
    seen = set()
    for _ in range(5):
        r = await unsampled_client.get("/admin/v1/whoami", headers=bearer())
        assert r.status_code == 200
        version, trace_id, span_id, flags = r.headers["traceparent"].split("-")
        assert version == "00" and flags == "02"  # not sampled; random trace-id
        assert len(trace_id) == 32 and trace_id != "0" * 32
        assert len(span_id) == 16 and span_id != "0" * 16
        assert r.headers["x-request-id"] and r.headers["x-correlation-id"]
        seen.add(trace_id)
    assert len(seen) == 5  # every request is its own (unrecorded) trace
    assert exporter.get_finished_spans() == ()


async def test_ratio_zero_still_follows_a_sampled_parent(
    unsampled_client: Client, exporter: InMemorySpanExporter
) -> None:
    exporter.clear()
    r = await unsampled_client.get(
        "/admin/v1/whoami", headers={**bearer(), "traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"}
    )
    span = _only_span_for(exporter, TRACE_ID)  # ParentBased: the caller decided to sample
    assert r.headers["traceparent"] == (f"00-{TRACE_ID}-{format(span.context.span_id, '016x')}-01")


def test_tracing_disabled_without_exporter() -> None:
    tracing = Tracing.from_settings(None, 1.0, "v")
    assert not tracing.enabled
    assert tracing.provider is None
