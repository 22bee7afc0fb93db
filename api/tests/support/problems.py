from __future__ import annotations

from typing import Any


def problem(resp: Any, status: int | None = None) -> dict[str, Any]:
    """The RFC 9457 body of an error answer, after checking its shape and the echoed ids."""
    if status is not None:
        assert resp.status_code == status, (resp.status_code, resp.text[:300])
    assert resp.headers["content-type"].startswith("application/problem+json"), resp.text
    body: dict[str, Any] = resp.json()
    for member in ("type", "title", "status", "code", "request_id"):
        assert member in body, body
    assert body["status"] == resp.status_code
    assert body["request_id"] == resp.headers["x-request-id"]
    return body
