"""A client that leaves in the middle of a streamed answer ends the answer; it is no fault.

Found by the ASGI fuzz test: an audit export of several chunks, the client gone after the
first, made the server's `send` raise and the exception escaped the app (uvicorn logs that as
"Exception in ASGI application"). Anything else still escapes.
"""

from __future__ import annotations

from typing import Any

import pytest

from cloudlysis_control.core.metrics import Metrics
from cloudlysis_control.core.pipeline import RequestPipeline
from cloudlysis_control.core.tracing import Tracing

SCOPE = {"type": "http", "method": "GET", "path": "/admin/v1/audit/export", "headers": []}


async def _receive() -> dict[str, Any]:
    return {"type": "http.disconnect"}


def _streaming_app(fail: BaseException) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}\n", "more_body": True})
        try:
            await send({"type": "http.response.body", "body": b"{}\n", "more_body": True})
        except OSError as e:  # what Litestar does with it
            raise RuntimeError("Exception caught after response started") from e
        raise fail

    return app


class _Client:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send(self, message: dict[str, Any]) -> None:
        if len(self.sent) >= 2:
            raise OSError("the client has gone")
        self.sent.append(message)


async def test_a_client_gone_mid_stream_ends_the_answer_quietly() -> None:
    client = _Client()
    pipeline = RequestPipeline(
        _streaming_app(AssertionError("unreached")), Metrics(), Tracing(None)
    )
    await pipeline(dict(SCOPE), _receive, client.send)
    assert [m["type"] for m in client.sent] == ["http.response.start", "http.response.body"]
    assert client.sent[0]["status"] == 200


async def test_other_faults_mid_stream_still_escape() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise ValueError("a bug")

    pipeline = RequestPipeline(app, Metrics(), Tracing(None))
    with pytest.raises(ValueError, match="a bug"):
        await pipeline(dict(SCOPE), _receive, _Client().send)


async def test_an_os_error_before_the_answer_started_still_escapes() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise OSError("the disk is full")

    pipeline = RequestPipeline(app, Metrics(), Tracing(None))
    with pytest.raises(OSError, match="the disk is full"):
        await pipeline(dict(SCOPE), _receive, _Client().send)
