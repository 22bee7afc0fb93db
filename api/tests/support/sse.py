"""Reading a server-sent events stream in tests."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Event:
    event: str
    id: str | None
    data: Any


@dataclass
class _Parser:
    """One line at a time; an event when a blank line ends it (comments skipped)."""

    name: str = "message"
    ident: str | None = None
    data: list[str] = field(default_factory=list)

    def feed(self, line: str) -> Event | None:
        if line == "":
            event = (
                Event(self.name, self.ident, json.loads("\n".join(self.data)))
                if self.data
                else None
            )
            self.name, self.ident, self.data = "message", None, []
            return event
        if line.startswith("event: "):
            self.name = line[len("event: ") :]
        elif line.startswith("id: "):
            self.ident = line[len("id: ") :]
        elif line.startswith("data: "):
            self.data.append(line[len("data: ") :])
        return None


async def events(resp: httpx.Response) -> AsyncIterator[Event]:
    """The events of an open text/event-stream response (comments skipped)."""
    parser = _Parser()
    async for line in resp.aiter_lines():
        if (event := parser.feed(line)) is not None:
            yield event


def events_sync(resp: httpx.Response) -> Iterator[Event]:
    """The same for a synchronous client's streamed response."""
    parser = _Parser()
    for line in resp.iter_lines():
        if (event := parser.feed(line)) is not None:
            yield event
