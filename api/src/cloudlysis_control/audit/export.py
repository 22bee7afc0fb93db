"""The audit log as a download: NDJSON (one event per line) or CSV, streamed in chunks of about
CHUNK_BYTES (one ASGI message per chunk, not per event) as the events are read."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterable, AsyncIterator

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


CHUNK_BYTES = 64 * 1024


async def as_ndjson(events: AsyncIterable[AuditEvent]) -> AsyncIterator[bytes]:
    encoder = msgspec.json.Encoder()
    chunk = bytearray()
    async for event in events:
        encoder.encode_into(event, chunk, -1)
        chunk += b"\n"
        if len(chunk) >= CHUNK_BYTES:
            yield bytes(chunk)
            chunk.clear()
    if chunk:
        yield bytes(chunk)


async def as_csv(events: AsyncIterable[AuditEvent]) -> AsyncIterator[bytes]:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    async for event in events:
        writer.writerow({k: csv_safe(v) for k, v in msgspec.to_builtins(event).items()})
        if buf.tell() >= CHUNK_BYTES:
            yield buf.getvalue().encode()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue().encode()


def csv_safe(value: object) -> object:
    """Spreadsheet formula injection: neutralise cells a spreadsheet would evaluate."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
