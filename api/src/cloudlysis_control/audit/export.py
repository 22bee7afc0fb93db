"""The audit log as a download: NDJSON (one event per line) or CSV, streamed."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable

import msgspec

from cloudlysis_control.audit.schemas import AuditEvent

CSV_FIELDS = [
    "id",
    "at",
    "actor",
    "action",
    "target",
    "tenant_id",
    "reason",
    "outcome",
    "request_id",
    "correlation_id",
    "trace_id",
    "job_id",
]


async def as_ndjson(events: Iterable[AuditEvent]) -> AsyncIterator[bytes]:
    for event in events:
        yield msgspec.json.encode(event) + b"\n"


async def as_csv(events: Iterable[AuditEvent]) -> AsyncIterator[bytes]:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    yield buf.getvalue().encode()
    for event in events:
        buf.seek(0)
        buf.truncate()
        writer.writerow({k: csv_safe(v) for k, v in msgspec.to_builtins(event).items()})
        yield buf.getvalue().encode()


def csv_safe(value: object) -> object:
    """Spreadsheet formula injection: neutralise cells a spreadsheet would evaluate."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
