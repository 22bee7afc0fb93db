"""Reading a server-sent events stream in tests."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class Event:
    event: str
    id: str | None
    data: Any


async def events(resp: httpx.Response) -> AsyncIterator[Event]:
    """The events of an open text/event-stream response (comments skipped)."""
    name, ident, data = "message", None, []
    async for line in resp.aiter_lines():
        if line == "":
            if data:
                yield Event(name, ident, json.loads("\n".join(data)))
            name, ident, data = "message", None, []
        elif line.startswith(":"):
            continue
        elif line.startswith("event: "):
            name = line[len("event: ") :]
        elif line.startswith("id: "):
            ident = line[len("id: ") :]
        elif line.startswith("data: "):
            data.append(line[len("data: ") :])
