"""Helpers so every operation documents the problems it can return."""

from __future__ import annotations

from typing import Annotated, Any

from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter, PathParameter, QueryParameter

from cloudlysis_control.core.pagination import CURSOR_PATTERN, MAX_LIMIT
from cloudlysis_control.core.problems import PROBLEM_MEDIA_TYPE, Problem
from cloudlysis_control.core.validation import (
    IDEMPOTENCY_KEY_PATTERN,
    SERVICE_NAME_PATTERN,
    TENANT_ID_PATTERN,
)

_DESCRIPTIONS = {
    400: "Bad request (problem+json with a stable code)",
    401: "Missing, invalid or expired token",
    403: "The caller lacks the right the route declares (`missing_right`)",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict (lock held, idempotency key reused, stale plan)",
    422: "Unprocessable (preflight refused)",
    500: "Internal error (no details are exposed)",
    502: "Upstream answered with an error",
    503: "A dependency is unavailable (state store, Gateway)",
    504: "Upstream timed out",
}

AUTHENTICATED = (400, 401, 403, 500, 503)
# Route option of the few routes anyone may call (no token): they also declare `security=[]`.
PUBLIC = {"public": True}


def success(
    model: type[Any], description: str = "Request fulfilled, document follows"
) -> ResponseSpec:
    """The 200 of a handler that answers a prebuilt ASGIResponse (its annotation names no
    model): the schema as if it returned `model`."""
    return ResponseSpec(data_container=model, description=description, generate_examples=False)


def problems(*statuses: int, authenticated: bool = True) -> dict[int, ResponseSpec]:
    codes = set(statuses) | (set(AUTHENTICATED) if authenticated else {400, 500})
    return {
        code: ResponseSpec(
            data_container=Problem,
            description=_DESCRIPTIONS.get(code, "Error"),
            media_type=PROBLEM_MEDIA_TYPE,
            generate_examples=False,
        )
        for code in sorted(codes)
    }


# Request parameters several routes share, each with its one rule (core.validation).
IdempotencyKey = Annotated[
    str,
    HeaderParameter(
        name="Idempotency-Key",
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="Unique per attempt (a UUID); repeat it to retry the same request",
    ),
]
TenantIdPath = Annotated[str, PathParameter(pattern=TENANT_ID_PATTERN, description="Tenant id")]
TenantIdHeader = Annotated[
    str, HeaderParameter(name="x-tenant-id", pattern=TENANT_ID_PATTERN, description="Tenant id")
]
Cursor = Annotated[
    str | None,
    QueryParameter(
        pattern=CURSOR_PATTERN, description="Opaque: the `next_cursor` of the previous page"
    ),
]
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT, description="Page size")]
ServiceNamePath = Annotated[
    str, PathParameter(pattern=SERVICE_NAME_PATTERN, description="A Swarm service name")
]
