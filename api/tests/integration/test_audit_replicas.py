"""Two API processes on one nats-server answer the same about audit events older than their
caches (issue 19): the export of an old range is byte-identical (NDJSON and CSV) and the search
of it walks the same pages with the same cursors, and both are what the stream holds."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import msgspec
import nats
import pytest

from cloudlysis_control.adapters.nats.state import STREAM_AUDIT, NatsState
from tests.support.audit_stream import append_events
from tests.support.replicas import api_replicas

pytestmark = pytest.mark.integration
CACHE = 100


async def _walk(api: httpx.AsyncClient, params: dict[str, Any]) -> list[dict[str, Any]]:
    pages: list[dict[str, Any]] = []
    cursor = None
    while True:
        r = await api.get(
            "/admin/v1/audit", params={**params, **({"cursor": cursor} if cursor else {})}
        )
        assert r.status_code == 200, r.text
        page = r.json()
        pages.append(page)
        cursor = page["next_cursor"]
        if cursor is None:
            return pages


async def test_replicas_export_and_search_an_old_range_identically(
    own_nats: str, tmp_path: Path
) -> None:
    state = NatsState(url=own_nats)
    await state.connect()
    await state.provision([], [STREAM_AUDIT])
    await state.close()
    nc = await nats.connect(own_nats)
    try:
        js = nc.jetstream()
        events = await append_events(js, 0, 1000, batch=100)
        await asyncio.sleep(0.02)  # the next batches get later times
        events = (events or []) + (await append_events(js, 1000, 2000, batch=100) or [])
        async with api_replicas(tmp_path, own_nats, CONTROL_AUDIT_CACHE_EVENTS=str(CACHE)) as r:
            since, until = events[150].at, events[900].at  # far older than the newest 100
            expected = [e for e in reversed(events) if since <= e.at < until]
            assert len(expected) > CACHE * 5
            bodies: dict[str, list[bytes]] = {"ndjson": [], "csv": []}
            searches = []
            for url in r.urls:
                async with httpx.AsyncClient(base_url=url, headers=r.headers, timeout=60) as api:
                    for fmt in bodies:
                        got = await api.get(
                            "/admin/v1/audit/export",
                            params={"since": since, "until": until, "format": fmt},
                        )
                        assert got.status_code == 200, got.text
                        bodies[fmt].append(got.content)
                    searches.append(
                        await _walk(
                            api, {"since": since, "until": until, "actor": "bob", "limit": 37}
                        )
                    )
            assert bodies["ndjson"][0] == bodies["ndjson"][1]
            assert bodies["csv"][0] == bodies["csv"][1]
            assert bodies["ndjson"][0] == b"".join(msgspec.json.encode(e) + b"\n" for e in expected)
            assert bodies["csv"][0].count(b"\r\n") == len(expected) + 1
            assert searches[0] == searches[1]
            found = [row["id"] for page in searches[0] for row in page["items"]]
            assert found == [e.id for e in expected if e.actor == "bob"]
            assert len(searches[0]) > 2  # several pages, continued by cursors
    finally:
        await nc.close()
