"""GET /admin/v1/events over a real socket (uvicorn): a change made by one client reaches
another client's stream; a stream carries only what its reader may read; a reconnect with
Last-Event-ID misses nothing."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cloudlysis_devfleet import GatewayConfig, create_gateway_app

from cloudlysis_control.bootstrap.app import create_app
from tests.support.auth import FakeRights, bearer
from tests.support.net import serve_in_thread
from tests.support.settings import app_settings
from tests.support.sse import Event, events

pytestmark = pytest.mark.integration
WATCHER_RIGHTS = frozenset({"control.access", "control.fleet.read"})


@pytest.fixture
def base_url(nats_url: str, secret_file: Path, tmp_path: Path) -> Iterator[str]:
    rights = FakeRights()
    rights.by_sub["watcher"] = WATCHER_RIGHTS
    with serve_in_thread(create_gateway_app(GatewayConfig(data_dir=tmp_path / "gw"))) as gw:
        fleet = tmp_path / "fleet.json"
        fleet.write_text(json.dumps([{"name": "gateway", "kind": "gateway", "url": gw}]))
        settings = app_settings(nats_url, secret_file, tmp_path, CONTROL_FLEET_FILE=str(fleet))
        with serve_in_thread(create_app(settings, rights_source=rights)) as url:
            yield url


async def start_job(api: httpx.AsyncClient) -> str:
    r = await api.post(
        "/admin/v1/jobs/kinds/platform.verify",
        json={"reason": "live", "params": {}},
        headers={**bearer(), "Idempotency-Key": uuid.uuid4().hex},
    )
    assert r.status_code == 202, r.text
    return str(r.json()["id"])


async def collect(
    api: httpx.AsyncClient, who: str, until: Any, headers: dict[str, str] | None = None
) -> list[Event]:
    """Read `who`'s stream until `until(events)` holds (or 10 s pass)."""
    seen: list[Event] = []
    async with api.stream(
        "GET", "/admin/v1/events", headers={**bearer(who), **(headers or {})}
    ) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        try:
            async with asyncio.timeout(10):
                async for event in events(resp):
                    seen.append(event)
                    if until(seen):
                        break
        except TimeoutError:
            pass
    return seen


def job_events(seen: list[Event], job_id: str) -> list[Event]:
    return [e for e in seen if e.event == "job" and e.data["id"] == job_id]


async def test_a_job_started_by_one_client_reaches_the_others_stream(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as api:
        started: list[str] = []

        reader = asyncio.create_task(
            collect(
                api,
                "admin",
                lambda seen: (
                    bool(started)
                    and any(
                        e.data.get("status") == "succeeded" for e in job_events(seen, started[0])
                    )
                ),
            )
        )
        watcher = asyncio.create_task(
            collect(api, "watcher", lambda seen: any(e.event == "fleet" for e in seen))
        )
        await asyncio.sleep(0.5)  # both streams are open
        started.append(await start_job(api))
        seen = await reader
        watched = await watcher
    assert seen[0].event == "resync"  # the first message says where the stream starts
    statuses = [e.data["status"] for e in job_events(seen, started[0])]
    assert "succeeded" in statuses, [(e.event, e.data) for e in seen]
    assert any(e.event == "audit" and e.data.get("job_id") == started[0] for e in seen)
    # The watcher may read the fleet only: no job, no audit event of anybody else.
    assert {e.event for e in watched} <= {"resync", "fleet"}, [e.event for e in watched]


async def test_a_reconnect_with_last_event_id_misses_nothing(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as api:
        first = await start_job(api)
        seen = await collect(
            api,
            "admin",
            lambda s: any(e.data.get("status") == "succeeded" for e in job_events(s, first)),
        )
        last_id = [e.id for e in seen if e.id is not None][-1]
        second = await start_job(api)  # while nobody is listening
        resumed = await collect(
            api,
            "admin",
            lambda s: any(e.data.get("status") == "succeeded" for e in job_events(s, second)),
            headers={"Last-Event-ID": last_id},
        )
    assert all(e.event != "resync" for e in resumed), [e.event for e in resumed]
    assert job_events(resumed, second), [(e.event, e.data) for e in resumed]
    assert not job_events(resumed, first)  # nothing it had already seen is sent again
    epoch, _, last = last_id.rpartition("-")
    assert all(e.id.startswith(f"{epoch}-") for e in resumed if e.id is not None)
    ids = [int(e.id.rpartition("-")[2]) for e in resumed if e.id is not None]
    assert ids == sorted(ids) and ids[0] == int(last) + 1


async def test_an_unknown_last_event_id_asks_for_a_resync(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as api:
        seen = await collect(
            api, "admin", lambda s: bool(s), headers={"Last-Event-ID": "999999999"}
        )
    assert seen[0].event == "resync"


@pytest.fixture
def revocable(nats_url: str, secret_file: Path, tmp_path: Path) -> Iterator[tuple[str, FakeRights]]:
    """The API with a 1 s rights cache, and the rights source a test can revoke sessions in."""
    rights = FakeRights()
    rights.by_sub["watcher"] = WATCHER_RIGHTS
    settings = app_settings(nats_url, secret_file, tmp_path, CONTROL_RIGHTS_CACHE_TTL_S="1")
    with serve_in_thread(create_app(settings, rights_source=rights)) as url:
        yield url, rights


async def test_an_open_stream_ends_when_its_session_is_revoked(
    revocable: tuple[str, FakeRights],
) -> None:
    base_url, rights = revocable
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as api:
        opened = asyncio.Event()

        def until(seen: list[Event]) -> bool:
            opened.set()
            return any(e.event == "session_ended" for e in seen)

        reader = asyncio.create_task(collect(api, "watcher", until))
        await asyncio.wait_for(opened.wait(), 10)  # the stream is open (its resync came)
        rights.revoked.add("s-watcher")
        seen = await reader
        ended = [e for e in seen if e.event == "session_ended"]
        assert ended, [e.event for e in seen]
        assert ended[0].data == {"reason": "session is revoked"}
        # The stream closed after it, and a new one is refused as any request would be.
        r = await api.get("/admin/v1/events", headers=bearer("watcher"))
        assert r.status_code == 401
        assert r.headers["content-type"].startswith("application/problem+json")


async def test_the_stream_says_no_store_once(base_url: str) -> None:
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=30) as api,
        api.stream("GET", "/admin/v1/events", headers=bearer()) as resp,
    ):
        assert resp.headers.get_list("cache-control") == ["no-store"]


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Last-Event-ID": "not an id"}, 400),
        ({"Last-Event-ID": "x" * 40 + "-1"}, 400),
        ({"authorization": "Bearer nope"}, 401),
        ({"authorization": ""}, 401),
    ],
)
async def test_a_bad_request_for_the_stream_is_a_problem(
    base_url: str, headers: dict[str, str], status: int
) -> None:
    # What schemathesis would send (it leaves this endpoint out: a stream never ends).
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as api:
        r = await api.get("/admin/v1/events", headers={**bearer(), **headers})
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["x-request-id"]
