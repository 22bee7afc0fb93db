"""Helpers so every operation documents the problems it can return."""

from __future__ import annotations

from litestar.openapi.datastructures import ResponseSpec

from cloudlysis_control.core.problems import PROBLEM_MEDIA_TYPE, Problem

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
