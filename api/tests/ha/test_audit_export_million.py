"""Audit export of 1,000,000 events from either of two API replicas (issue 19, Evidence): the
same bytes (sha256) and every line, read from the stream with memory that does not grow with
the log. Each process's peak RSS (VmHWM) is printed before and after its export; the growth must
stay under RSS_GROWTH_BOUND_MB.

The events are appended straight to the stream with nats-py (batches of unacknowledged
publishes, each closed by one acknowledged publish), as the API would have written them."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import httpx
import nats
import pytest

from cloudlysis_control.adapters.nats.state import STREAM_AUDIT, NatsState
from tests.support.audit_stream import append_events
from tests.support.replicas import api_replicas, peak_rss_kb

pytestmark = pytest.mark.integration

EVENTS = 1_000_000
CACHE = 1_000  # far fewer than the log: the export reads the stream
# Measured growth of VmHWM across a 1,000,000-event export: see docs/performance.md
# ("Issue 19 — queries from JetStream"). The bound is a memory bound, not a timing one: an
# export that held its events (≈ 400 bytes of JSON each, far more as objects) would grow by
# hundreds of MB.
RSS_GROWTH_BOUND_MB = 64


async def test_a_million_event_export_is_identical_from_both_replicas_in_bounded_memory(
    own_nats: str, tmp_path: Path
) -> None:
    state = NatsState(url=own_nats)
    await state.connect()
    await state.provision([], [STREAM_AUDIT])
    await state.close()
    nc = await nats.connect(own_nats)
    try:
        js = nc.jetstream()
        started = time.monotonic()
        await append_events(js, 0, EVENTS)
        info = await js.stream_info(STREAM_AUDIT.name)
        print(f"\nappended {EVENTS:,} events in {time.monotonic() - started:.1f} s")
        assert info.state.messages == EVENTS
    finally:
        await nc.close()
    async with api_replicas(tmp_path, own_nats, CONTROL_AUDIT_CACHE_EVENTS=str(CACHE)) as r:
        digests, lines = [], []
        for url, proc in zip(r.urls, r.procs, strict=True):
            before = peak_rss_kb(proc.pid)
            sha = hashlib.sha256()
            n = size = 0
            started = time.monotonic()
            async with (
                httpx.AsyncClient(base_url=url, headers=r.headers, timeout=600) as api,
                api.stream("GET", "/admin/v1/audit/export", params={"format": "ndjson"}) as got,
            ):
                assert got.status_code == 200
                async for chunk in got.aiter_bytes():
                    sha.update(chunk)
                    n += chunk.count(b"\n")
                    size += len(chunk)
            took = time.monotonic() - started
            after = peak_rss_kb(proc.pid)
            print(
                f"{url}: {n:,} lines, {size / 1e6:.0f} MB in {took:.1f} s "
                f"({n / took:,.0f} events/s, {size / 1e6 / took:.1f} MB/s); "
                f"peak RSS {before / 1024:.1f} MB before, {after / 1024:.1f} MB after "
                f"(+{(after - before) / 1024:.1f} MB)"
            )
            digests.append(sha.hexdigest())
            lines.append(n)
            assert (after - before) / 1024 < RSS_GROWTH_BOUND_MB
        assert digests[0] == digests[1]
        assert lines[0] == lines[1] == EVENTS
