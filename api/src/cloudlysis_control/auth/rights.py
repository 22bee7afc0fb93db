"""Rights from the Gateway's IAM state, cached per (sub, sid) for a short TTL.

Gateway unreachable → the caller gets 503; there is no fallback that allows. The TTL bounds how
long a change made at the Gateway (a revoked session, a disabled user, a changed binding) takes
to reach this replica; changes made through this replica drop the affected entries at once.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from cloudlysis_control.core.errors import Unauthorized


@dataclass(frozen=True, slots=True)
class SessionRights:
    session_status: str
    rights: frozenset[str]  # platform-wide
    # Rights held on some tenants only: right → those tenants.
    tenant_rights: Mapping[str, frozenset[str]] = field(default_factory=dict)


class RightsSource(Protocol):
    async def lookup(self, authorization: str, sub: str, sid: str) -> SessionRights: ...


class RightsResolver:
    def __init__(
        self,
        source: RightsSource,
        ttl_s: float = 15.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self.clock = clock
        self._cache: OrderedDict[tuple[str, str], tuple[float, SessionRights]] = OrderedDict()
        self._inflight: dict[tuple[str, str], asyncio.Future[SessionRights]] = {}

    async def rights(self, authorization: str, sub: str, sid: str) -> SessionRights:
        key = (sub, sid)
        hit = self._cache.get(key)
        now = self.clock()
        if hit is not None and hit[0] > now:
            answer = hit[1]
        else:
            answer = await self._fetch(key, authorization)
        if answer.session_status != "active":
            raise Unauthorized(f"session is {answer.session_status}")
        return answer

    async def _fetch(self, key: tuple[str, str], authorization: str) -> SessionRights:
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        fut: asyncio.Future[SessionRights] = asyncio.get_running_loop().create_future()
        self._inflight[key] = fut
        try:
            answer = await self.source.lookup(authorization, key[0], key[1])
            fut.set_result(answer)
        except BaseException as e:
            fut.set_exception(e)
            fut.exception()  # mark retrieved: concurrent waiters re-raise it themselves
            raise
        finally:
            del self._inflight[key]
        if self.ttl_s > 0:
            self._cache[key] = (self.clock() + self.ttl_s, answer)
            self._cache.move_to_end(key)
            while len(self._cache) > self.max_entries:
                self._cache.popitem(last=False)
        return answer

    def invalidate_session(self, sid: str) -> None:
        """Forget a session's cached rights (e.g. after it was revoked through Control)."""
        for key in [k for k in self._cache if k[1] == sid]:
            del self._cache[key]

    def invalidate_principal(self, sub: str) -> None:
        """Forget every cached session of a principal (disabled, deleted, rebound through
        Control): its next request asks the Gateway again."""
        for key in [k for k in self._cache if k[0] == sub]:
            del self._cache[key]

    def clear(self) -> None:
        """Forget everything (a role's rights changed: every holder may be affected)."""
        self._cache.clear()
