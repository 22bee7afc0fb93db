"""Helpers for the Swarm tests: a per-test copy of the demo fixture, an annotation receiver that
checks payloads against Grafana's annotation API, and polling helpers."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import jsonschema
from litestar import Litestar, Request, Response, get, post

REPO = Path(__file__).resolve().parents[3]
DEMO_FIXTURE = REPO / "config" / "swarm" / "demo.json"
ENGINE_FIXTURE = Path(__file__).parent / "fixtures" / "engine.json"

# POST /api/annotations body, per Grafana's HTTP API docs
# (https://grafana.com/docs/grafana/latest/developer-resources/api-reference/http-api/annotations/):
# text is required; time/timeEnd are epoch milliseconds; tags a list of strings; dashboardUID and
# panelId scope it to a dashboard/panel (absent: an organisation annotation, shown by tag).
GRAFANA_ANNOTATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["text"],
    "additionalProperties": False,
    "properties": {
        "dashboardUID": {"type": "string"},
        "dashboardId": {"type": "integer"},
        "panelId": {"type": "integer"},
        "time": {"type": "integer", "minimum": 0},
        "timeEnd": {"type": "integer", "minimum": 0},
        "tags": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "text": {"type": "string", "minLength": 1},
    },
}

T = TypeVar("T")


def isolated_fixture(
    tmp_path: Path,
    source: Path = DEMO_FIXTURE,
    admin_urls: dict[str, str] | None = None,
    **update_state: str,
) -> Path:
    """The demo fixture with service ids made unique (deployment records in the session-wide
    stream are keyed by service id), optional UpdateStatus states per service name, and
    `cloudlysis.admin_url` labels pointing at real local servers."""
    doc = json.loads(source.read_text())
    for s in doc["services"]:
        url = (admin_urls or {}).get(s["Spec"]["Name"])
        if url is not None:
            s["Spec"]["Labels"]["cloudlysis.admin_url"] = url
    suffix = uuid.uuid4().hex[:8]
    ids = {}
    for s in doc["services"]:
        ids[s["ID"]] = f"{s['ID'][:16]}{suffix}"
        s["ID"] = ids[s["ID"]]
        state = update_state.get(s["Spec"]["Name"])
        if state is not None:
            s["UpdateStatus"] = {
                "State": state,
                "StartedAt": "2026-11-27T01:00:00.000000000Z",
                "Message": f"{state} (fixture)",
            }
    for t in doc["tasks"]:
        t["ServiceID"] = ids.get(t["ServiceID"], t["ServiceID"])
    path = tmp_path / f"swarm-{suffix}.json"
    path.write_text(json.dumps(doc))
    return path


def health_app(ready_status: int = 200) -> Litestar:
    """A service admin endpoint: /health 200, /ready `ready_status`."""

    @get("/health", sync_to_thread=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @get("/ready", sync_to_thread=False)
    def ready() -> Response[dict[str, str]]:
        return Response({"status": "ready"}, status_code=ready_status)

    return Litestar([health, ready])


class AnnotationReceiver:
    """A stand-in for Grafana's POST /api/annotations that validates every payload. It can be
    told to fail the first N requests (to exercise retries)."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.requests = 0
        self.accepted: list[dict[str, Any]] = []
        self.invalid: list[str] = []
        self.auth: list[str | None] = []
        self._lock = threading.Lock()

    def app(self) -> Litestar:
        receiver = self

        @post("/api/annotations", status_code=200)
        async def annotations(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
            body = await request.json()
            with receiver._lock:
                receiver.requests += 1
                receiver.auth.append(request.headers.get("authorization"))
                if receiver.requests <= receiver.fail_first:
                    return Response({"message": "database is locked"}, status_code=500)
                try:
                    jsonschema.validate(body, GRAFANA_ANNOTATION_SCHEMA)
                except jsonschema.ValidationError as e:
                    receiver.invalid.append(e.message)
                    return Response({"message": e.message}, status_code=400)
                receiver.accepted.append(body)
                ident = len(receiver.accepted)
            return Response({"message": "Annotation added", "id": ident})

        return Litestar([annotations])


async def eventually(
    probe: Callable[[], Awaitable[T | None]], timeout_s: float = 60.0, interval_s: float = 0.2
) -> T:
    """Poll until probe() returns something truthy; fail with the last value after timeout."""
    deadline = time.monotonic() + timeout_s
    last: T | None = None
    while time.monotonic() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(interval_s)
    raise AssertionError(f"condition not met within {timeout_s} s (last: {last!r})")
