"""DockerEngine (aiodocker) against a small local Engine-API server on a real unix socket:
the events stream resumes with `since` after a lost connection without losing or repeating
events, and engine errors become our problems (404, 503 swarm_unavailable, 409)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from cloudlysis_control.adapters.docker.engine import DockerEngine
from cloudlysis_control.core.errors import Conflict, NotFound, SwarmUnavailable


def _event(nano: int, state: str) -> dict[str, Any]:
    return {
        "Type": "service",
        "Action": "update",
        "Actor": {"ID": "svc1", "Attributes": {"name": "a", "updatestate.new": state}},
        "time": nano // 1_000_000_000,
        "timeNano": nano,
    }


E1, E2, E3 = (
    _event(1_700_000_000_100_000_000 + i, s)
    for i, s in enumerate(("updating", "completed", "rollback_started"))
)


class FakeEngine:
    def __init__(self) -> None:
        self.since: list[str | None] = []
        self.filters: list[Any] = []

    async def events(self, request: web.Request) -> web.StreamResponse:
        self.since.append(request.query.get("since"))
        self.filters.append(json.loads(request.query["filters"]))
        resp = web.StreamResponse()
        await resp.prepare(request)
        if len(self.since) == 1:
            for e in (E1, E2):
                await resp.write(json.dumps(e).encode() + b"\n")
            return resp  # the connection drops
        for e in (E2, E3):  # the engine repeats what happened at `since`
            await resp.write(json.dumps(e).encode() + b"\n")
        await asyncio.sleep(1)
        return resp

    async def service(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name == "missing":
            return web.json_response({"message": "service missing not found"}, status=404)
        return web.json_response({"ID": "svc1", "Spec": {"Name": name}, "Version": {"Index": 3}})

    async def update(self, request: web.Request) -> web.Response:
        return web.json_response({"message": "update out of sequence"}, status=500)

    async def version(self, request: web.Request) -> web.Response:
        return web.json_response({"ApiVersion": "1.41"})

    async def info(self, request: web.Request) -> web.Response:
        return web.json_response({"Swarm": {"LocalNodeState": "inactive"}})


@pytest.fixture
async def engine_socket(tmp_path: Path) -> AsyncIterator[tuple[str, FakeEngine]]:
    fake = FakeEngine()
    app = web.Application()
    app.router.add_get("/{version}/events", fake.events)
    app.router.add_get("/{version}/services/{name}", fake.service)
    app.router.add_post("/{version}/services/{name}/update", fake.update)
    app.router.add_get("/{version}/info", fake.info)
    app.router.add_get("/version", fake.version)
    runner = web.AppRunner(app)
    await runner.setup()
    path = tmp_path / "docker.sock"
    site = web.UnixSite(runner, str(path))
    await site.start()
    try:
        yield f"unix://{path}", fake
    finally:
        await runner.cleanup()


async def test_events_resume_after_a_dropped_connection(
    engine_socket: tuple[str, FakeEngine],
) -> None:
    url, fake = engine_socket
    engine = DockerEngine(url, None)
    engine.reconnect_delay_s = 0.05
    got: list[dict[str, Any]] = []
    stream: list[bool] = []

    async def collect() -> None:
        async for e in engine.events(since=1_700_000_000.0, on_stream=stream.append):
            got.append(e)
            if len(got) == 3:
                return

    try:
        await asyncio.wait_for(collect(), 10)
    finally:
        await engine.close()
    states = [e["Actor"]["Attributes"]["updatestate.new"] for e in got]
    assert states == ["updating", "completed", "rollback_started"]
    assert fake.since[0] == "1700000000.000000000"
    assert fake.since[1] == "1700000000.100000001"  # resumes at the last event, not before
    assert fake.filters[:2] == [{"type": ["service"]}] * 2  # what the deployments follow
    assert stream == [True, False, True]  # connected, dropped, connected again


async def test_events_can_follow_services_and_nodes(
    engine_socket: tuple[str, FakeEngine],
) -> None:
    url, fake = engine_socket
    engine = DockerEngine(url, None)
    try:
        events = engine.events(since=1_700_000_000.0, types=("service", "node"))
        await asyncio.wait_for(anext(events), 10)
    finally:
        await engine.close()
    assert fake.filters[0] == {"type": ["service", "node"]}


async def test_engine_errors_are_translated(engine_socket: tuple[str, FakeEngine]) -> None:
    url, _ = engine_socket
    engine = DockerEngine(url, None)
    try:
        assert (await engine.service("a"))["Version"]["Index"] == 3
        with pytest.raises(NotFound):
            await engine.service("missing")
        with pytest.raises(Conflict):
            await engine.update("svc1", 2, {"Name": "a"})
        with pytest.raises(SwarmUnavailable):
            await engine.ping()  # not a swarm manager
    finally:
        await engine.close()
    gone = DockerEngine(url + ".gone", None)
    try:
        with pytest.raises(SwarmUnavailable):
            await gone.services()
    finally:
        await gone.close()
