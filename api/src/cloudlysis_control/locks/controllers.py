from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency

from cloudlysis_control.core.openapi import problems
from cloudlysis_control.core.scope import SCOPE_ANY, ScopedCaller
from cloudlysis_control.locks.schemas import LockView
from cloudlysis_control.locks.service import LockService

RIGHT_READ = "control.jobs.read"


class LocksController(Controller):
    path = "/admin/v1/locks"
    tags = ["jobs"]

    @get(
        "/",
        operation_id="ListLocks",
        opt={"right": RIGHT_READ, **SCOPE_ANY},
        responses=problems(),
        description="The locks held now; within a tenant scope, those tenants' locks only.",
    )
    async def list_locks(
        self, request: Request[ScopedCaller, Any, Any], locks: NamedDependency[LockService]
    ) -> list[LockView]:
        return await locks.views(request.user.scope(RIGHT_READ))
