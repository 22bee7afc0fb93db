"""Validation rules with one home: each pattern feeds both the check the server runs and the
OpenAPI schema it publishes (msgspec `Meta` on the request types, `PathParameter(pattern=)` on
routes), so the two cannot drift apart.
"""

from __future__ import annotations

import re
from typing import Annotated, Final

import msgspec

from cloudlysis_control.core.errors import ValidationFailed

TENANT_ID_PATTERN: Final = r"^[a-z0-9][a-z0-9-]{0,62}$"
TENANT_ID_RULE: Final = "[a-z0-9][a-z0-9-]{0,62}"
TENANT_ID_RE: Final = re.compile(TENANT_ID_PATTERN)

SHARD_PATTERN: Final = r"^[a-z0-9][a-z0-9._-]{0,62}$"
SHARD_RE: Final = re.compile(SHARD_PATTERN)

JOB_ID_PATTERN: Final = r"^j_[0-9a-f]{32}$"
JOB_ID_RE: Final = re.compile(JOB_ID_PATTERN)

# x-request-id / x-correlation-id values, and what GET /admin/v1/investigate accepts as `id`.
REQUEST_ID_PATTERN: Final = r"^[A-Za-z0-9._:\-]{1,128}$"
REQUEST_ID_RE: Final = re.compile(REQUEST_ID_PATTERN)
TRACE_ID_PATTERN: Final = r"^[0-9a-f]{32}$"
TRACE_ID_RE: Final = re.compile(TRACE_ID_PATTERN)

IDEMPOTENCY_KEY_PATTERN: Final = r"^[A-Za-z0-9._:\-]{1,128}$"
IDEMPOTENCY_KEY_RE: Final = re.compile(IDEMPOTENCY_KEY_PATTERN)

# A Swarm service name as the engine allows it; also the name of a `service` lock.
SERVICE_NAME_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$"
SERVICE_NAME_RE: Final = re.compile(SERVICE_NAME_PATTERN)

# A fleet instance (CONTROL_FLEET_FILE entries, Swarm services discovered as instances).
INSTANCE_NAME_PATTERN: Final = r"^[a-z0-9][a-z0-9._-]{0,62}$"
INSTANCE_NAME_RE: Final = re.compile(INSTANCE_NAME_PATTERN)

# Free text (reasons, confirmations) is shown in the console and exported: no control characters
# (tab and newline are fine) and no bidirectional overrides that could make it read otherwise.
_FORBIDDEN: Final = (
    r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
)
FREE_TEXT_PATTERN: Final = rf"^[^{_FORBIDDEN}]*$"
FREE_TEXT_RE: Final = re.compile(FREE_TEXT_PATTERN)
MAX_REASON: Final = 2000
# Not blank, and free text throughout.
REASON_PATTERN: Final = rf"^[^{_FORBIDDEN}]*[^\s{_FORBIDDEN}][^{_FORBIDDEN}]*$"
REASON_RE: Final = re.compile(REASON_PATTERN)

TenantId = Annotated[str, msgspec.Meta(pattern=TENANT_ID_PATTERN, description="A tenant id")]
ShardName = Annotated[str, msgspec.Meta(pattern=SHARD_PATTERN, description="A shard name")]
ServiceName = Annotated[
    str, msgspec.Meta(pattern=SERVICE_NAME_PATTERN, description="A Swarm service name")
]
InstanceName = Annotated[
    str, msgspec.Meta(pattern=INSTANCE_NAME_PATTERN, description="A fleet instance name")
]
Reason = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=MAX_REASON,
        pattern=REASON_PATTERN,
        description="Why: shown in the job and the audit trail. Not blank; no control "
        "characters or bidirectional overrides.",
    ),
]
FreeText = Annotated[str, msgspec.Meta(max_length=MAX_REASON, pattern=FREE_TEXT_PATTERN)]


def check_reason(reason: str) -> str:
    """The reason, stripped; raises ValidationFailed for what REASON_PATTERN refuses."""
    if not FREE_TEXT_RE.match(reason):
        raise ValidationFailed(
            "reason must not contain control characters or bidirectional overrides"
        )
    stripped = reason.strip()
    if not stripped:
        raise ValidationFailed("reason must not be empty: say why you run this job")
    if len(reason) > MAX_REASON:
        raise ValidationFailed(f"reason must be at most {MAX_REASON} characters")
    return stripped


def check_tenant_id(tenant_id: str) -> str:
    if not TENANT_ID_RE.match(tenant_id):
        raise ValidationFailed(f"tenant_id must match {TENANT_ID_RULE}")
    return tenant_id
