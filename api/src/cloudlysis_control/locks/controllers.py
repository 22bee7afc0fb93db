from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency

from cloudlysis_control.core.openapi import problems
from cloudlysis_control.locks.schemas import LockView
from cloudlysis_control.locks.service import LockService


class LocksController(Controller):
    path = "/admin/v1/locks"
    tags = ["jobs"]

    @get("/", operation_id="ListLocks", opt={"right": "control.jobs.read"}, responses=problems())
    async def list_locks(self, locks: NamedDependency[LockService]) -> list[LockView]:
        return await locks.views()
