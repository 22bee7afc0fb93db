"""Health, readiness, metrics, the UI's bootstrap config, dev login and whoami."""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody

from cloudlysis_control.auth.principal import Principal
from cloudlysis_control.core.errors import Forbidden, NotFound, NotReady, UpstreamError
from cloudlysis_control.core.openapi import problems
from cloudlysis_control.core.settings import Settings

PUBLIC = {"public": True}


class Health(msgspec.Struct):
    status: Literal["ok"]


class Readiness(msgspec.Struct):
    status: Literal["ready", "not_ready"]
    dependencies: dict[str, str]


class UiConfig(msgspec.Struct):
    dev_login_enabled: bool
    version: str
    git_sha: str
    grafana_base_url: str | None


class DevLoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    principal: str


class DevLoginToken(msgspec.Struct):
    access_token: str
    token_type: str
    expires_at: int
    session_id: str
    principal_id: str


def _gateway_detail(body: bytes) -> str | None:
    try:
        doc = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return None
    detail = doc.get("detail") if isinstance(doc, dict) else None
    return str(detail)[:300] if detail else None


class WhoAmI(msgspec.Struct):
    principal_id: str
    session_id: str
    rights: list[str]


class SystemController(Controller):
    tags = ["system"]

    @get(
        "/health",
        operation_id="GetHealth",
        opt=PUBLIC,
        include_in_schema=True,
        responses=problems(authenticated=False),
    )
    async def health(self) -> Health:
        return Health("ok")

    @get(
        "/ready",
        operation_id="GetReadiness",
        opt=PUBLIC,
        responses={503: problems(503, authenticated=False)[503]},
    )
    async def ready(self, request: Request[Any, Any, Any]) -> Readiness:
        failures = await request.app.state.readiness()
        if failures:
            raise NotReady("one or more dependencies are not available", dependencies=failures)
        return Readiness("ready", {})

    @get(
        "/metrics",
        operation_id="GetMetrics",
        opt=PUBLIC,
        media_type="text/plain",
        responses=problems(authenticated=False),
    )
    async def metrics(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        return Response(
            request.app.state.metrics.render(),
            media_type="text/plain; version=0.0.4",  # Litestar appends "; charset=utf-8"
        )

    @get(
        "/admin/v1/ui-config",
        operation_id="GetUiConfig",
        opt=PUBLIC,
        responses=problems(authenticated=False),
    )
    async def ui_config(self, request: Request[Any, Any, Any]) -> UiConfig:
        settings: Settings = request.app.state.settings
        return UiConfig(
            dev_login_enabled=settings.gateway.dev_login and settings.gateway.url is not None,
            version=settings.build.version,
            git_sha=settings.build.git_sha,
            grafana_base_url=settings.observability.grafana_url,
        )

    @post(
        "/admin/v1/session/dev-login",
        operation_id="DevLogin",
        opt=PUBLIC,
        status_code=200,
        responses=problems(403, 404, 502, 503, 504, authenticated=False),
        description="Demo only: asks the Gateway's dev login for a token. Control never "
        "mints tokens; this route is 404 unless CONTROL_DEV_LOGIN=true.",
    )
    async def dev_login(
        self, request: Request[Any, Any, Any], data: JSONBody[DevLoginRequest]
    ) -> DevLoginToken:
        settings: Settings = request.app.state.settings
        gateway = request.app.state.gateway
        if not settings.gateway.dev_login or gateway is None:
            raise NotFound("dev login is disabled")
        forwarded = await gateway.dev_login(data.principal)
        if forwarded.status == 200:
            try:
                return msgspec.json.decode(forwarded.body, type=DevLoginToken)
            except msgspec.DecodeError as e:
                raise UpstreamError("the gateway's dev login returned an invalid token") from e
        detail = _gateway_detail(forwarded.body)
        if forwarded.status == 404:
            raise NotFound(detail or f"no dev-login principal {data.principal!r}")
        if forwarded.status == 403:
            raise Forbidden(detail or "this principal may not log in")
        raise UpstreamError(f"the gateway's dev login answered {forwarded.status}")

    @get(
        "/admin/v1/whoami",
        operation_id="WhoAmI",
        opt={"right": "control.access"},
        responses=problems(),
    )
    async def whoami(self, request: Request[Principal, Any, Any]) -> WhoAmI:
        p = request.user
        return WhoAmI(principal_id=p.id, session_id=p.session_id, rights=sorted(p.rights))
