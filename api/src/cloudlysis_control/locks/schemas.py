from __future__ import annotations

import msgspec


class _Lock(msgspec.Struct, kw_only=True):
    scope: str
    name: str
    job_id: str
    owner: str
    acquired_at: str


class LockRecord(_Lock, kw_only=True):
    """One held lock, as stored (`control_locks`, key `{scope}.{name}`)."""

    expires_at: float


class LockView(_Lock, kw_only=True):
    # null: an unreadable lock record — held until someone repairs it, so it never expires.
    expires_at: float | None
    expired: bool  # past its expiry: the next request for it reclaims it
