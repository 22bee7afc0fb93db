"""Audit events appended straight to the CONTROL_AUDIT stream with nats-py, many at a time, as
the API would have written them (they decode as AuditEvent): to fill the log quickly."""

from __future__ import annotations

import msgspec
from nats.js import JetStreamContext

from cloudlysis_control.adapters.nats.state import STREAM_AUDIT
from cloudlysis_control.audit.schemas import AuditEvent
from cloudlysis_control.core.clock import rfc3339

SUBJECT = "control.audit.events"
ACTORS = ("alice", "bob", "carol", "mallory")


def synthetic_event(i: int, at: str) -> AuditEvent:
    return AuditEvent(
        id=f"a_{i:010d}",
        at=at,
        actor=ACTORS[i % 4],
        action=("job.create.tenant.drain", "iam.post", "authz.deny")[i % 3],
        target=f"job:j_{i:08x}",
        tenant_id=(f"t-{i % 50}", None)[i % 2],
        reason="synthetic load" if i % 5 == 0 else None,
        outcome=("accepted", "succeeded", "failed", "denied", "refused")[i % 5],
        request_id=f"{i:032x}",
        correlation_id=f"{i // 4:032x}",
        job_id=f"j_{i:08x}" if i % 3 == 0 else None,
    )


async def append_events(
    js: JetStreamContext, first: int, count: int, batch: int = 5_000
) -> list[AuditEvent] | None:
    """Append events `first` … `first + count - 1` (stamped now), `batch` per round trip: the
    batch is published without waiting, then one acknowledged publish closes it (the stream
    stores a connection's messages in order). Returns the events when count is small."""
    keep: list[AuditEvent] | None = [] if count <= 100_000 else None
    nc = js._nc
    encode = msgspec.json.encode
    i = first
    end = first + count
    while i < end:
        n = min(batch, end - i)
        at = rfc3339()
        for j in range(i, i + n - 1):
            event = synthetic_event(j, at)
            if keep is not None:
                keep.append(event)
            await nc.publish(SUBJECT, encode(event))
        last = synthetic_event(i + n - 1, at)
        if keep is not None:
            keep.append(last)
        await js.publish(SUBJECT, encode(last), stream=STREAM_AUDIT.name, timeout=30)
        i += n
    return keep
