"""GET /admin/v1/events: the console's one live stream (server-sent events)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import HeaderParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from cloudlysis_control.auth.middleware import authenticate
from cloudlysis_control.auth.principal import Principal
from cloudlysis_control.auth.rights import RightsResolver
from cloudlysis_control.auth.tokens import TokenVerifier
from cloudlysis_control.core.errors import ControlError
from cloudlysis_control.core.openapi import problems
from cloudlysis_control.core.scope import SCOPE_ANY
from cloudlysis_control.live.bus import EVENT_ID_PATTERN, EventBus, LiveEvent
from cloudlysis_control.live.service import (
    Grant,
    Heartbeat,
    LiveService,
    Recheck,
    Resync,
    SessionEnded,
)

LastEventId = Annotated[
    str | None,
    HeaderParameter(
        name="Last-Event-ID",
        pattern=EVENT_ID_PATTERN,
        description="Resume after this event (sent back by EventSource clients on reconnect)",
    ),
]


def _messages(items: AsyncIterator[Any], bus: EventBus) -> AsyncIterator[ServerSentEventMessage]:
    async def gen() -> AsyncIterator[ServerSentEventMessage]:
        async for item in items:
            if isinstance(item, Heartbeat):
                yield ServerSentEventMessage(comment="heartbeat", data=None)
            elif isinstance(item, Resync):
                yield ServerSentEventMessage(
                    event="resync", id=item.last_id, data=msgspec.json.encode({}).decode()
                )
            elif isinstance(item, SessionEnded):
                data = msgspec.json.encode({"reason": item.reason}).decode()
                yield ServerSentEventMessage(event="session_ended", data=data)
            elif isinstance(item, LiveEvent):
                yield ServerSentEventMessage(
                    event=item.topic,
                    id=bus.event_id(item.id),
                    data=msgspec.json.encode(item.data).decode(),
                )

    return gen()


def _recheck(verifier: TokenVerifier, resolver: RightsResolver, user: Principal) -> Recheck:
    """Who the stream's caller is now, as a request would find it (`authenticate`): their
    grant, or why the stream must end."""

    async def recheck() -> Grant | str:
        try:
            now, _ = await authenticate(verifier, resolver, user.authorization)
        except ControlError as e:  # expired, revoked, disabled; or the Gateway cannot say
            return e.detail
        except Exception:  # anything else: fail closed as well (the client reconnects)
            return "the session could not be checked"
        return Grant(now.rights, now.tenant_rights)

    return recheck


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
        "`Last-Event-ID` to resume. The caller is checked again every rights-cache TTL: a "
        "token expired, a session revoked or a user disabled gets `session_ended` and the "
        "stream ends; changed rights apply to the open stream.",
        media_type="text/event-stream",
    )
    async def stream(
        self,
        request: Request[Principal, Any, Any],
        live: NamedDependency[LiveService],
        last_event_id: LastEventId = None,
    ) -> ServerSentEvent:
        user = request.user
        state = request.app.state
        recheck = _recheck(state.token_verifier, state.rights_resolver, user)
        items = live.stream(user.rights, last_event_id, user.tenant_rights, recheck)
        return ServerSentEvent(_messages(items, live.bus), headers={"Cache-Control": "no-store"})
