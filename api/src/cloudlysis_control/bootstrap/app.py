"""create_app(): wires settings, the request pipeline, auth, domains and the lifespan."""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware

from cloudlysis_control.audit.controllers import AuditController
from cloudlysis_control.auth.middleware import PUBLIC_OPT_KEY, BearerAuthMiddleware
from cloudlysis_control.auth.rights import RightsSource
from cloudlysis_control.bootstrap.container import Container
from cloudlysis_control.bootstrap.openapi import finalize_openapi, openapi_config
from cloudlysis_control.config.controllers import (
    ConfigPlansController,
    ConfigRegistryController,
    DefinitionsController,
)
from cloudlysis_control.core.errors import SwarmUnavailable
from cloudlysis_control.core.heap import settle_heap
from cloudlysis_control.core.logging import configure_logging, get_logger
from cloudlysis_control.core.metrics import Metrics
from cloudlysis_control.core.pipeline import RequestPipeline, handler_templates
from cloudlysis_control.core.problems import EXCEPTION_HANDLERS
from cloudlysis_control.core.procs import die_with_own_parent
from cloudlysis_control.core.requests import ControlRequest
from cloudlysis_control.core.settings import Settings
from cloudlysis_control.core.tracing import Tracing
from cloudlysis_control.deployments.controllers import (
    DeploymentsController,
    ServiceActionsController,
)
from cloudlysis_control.deployments.service import DeploymentService
from cloudlysis_control.drift.controllers import PlatformController
from cloudlysis_control.fleet.controllers import FleetController
from cloudlysis_control.guardrails.controllers import GuardrailsController
from cloudlysis_control.iam.controllers import IamController
from cloudlysis_control.investigate.controllers import (
    InvestigateController,
    TenantActivityController,
)
from cloudlysis_control.jobs.controllers import JobsController
from cloudlysis_control.jobs.kinds import JobKind
from cloudlysis_control.live.controllers import EventsController
from cloudlysis_control.locks.controllers import LocksController
from cloudlysis_control.metrics.controllers import MetricsController
from cloudlysis_control.operations.controllers import (
    ConfigController,
    PlansController,
    TenantOperationsController,
)
from cloudlysis_control.placement.controllers import PlacementController
from cloudlysis_control.swarm.controllers import SwarmController
from cloudlysis_control.system.controllers import SessionController, SystemController
from cloudlysis_control.tenants.controllers import TenantsController
from cloudlysis_control.webui.static import ui_handlers

CONTROLLERS: list[Any] = [
    SystemController,
    SessionController,
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
    PlatformController,
    ServiceActionsController,
    DeploymentsController,
    LocksController,
    MetricsController,
    GuardrailsController,
    EventsController,
    ConfigRegistryController,
    ConfigPlansController,
    DefinitionsController,
]

API_VERSION = "1.0.0"


def _deployments(container: Container) -> DeploymentService:
    if container.deployments is None:
        raise SwarmUnavailable("Swarm integration is off (CONTROL_SWARM_MODE=off)")
    return container.deployments


def dependencies(c: Container) -> dict[str, Provide]:
    """What controllers receive by name: each service, built once by the container."""
    services: dict[str, Any] = {
        "jobs": c.jobs,
        "audit": c.audit,
        "placement": c.placement.service,
        "fleet": c.fleet,
        "tenants": c.tenants,
        "planner": c.planner,
        "swarm": c.swarm,
        "drift": c.drift,
        "locks": c.locks,
        "iam": c.iam,
        "signin": c.signin,
        "investigations": c.investigate,
        "system": c.system,
        "metrics": c.charts,
        "live": c.live,
        "service_plans": c.service_plans,
        "configs": c.configs,
        "definitions": c.definitions,
        "guardrails": c.guardrails,
    }
    provided = {name: _constant(value) for name, value in services.items()}

    def deployments() -> DeploymentService:
        return _deployments(c)

    provided["deployments"] = Provide(deployments, sync_to_thread=False)
    return provided


def _constant(value: Any) -> Provide:
    def provide() -> Any:
        return value

    return Provide(provide, sync_to_thread=False, use_cache=True)


def create_app(
    settings: Settings | None = None,
    *,
    rights_source: RightsSource | None = None,
    tracing: Tracing | None = None,
    extra_kinds: list[JobKind] | None = None,
    serving: bool = False,
) -> Litestar:
    """The app. `serving`: the app of a process that serves it (`serve`, each worker), which
    settles its heap once started (core/heap.py); tests and tools that build apps by the dozen
    in one process leave the collector as it is."""
    settings = settings or Settings.from_env()
    obs = settings.observability
    configure_logging(obs.log_level, obs.log_format)
    metrics = Metrics()
    metrics.build_info.labels("control-api", settings.build.version, settings.build.git_sha).set(1)
    tracing = tracing or Tracing.from_settings(
        obs.otlp_endpoint, obs.trace_sample_ratio, settings.build.version
    )
    container = Container(settings, metrics, rights_source=rights_source, extra_kinds=extra_kinds)

    @asynccontextmanager
    async def lifespan(_app: Litestar) -> AsyncIterator[None]:
        try:
            await container.start()
            if serving:
                settle_heap(settings.server.gc_gen0_threshold)
            yield
        finally:
            await container.stop()
            tracing.shutdown()
            # The last word of a graceful shutdown (the ASGI lifespan's shutdown ran).
            get_logger("control").info("stopped", instance_id=settings.server.instance_id)

    handlers: list[Any] = list(CONTROLLERS)
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
        # No app-wide guard: BearerAuthMiddleware authorizes every non-public route (see there).
        dependencies=dependencies(container),
        lifespan=[lifespan],
        openapi_config=openapi_config(settings),
        state=State(
            {
                # What the middleware and guards read (they are not handlers: no DI there).
                "container": container,
                "audit": container.audit,
                "token_verifier": container.verifier,
                "rights_resolver": container.resolver,
                "kind_rights": {k.name: k.right for k in container.kinds.kinds.values()},
                "tenant_kinds": frozenset(
                    k.name for k in container.kinds.kinds.values() if k.tenant_scoped
                ),
            }
        ),
        request_max_body_size=2 * 1024 * 1024,
        request_class=ControlRequest,
        logging_config=None,
        debug=False,
    )
    finalize_openapi(app)
    app.state.route_templates = templates = handler_templates(app)
    app.asgi_handler = RequestPipeline(app.asgi_handler, metrics, tracing, templates)
    return app


def worker_app() -> Litestar:
    """The app of one worker process (the factory the ASGI server imports in each worker):
    settings read in the worker and, with several workers (CONTROL_WORKERS > 1), an instance id
    of its own — each worker claims jobs, locks and idempotency records like a replica, so two
    workers must never pass for one owner."""
    # A worker dies with the server process that started it, a SIGKILL of that one included:
    # the replica is the server process, and a crash of it must not leave workers behind that
    # keep serving the port and running jobs (in a container PID 1's death does it anyway).
    parent = os.getppid()
    if die_with_own_parent(signal.SIGKILL) and os.getppid() != parent:
        os._exit(1)  # the server process died before the signal was armed
    settings = Settings.from_env()
    server = settings.server
    suffix = f"-{os.getpid()}"
    if server.workers > 1 and not server.instance_id.endswith(suffix):
        settings = replace(
            settings, server=replace(server, instance_id=server.instance_id + suffix)
        )
    return create_app(settings, serving=True)
