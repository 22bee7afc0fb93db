"""Health, readiness, metrics, the UI's bootstrap config, dev login and whoami."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from cloudlysis_control.auth.principal import Principal
from cloudlysis_control.core.openapi import PUBLIC, problems
from cloudlysis_control.iam.schemas import DevLoginRequest, DevLoginToken
from cloudlysis_control.system.schemas import Health, Readiness, UiConfig, WhoAmI
from cloudlysis_control.system.service import SystemService


class SystemController(Controller):
    tags = ["system"]

    @get(
        "/health",
        operation_id="GetHealth",
        opt=PUBLIC,
        security=[],
        responses=problems(authenticated=False),
    )
    async def health(self) -> Health:
        return Health("ok")

    @get(
        "/ready",
        operation_id="GetReadiness",
        opt=PUBLIC,
        security=[],
        responses=problems(503, authenticated=False),
    )
    async def ready(self, system: NamedDependency[SystemService]) -> Readiness:
        return await system.readiness()

    @get(
        "/metrics",
        operation_id="GetMetrics",
        opt=PUBLIC,
        security=[],
        media_type="text/plain",
        responses=problems(authenticated=False),
    )
    async def metrics(self, system: NamedDependency[SystemService]) -> Response[bytes]:
        return Response(
            system.metrics_text(),
            media_type="text/plain; version=0.0.4",  # Litestar appends "; charset=utf-8"
        )

    @get(
        "/admin/v1/ui-config",
        operation_id="GetUiConfig",
        opt=PUBLIC,
        security=[],
        responses=problems(authenticated=False),
    )
    async def ui_config(self, system: NamedDependency[SystemService]) -> UiConfig:
        return system.ui_config()

    @post(
        "/admin/v1/session/dev-login",
        operation_id="DevLogin",
        opt=PUBLIC,
        security=[],
        status_code=200,
        responses=problems(403, 404, 502, 503, 504, authenticated=False),
        description="Demo only: asks the Gateway's dev login for a token. Control never "
        "mints tokens; this route is 404 unless CONTROL_DEV_LOGIN=true.",
    )
    async def dev_login(
        self, system: NamedDependency[SystemService], data: JSONBody[DevLoginRequest]
    ) -> DevLoginToken:
        return await system.dev_login(data.principal)

    @get(
        "/admin/v1/whoami",
        operation_id="WhoAmI",
        opt={"right": "control.access"},
        responses=problems(),
    )
    async def whoami(self, request: Request[Principal, Any, Any]) -> WhoAmI:
        p = request.user
        return WhoAmI(principal_id=p.id, session_id=p.session_id, rights=sorted(p.rights))
