"""The one list of guardrails: what each measures, which workflows run it, and its thresholds.

`GET /admin/v1/guardrails` answers from here, and tests/unit/test_guardrails.py holds every
workflow's preflight to it (each check listed here blocks each workflow listed with it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cloudlysis_control.guardrails.limits import Limits
from cloudlysis_control.guardrails.schemas import Guardrail, GuardrailList, GuardrailThreshold

DRAIN, RESUME, MIGRATE = "tenant.drain", "tenant.resume", "tenant.migrate"
DEPLOY, ROLLBACK = "service.deploy", "service.rollback"
APPLY, CONFIG_ROLLBACK = "config.apply", "config.rollback"
CONFIG = (APPLY, CONFIG_ROLLBACK)


@dataclass(frozen=True)
class Threshold:
    limit: str  # a field of Limits; "" for a live value measured per request
    flag: str | None
    setting: str | None
    description: str


@dataclass(frozen=True)
class Definition:
    name: str
    description: str
    checks: tuple[str, ...]
    workflows: tuple[str, ...]
    thresholds: tuple[Threshold, ...] = ()
    phase: Literal["preflight", "verify"] = "preflight"


LIVE_REPLICAS = Threshold("", None, None, "the service's desired replicas (its spec)")
LIVE_INSTANCES = Threshold("", None, None, "every instance of the shard (the placement)")

GUARDRAILS: tuple[Definition, ...] = (
    Definition(
        "lock_free",
        "No other job holds the lock the workflow needs (tenant, service or config)",
        ("no_conflicting_lock",),
        (DRAIN, RESUME, MIGRATE, DEPLOY, ROLLBACK, *CONFIG),
    ),
    Definition(
        "plan_fresh",
        "The plan made now is the one confirmed: nothing it depends on (placement or config "
        "revision, proposal, thresholds) changed since",
        ("plan_hash", "placement_revision"),
        (MIGRATE, *CONFIG),
    ),
    Definition(
        "tenant_lag",
        "The tenant's replication lag on its source shard (the highest of its instances)",
        ("source_lag",),
        (MIGRATE,),
        (
            Threshold(
                "max_tenant_lag",
                "max_tenant_lag",
                "CONTROL_OPS_MAX_LAG",
                "at most this lag",
            ),
        ),
    ),
    Definition(
        "tenant_inflight",
        "The tenant's requests in flight on its source shard (summed over its instances)",
        ("source_inflight",),
        (MIGRATE,),
        (
            Threshold(
                "max_tenant_inflight",
                "max_tenant_inflight",
                "CONTROL_OPS_MAX_INFLIGHT",
                "at most this many requests in flight",
            ),
        ),
    ),
    Definition(
        "target_differs",
        "The tenant is not already on the target shard",
        ("target_differs",),
        (MIGRATE,),
    ),
    Definition(
        "shard_ready",
        "The target shard exists and every instance of it answers /health and /ready",
        ("target_shard_exists", "target_healthy", "target_ready"),
        (MIGRATE,),
        (LIVE_INSTANCES,),
    ),
    Definition(
        "tenant_reachable",
        "Every instance of the tenant's shard answers for the tenant, per kind",
        ("aggregate_reachable", "projection_reachable", "runner_reachable"),
        (DRAIN,),
        (LIVE_INSTANCES,),
    ),
    Definition(
        "service_exists",
        "The Swarm service exists",
        ("service_exists",),
        (DEPLOY, ROLLBACK),
    ),
    Definition(
        "service_settled",
        "No update of the service is in progress or paused",
        ("not_updating", "not_paused"),
        (DEPLOY, ROLLBACK),
    ),
    Definition(
        "service_healthy",
        "Every desired replica of the service runs (replicas short: unhealthy)",
        ("service_healthy",),
        (DEPLOY, ROLLBACK),
        (LIVE_REPLICAS,),
    ),
    Definition(
        "crash_loop",
        "Task failures of the service within a window (Swarm tasks failed or rejected): N in "
        "W is a crash loop",
        ("crash_loop",),
        (DEPLOY,),
        (
            Threshold(
                "crash_loop_restarts",
                "crash_loop_restarts",
                None,
                "this many task failures within the window is a crash loop",
            ),
            Threshold(
                "crash_loop_window_s",
                "crash_loop_window",
                None,
                "the window, in seconds",
            ),
        ),
    ),
    Definition(
        "image_exists",
        "The engine (or its registry) resolves the image a deploy sends",
        ("image_exists",),
        (DEPLOY,),
    ),
    Definition(
        "rollback_target",
        "There is a spec to roll back to (Swarm's previous spec or a recorded version)",
        ("previous_spec",),
        (ROLLBACK,),
    ),
    Definition(
        "config_changes_enabled",
        "Config changes are not paused (a change of the flags themselves always is allowed)",
        ("config.guardrail.changes_paused",),
        CONFIG,
        (
            Threshold(
                "config_changes_paused",
                "config_changes",
                None,
                "`paused` refuses every change but the flags'",
            ),
        ),
    ),
    Definition(
        "impact_radius",
        "The share of tenants whose route a config change moves, in percent",
        ("config.guardrail.impact_radius",),
        CONFIG,
        (
            Threshold(
                "max_impact_percent",
                "max_impact_percent",
                None,
                "at most this share of all tenants",
            ),
        ),
    ),
    Definition(
        "target_healthy",
        "Every endpoint of a shard a config change moves tenants to is healthy now",
        ("config.guardrail.target_unhealthy",),
        CONFIG,
        (
            Threshold(
                "block_unhealthy_targets",
                "block_unhealthy_targets",
                None,
                "true: an unhealthy target refuses the change; false: the plan only warns",
            ),
        ),
    ),
    Definition(
        "routing_verified",
        "After a routing change, sampled tenants resolve through every Gateway where the plan "
        "expects (changed and unchanged ones)",
        ("routing_verified",),
        CONFIG,
        (
            Threshold(
                "verify_sample_changed",
                "verify_sample_changed",
                None,
                "tenants sampled among those that change",
            ),
            Threshold(
                "verify_sample_unchanged",
                "verify_sample_unchanged",
                None,
                "tenants sampled among those that do not",
            ),
            Threshold(
                "verify_timeout_s",
                "verify_timeout",
                None,
                "how long the platform may take to serve the change, in seconds",
            ),
        ),
        phase="verify",
    ),
)


def _threshold(t: Threshold, limits: Limits) -> GuardrailThreshold:
    if not t.limit:
        return GuardrailThreshold(
            name="live", value=None, flag=None, source="live", description=t.description
        )
    return GuardrailThreshold(
        name=t.limit,
        value=getattr(limits, t.limit),
        flag=t.flag,
        setting=t.setting,
        source=limits.origin(t.limit),
        description=t.description,
    )


def describe(limits: Limits) -> GuardrailList:
    return GuardrailList(
        items=[
            Guardrail(
                name=d.name,
                description=d.description,
                checks=list(d.checks),
                workflows=list(d.workflows),
                phase=d.phase,
                thresholds=[_threshold(t, limits) for t in d.thresholds],
            )
            for d in GUARDRAILS
        ]
    )


def checks_of(workflow: str) -> set[str]:
    """Every check name a workflow's preflight may fail on."""
    return {
        c
        for d in GUARDRAILS
        if workflow in d.workflows and d.phase == "preflight"
        for c in d.checks
    }
