"""create_app(): wires settings, the request pipeline, auth, domains and the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from cloudlysis_control.audit.controllers import AuditController
from cloudlysis_control.audit.service import AuditService
from cloudlysis_control.auth.guards import authorize
from cloudlysis_control.auth.middleware import PUBLIC_OPT_KEY, BearerAuthMiddleware
from cloudlysis_control.auth.rights import RightsSource
from cloudlysis_control.core.errors import SwarmUnavailable
from cloudlysis_control.core.logging import configure_logging
from cloudlysis_control.core.metrics import Metrics
from cloudlysis_control.core.pipeline import RequestPipeline, handler_templates
from cloudlysis_control.core.problems import EXCEPTION_HANDLERS
from cloudlysis_control.core.requests import ControlRequest
from cloudlysis_control.core.runtime import Runtime
from cloudlysis_control.core.settings import Settings
from cloudlysis_control.core.tracing import Tracing
from cloudlysis_control.deployments.controllers import DeploymentsController
from cloudlysis_control.deployments.service import DeploymentService
from cloudlysis_control.fleet.controllers import FleetController
from cloudlysis_control.fleet.snapshot import FleetSnapshotService
from cloudlysis_control.iam.controllers import IamController
from cloudlysis_control.investigate.controllers import InvestigateController
from cloudlysis_control.investigate.tenant import TenantActivityController
from cloudlysis_control.jobs.controllers import JobsController
from cloudlysis_control.jobs.service import JobService
from cloudlysis_control.locks.controllers import LocksController
from cloudlysis_control.locks.service import LockService
from cloudlysis_control.operations.controllers import (
    ConfigController,
    PlansController,
    TenantOperationsController,
)
from cloudlysis_control.operations.service import OperationsService
from cloudlysis_control.placement.controllers import PlacementController
from cloudlysis_control.placement.service import PlacementService
from cloudlysis_control.swarm.controllers import SwarmController
from cloudlysis_control.swarm.service import SwarmView
from cloudlysis_control.system.controllers import SystemController
from cloudlysis_control.tenants.controllers import TenantsController
from cloudlysis_control.tenants.service import TenantService
from cloudlysis_control.webui.static import ui_handlers

API_VERSION = "1.0.0"


def _jobs(state: State) -> JobService:
    return state.runtime.jobs  # type: ignore[no-any-return]


def _audit(state: State) -> AuditService:
    return state.runtime.audit  # type: ignore[no-any-return]


def _placement(state: State) -> PlacementService:
    return state.runtime.placement.service  # type: ignore[no-any-return]


def _fleet(state: State) -> FleetSnapshotService:
    return state.runtime.fleet  # type: ignore[no-any-return]


def _locks(state: State) -> LockService:
    return state.runtime.locks  # type: ignore[no-any-return]


def _tenants(state: State) -> TenantService:
    return state.runtime.tenants  # type: ignore[no-any-return]


def _operations(state: State) -> OperationsService:
    return state.runtime.operations  # type: ignore[no-any-return]


def _swarm(state: State) -> SwarmView:
    return state.runtime.swarm  # type: ignore[no-any-return]


def _deployments(state: State) -> DeploymentService:
    deployments = state.runtime.deployments
    if deployments is None:
        raise SwarmUnavailable("Swarm integration is off (CONTROL_SWARM_MODE=off)")
    return deployments  # type: ignore[no-any-return]


def openapi_config(settings: Settings) -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Cloudlysis Control API",
        version=API_VERSION,
        description="Admin API of the Cloudlysis control plane. Errors are RFC 9457 "
        "problem+json with a stable `code`.",
        path="/schema",
        render_plugins=[ScalarRenderPlugin()],
        openapi_router=Router(
            path="/schema", route_handlers=[], opt={"public": True}, include_in_schema=False
        ),
        components=Components(
            security_schemes={
                "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
            }
        ),
        security=[{"bearer": []}],
        use_handler_docstrings=False,
    )


def create_app(
    settings: Settings | None = None,
    *,
    rights_source: RightsSource | None = None,
    tracing: Tracing | None = None,
    extra_kinds: list[Any] | None = None,
) -> Litestar:
    settings = settings or Settings.from_env()
    obs = settings.observability
    configure_logging(obs.log_level, obs.log_format)
    metrics = Metrics()
    metrics.build_info.labels("control-api", settings.build.version, settings.build.git_sha).set(1)
    tracing = tracing or Tracing.from_settings(
        obs.otlp_endpoint, obs.trace_sample_ratio, settings.build.version
    )
    runtime = Runtime(
        settings=settings,
        metrics=metrics,
        rights_source=rights_source,
        extra_kinds=extra_kinds or [],
    )
    runtime.prepare()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        try:
            await runtime.start()
            app.state.audit = runtime.audit
            app.state.gateway = runtime.gateway
            app.state.token_verifier = runtime.verifier
            app.state.rights_resolver = runtime.resolver
            yield
        finally:
            await runtime.stop()
            tracing.shutdown()

    handlers: list[Any] = [
        SystemController,
        JobsController,
        AuditController,
        InvestigateController,
        TenantActivityController,
        IamController,
        PlacementController,
        FleetController,
        TenantsController,
        TenantOperationsController,
        PlansController,
        ConfigController,
        SwarmController,
        DeploymentsController,
        LocksController,
    ]
    if settings.server.ui_dir is not None:
        handlers += ui_handlers(settings.server.ui_dir)
    app = Litestar(
        route_handlers=handlers,
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[
            DefineMiddleware(
                BearerAuthMiddleware,
                exclude_from_auth_key=PUBLIC_OPT_KEY,
                exclude_http_methods=[],
            )
        ],
        guards=[authorize],
        dependencies={
            "jobs": Provide(_jobs, sync_to_thread=False),
            "audit": Provide(_audit, sync_to_thread=False),
            "placement": Provide(_placement, sync_to_thread=False),
            "fleet": Provide(_fleet, sync_to_thread=False),
            "tenants": Provide(_tenants, sync_to_thread=False),
            "operations": Provide(_operations, sync_to_thread=False),
            "swarm": Provide(_swarm, sync_to_thread=False),
            "deployments": Provide(_deployments, sync_to_thread=False),
            "locks": Provide(_locks, sync_to_thread=False),
        },
        lifespan=[lifespan],
        openapi_config=openapi_config(settings),
        state=State(
            {
                "settings": settings,
                "metrics": metrics,
                "runtime": runtime,
                "readiness": runtime.readiness,
                "gateway": None,
            }
        ),
        request_max_body_size=2 * 1024 * 1024,
        request_class=ControlRequest,
        logging_config=None,
        debug=False,
    )
    app.state.route_templates = handler_templates(app)
    app.asgi_handler = RequestPipeline(app.asgi_handler, metrics, tracing)
    return app
