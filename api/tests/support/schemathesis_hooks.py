"""Loaded by the schemathesis CLI (SCHEMATHESIS_HOOKS=tests.support.schemathesis_hooks): our own
check on top of `--checks all`."""

from __future__ import annotations

import json
from typing import Any

import schemathesis

PROBLEM = "application/problem+json"


@schemathesis.check
def errors_are_problems(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """Every 4xx/5xx is problem+json whose `status` is the HTTP status and whose `request_id`
    is the response's x-request-id (the IAM pass-through keeps the Gateway's own errors)."""
    if response.status_code < 400:
        return None
    if str(case.operation.path).startswith("/admin/v1/iam/"):
        return None
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.startswith(PROBLEM), (
        f"{response.status_code} answered with content-type {content_type!r}, not {PROBLEM}"
    )
    try:
        body: Any = json.loads(response.content)
    except ValueError as e:
        raise AssertionError(f"problem body is not JSON: {response.content[:200]!r}") from e
    assert isinstance(body, dict), f"problem body is not an object: {body!r}"
    for member in ("type", "title", "status", "code", "request_id"):
        assert member in body, f"problem lacks {member!r}: {body}"
    assert body["status"] == response.status_code, body
    assert [body["request_id"]] == response.headers.get("x-request-id"), body
    return True
