from __future__ import annotations

import msgspec


class LockRecord(msgspec.Struct, kw_only=True):
    """One held lock, as stored (`control_locks`, key `{scope}.{name}`)."""

    scope: str
    name: str
    job_id: str
    owner: str
    acquired_at: str
    expires_at: float


class LockView(LockRecord, kw_only=True):
    expired: bool  # past its expiry: the next request for it reclaims it
