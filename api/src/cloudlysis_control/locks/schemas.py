from __future__ import annotations

import msgspec


class LockView(msgspec.Struct, kw_only=True):
    scope: str
    name: str
    job_id: str
    owner: str
    acquired_at: str
    expires_at: float
    expired: bool  # past its expiry: the next request for it reclaims it
