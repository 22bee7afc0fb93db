"""One error hierarchy for the whole API.

Services raise these; they never raise HTTP exceptions. `core.problems` maps every one of them
(and Litestar's own router/validation errors) to RFC 9457 problem+json exactly once.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ControlError(Exception):
    """Base class. `code` is the stable machine code clients branch on."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        # Extra members for the problem document (e.g. job_id, missing_right, failures).
        self.extra = extra


class BadRequest(ControlError):
    status = 400
    code = "bad_request"
    title = "Bad request"


class ValidationFailed(BadRequest):
    code = "validation_failed"
    title = "Request validation failed"


class BodyTooDeep(BadRequest):
    code = "body_too_deep"
    title = "Request body nests too deeply"


class BodyNotUtf8(BadRequest):
    code = "body_not_utf8"
    title = "Request body is not UTF-8"


class ClientDisconnected(BadRequest):
    code = "client_disconnected"
    title = "The client went away before its request body arrived"


class TenantIdMissing(BadRequest):
    code = "tenant_id_missing"
    title = "x-tenant-id header is required"


class TenantIdInvalid(BadRequest):
    code = "tenant_id_invalid"
    title = "x-tenant-id header is invalid"


class IdempotencyKeyMissing(BadRequest):
    code = "idempotency_key_missing"
    title = "Idempotency-Key header is required"


class IdempotencyKeyInvalid(BadRequest):
    code = "idempotency_key_invalid"
    title = "Idempotency-Key header is invalid"


class Unauthorized(ControlError):
    status = 401
    code = "unauthorized"
    title = "Authentication required"


class RefreshMissing(Unauthorized):
    code = "refresh_missing"
    title = "No refresh cookie"


class Forbidden(ControlError):
    status = 403
    code = "forbidden"
    title = "Missing right"


class NotFound(ControlError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(ControlError):
    status = 409
    code = "conflict"
    title = "Conflict"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    title = "Idempotency-Key was already used with a different request"


class LockHeld(Conflict):
    code = "lock_held"
    title = "Another job holds the lock"


class PlanStale(Conflict):
    code = "plan_stale"
    title = "The world changed since the plan was made; plan again"


class Unprocessable(ControlError):
    status = 422
    code = "unprocessable"
    title = "Unprocessable request"


class ParamsInvalid(Unprocessable):
    """A job's params fail its kind's rules, or name what the world does not have (an unknown
    fleet instance, a spec version nobody recorded). The request itself was well-formed."""

    code = "params_invalid"
    title = "The job's params cannot be used"


class ConfirmationMismatch(Unprocessable):
    code = "confirmation_mismatch"
    title = "The confirmation does not repeat what it confirms"


class TenantRequired(Unprocessable):
    code = "tenant_required"
    title = "This job kind acts on one tenant: name it"


class ConfigInvalid(Unprocessable):
    """A config document that does not parse, breaks its domain's schema or its rules; the
    problem lists every finding (`findings`)."""

    code = "config_invalid"
    title = "The config is invalid"


class PreflightRefused(Unprocessable):
    code = "preflight_refused"
    title = "Preflight checks refused the operation"


class ConfigReadOnly(PreflightRefused):
    """A refusal like any preflight's (a job asking for it is audited as refused)."""

    code = "config_read_only"
    title = "This config is read-only here"


class UpstreamError(ControlError):
    """An adapter's call to something outside failed. Adapters raise subclasses."""

    status = 502
    code = "upstream_error"
    title = "Upstream error"


class UpstreamUnavailable(UpstreamError):
    status = 503
    code = "upstream_unavailable"
    title = "Upstream unavailable"


class SwarmUnavailable(UpstreamUnavailable):
    code = "swarm_unavailable"
    title = "Docker Swarm engine unavailable"


class MetricsUnavailable(UpstreamUnavailable):
    code = "metrics_unavailable"
    title = "Metrics store unavailable"


class UpstreamTimeout(UpstreamError):
    status = 504
    code = "upstream_timeout"
    title = "Upstream timed out"


class StateUnavailable(ControlError):
    """The control plane's own state store (NATS JetStream) is not reachable."""

    status = 503
    code = "state_unavailable"
    title = "State store unavailable"


class NotReady(ControlError):
    status = 503
    code = "not_ready"
    title = "Not ready"


class AuditWriteFailed(StateUnavailable):
    code = "audit_write_failed"
    title = "Audit event could not be written; the operation was not performed"


class SettingsError(Exception):
    """An invalid CONTROL_* setting. Raised at start-up; names the variable."""
