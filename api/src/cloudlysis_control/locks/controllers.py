from __future__ import annotations

import time

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency

from cloudlysis_control.core.openapi import problems
from cloudlysis_control.locks.service import LockService


class LockView(msgspec.Struct, kw_only=True):
    scope: str
    name: str
    job_id: str
    owner: str
    acquired_at: str
    expires_at: float
    expired: bool  # past its expiry: the next request for it reclaims it


class LocksController(Controller):
    path = "/admin/v1/locks"
    tags = ["jobs"]

    @get("/", operation_id="ListLocks", opt={"right": "control.jobs.read"}, responses=problems())
    async def list_locks(self, locks: NamedDependency[LockService]) -> list[LockView]:
        now = time.time()
        return [
            LockView(
                scope=r.scope,
                name=r.name,
                job_id=r.job_id,
                owner=r.owner,
                acquired_at=r.acquired_at,
                expires_at=r.expires_at,
                expired=r.expires_at <= now,
            )
            for r in await locks.list()
        ]
