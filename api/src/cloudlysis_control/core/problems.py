"""RFC 9457 problem+json for every error, mapped once.

Litestar's own errors (router 404/405, request validation, unexpected exceptions) get stable codes
too. Never a stack trace or exception text in a response: unexpected errors are logged with their
traceback and answered with a generic 500.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)

from cloudlysis_control.core.checks import CheckResult, Finding
from cloudlysis_control.core.errors import (
    ControlError,
    IdempotencyKeyInvalid,
    IdempotencyKeyMissing,
    TenantIdInvalid,
    TenantIdMissing,
    Unauthorized,
)
from cloudlysis_control.core.identity import current_identity
from cloudlysis_control.core.logging import get_logger

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://cloudlysis.dev/problems/"

_log = get_logger("control.errors")


class Problem(msgspec.Struct, omit_defaults=True):
    """RFC 9457 problem details, plus a stable machine `code` and the request's ids."""

    type: str
    title: str
    status: int
    code: str
    detail: str | None = None
    request_id: str | None = None
    correlation_id: str | None = None
    missing_right: str | None = None
    # With missing_right: where it was needed, `platform`, `any` or `tenant:<id>`.
    scope: str | None = None
    job_id: str | None = None
    errors: list[dict[str, Any]] | None = None
    failures: list[CheckResult] | None = None  # every failed check of a refusal
    findings: list[Finding] | None = None  # every finding of a config validation
    current_revision: str | None = None  # plan_stale on a config: the revision it moved to
    dependencies: dict[str, Any] | None = None


_PROBLEM_FIELDS = frozenset(Problem.__struct_fields__)


def problem_document(
    status: int, code: str, title: str, detail: str | None = None, **extra: Any
) -> bytes:
    """The problem+json body, with the current request's ids."""
    ident = current_identity.get()
    body: dict[str, Any] = {
        "type": TYPE_BASE + code,
        "title": title,
        "status": status,
        "code": code,
        "detail": detail,
        "request_id": ident.request_id if ident else None,
        "correlation_id": ident.correlation_id if ident else None,
    }
    body.update({k: v for k, v in extra.items() if k in _PROBLEM_FIELDS and v is not None})
    return msgspec.json.encode({k: v for k, v in body.items() if v is not None})


def problem_response(
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response[bytes]:
    return Response(
        content=problem_document(status, code, title, detail, **extra),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers or {},
    )


def header_safe(text: str, max_chars: int = 200) -> str:
    """Text fit for a quoted header parameter (RFC 6750 error_description: printable ASCII
    without `"` and `\\`). Client input reaches some details; a header cannot carry all of it."""
    kept = "".join(c if " " <= c <= "~" and c not in '"\\' else "?" for c in text[:max_chars])
    return kept


def _www_authenticate(detail: str) -> dict[str, str]:
    safe = header_safe(detail)
    return {
        "WWW-Authenticate": 'Bearer realm="cloudlysis-control", error="invalid_token", '
        f'error_description="{safe}"'
    }


def handle_control_error(_request: Request[Any, Any, Any], exc: ControlError) -> Response[bytes]:
    headers = _www_authenticate(exc.detail) if isinstance(exc, Unauthorized) else None
    if exc.status >= 500:
        _log.warning("request failed", code=exc.code, detail=exc.detail)
    return problem_response(exc.status, exc.code, exc.title, exc.detail, headers, **exc.extra)


def handle_http_exception(_request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    if isinstance(exc, NotFoundException):
        return problem_response(404, "not_found", "Not found", "No such resource")
    if isinstance(exc, MethodNotAllowedException):
        return problem_response(
            405,
            "method_not_allowed",
            "Method not allowed",
            "This resource does not support the request's method",
            headers=dict(exc.headers or {}),
        )
    if isinstance(exc, ValidationException):
        errors = exc.extra if isinstance(exc.extra, list) else None
        header = _header_problem(errors, str(exc.detail))
        if header is not None:
            return handle_control_error(_request, header)
        safe_errors = (
            [
                {
                    "message": str(e.get("message", ""))[:300],
                    "key": str(e.get("key", ""))[:100],
                    "source": str(e.get("source", ""))[:20],
                }
                for e in errors
                if isinstance(e, dict)
            ]
            if errors
            else None
        )
        return problem_response(
            400,
            "validation_failed",
            "Request validation failed",
            str(exc.detail)[:500],
            errors=safe_errors,
        )
    if isinstance(exc, NotAuthorizedException):
        return problem_response(
            401,
            "unauthorized",
            "Authentication required",
            str(exc.detail),
            headers=_www_authenticate(str(exc.detail)),
        )
    if isinstance(exc, PermissionDeniedException):
        return problem_response(403, "forbidden", "Forbidden", str(exc.detail))
    status = exc.status_code
    if status >= 500:
        _log.error("http exception", status=status)
        return problem_response(status, "internal_error", "Internal error", None)
    # The title is the code's own (RFC 9457: it does not change between occurrences); what
    # Litestar says about this request (e.g. "JSON is malformed: ...") is the detail.
    code, title = _CLIENT_ERRORS.get(status, ("bad_request", "Bad request"))
    return problem_response(status, code, title, str(exc.detail)[:200] or None)


_CLIENT_ERRORS = {
    413: ("payload_too_large", "Payload too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
    429: ("too_many_requests", "Too many requests"),
}


# Required headers with their own stable codes (the route declares them, Litestar checks them).
_HEADER_ERRORS: dict[str, tuple[type[ControlError], type[ControlError], str]] = {
    "idempotency-key": (
        IdempotencyKeyMissing,
        IdempotencyKeyInvalid,
        "Idempotency-Key must be 1-128 chars of [A-Za-z0-9._:-] (e.g. a UUID)",
    ),
    "x-tenant-id": (TenantIdMissing, TenantIdInvalid, "x-tenant-id must be a tenant id"),
}


_MISSING_HEADER = re.compile(r"^Missing required header parameter '([^']+)'")


def _header_problem(errors: list[Any] | None, detail: str) -> ControlError | None:
    """The stable code of a missing or invalid Idempotency-Key / x-tenant-id header."""
    missing_header = _MISSING_HEADER.match(detail)
    if missing_header is not None:
        found = _HEADER_ERRORS.get(missing_header.group(1).lower())
        return found[0](f"send the {missing_header.group(1)} header") if found else None
    if not errors or len(errors) != 1 or not isinstance(errors[0], dict):
        return None
    error = errors[0]
    found = _HEADER_ERRORS.get(str(error.get("key", "")).lower())
    if found is None or error.get("source") != "header":
        return None
    missing, invalid, rule = found
    if str(error.get("message", "")).startswith("Missing required"):
        return missing(f"send the {error.get('key')} header")
    return invalid(rule)


def handle_unexpected(_request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    _log.error("unhandled exception", exc_info=exc)
    return problem_response(500, "internal_error", "Internal error", None)


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    ControlError: handle_control_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
