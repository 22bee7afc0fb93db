"""GET /admin/v1/events: the console's one live stream (server-sent events)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import HeaderParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from cloudlysis_control.auth.principal import Principal
from cloudlysis_control.core.openapi import problems
from cloudlysis_control.core.scope import SCOPE_ANY
from cloudlysis_control.live.bus import LiveEvent
from cloudlysis_control.live.service import Heartbeat, LiveService, Resync

LastEventId = Annotated[
    str | None,
    HeaderParameter(
        name="Last-Event-ID",
        pattern=r"^[0-9]{1,18}$",
        description="Resume after this event (sent back by EventSource clients on reconnect)",
    ),
]


def _messages(items: AsyncIterator[Any]) -> AsyncIterator[ServerSentEventMessage]:
    async def gen() -> AsyncIterator[ServerSentEventMessage]:
        async for item in items:
            if isinstance(item, Heartbeat):
                yield ServerSentEventMessage(comment="heartbeat", data=None)
            elif isinstance(item, Resync):
                yield ServerSentEventMessage(
                    event="resync", id=item.last_id, data=msgspec.json.encode({}).decode()
                )
            elif isinstance(item, LiveEvent):
                yield ServerSentEventMessage(
                    event=item.topic, id=item.id, data=msgspec.json.encode(item.data).decode()
                )

    return gen()


class EventsController(Controller):
    path = "/admin/v1/events"
    tags = ["live"]

    @get(
        "/",
        operation_id="StreamEvents",
        opt={"right": "control.access", **SCOPE_ANY},
        responses=problems(),
        description="Server-sent events: `job`, `audit`, `deployment`, `placement`, `fleet` "
        "(each only when the caller may read it: a right held on some tenants only shows "
        "those tenants' events), a `resync` event first and whenever events "
        "may have been missed, and a heartbeat comment every 15 s. Reconnect with "
        "`Last-Event-ID` to resume.",
        media_type="text/event-stream",
    )
    async def stream(
        self,
        request: Request[Principal, Any, Any],
        live: NamedDependency[LiveService],
        last_event_id: LastEventId = None,
    ) -> ServerSentEvent:
        user = request.user
        items = live.stream(user.rights, last_event_id, user.tenant_rights)
        return ServerSentEvent(_messages(items), headers={"cache-control": "no-store"})
