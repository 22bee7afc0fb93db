"""The documents of the registry's own domains (routing and placement documents live in
`placement.schemas`): runner activation and the control plane's flags."""

from __future__ import annotations

import re
from typing import Annotated, Literal

import msgspec

DEFINITION_NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,62}$"
DURATION_PATTERN = r"^[0-9]{1,7}(ms|s|m)$"
DURATION_RE = re.compile(DURATION_PATTERN)
DefinitionType = Literal["effect", "saga"]
DefinitionName = Annotated[str, msgspec.Meta(pattern=DEFINITION_NAME_PATTERN)]
Duration = Annotated[
    str,
    msgspec.Meta(
        pattern=DURATION_PATTERN, description="A duration: digits and ms, s or m (e.g. 10s)"
    ),
]


class Activation(msgspec.Struct, forbid_unknown_fields=True):
    """One runner definition that is active, at one version."""

    type: DefinitionType
    name: DefinitionName
    version: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]


class RunnerActivation(msgspec.Struct, forbid_unknown_fields=True):
    """Which runner definitions (effects, sagas) run, platform-wide or for one tenant."""

    schema_version: Literal[1]
    activations: list[Activation] = []


class Flags(msgspec.Struct, forbid_unknown_fields=True):
    """Control-plane feature flags and guardrail thresholds (typed, bounded)."""

    schema_version: Literal[1]
    # `paused`: config.apply and config.rollback are refused (except on the flags themselves).
    config_changes: Literal["enabled", "paused"] = "enabled"
    # A plan whose changed tenants exceed this share of all tenants is refused.
    max_impact_percent: Annotated[int, msgspec.Meta(ge=0, le=100)] = 25
    # Verification after a routing change: tenants sampled among the changed and unchanged.
    verify_sample_changed: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 20
    verify_sample_unchanged: Annotated[int, msgspec.Meta(ge=0, le=1000)] = 10
    verify_timeout: Duration = "10s"
    # A plan that moves tenants to a shard with an unhealthy instance is refused.
    block_unhealthy_targets: bool = True
    # Tenant migration preflight: the tenant's lag and inflight on its source shard. Not set:
    # the settings CONTROL_OPS_MAX_LAG / CONTROL_OPS_MAX_INFLIGHT hold (docs/guardrails.md).
    max_tenant_lag: Annotated[int, msgspec.Meta(ge=0, le=100_000_000)] | None = None
    max_tenant_inflight: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] | None = None
    # A deploy is refused while the service crash-loops: this many task failures within the
    # window (Swarm tasks failed or rejected).
    crash_loop_restarts: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 5
    crash_loop_window: Duration = "10m"
    # Verification playbooks (playbook.post_deploy, playbook.rollback_verify; the verify step of
    # service.deploy and service.rollback): the window before the deploy is compared with the
    # window of the same length after it converged.
    playbook_window_s: Annotated[int, msgspec.Meta(ge=5, le=3600)] = 300
    # Fails when the 5xx ratio after exceeds the ratio before by more than this (absolute).
    playbook_max_error_rate_increase: Annotated[float, msgspec.Meta(ge=0, le=1)] = 0.02
    # Fails when p99 latency after / p99 before exceeds this ...
    playbook_max_p99_ratio: Annotated[float, msgspec.Meta(ge=1, le=100)] = 1.5
    # ... unless the p99 after is below this floor (a few ms more is no regression).
    playbook_p99_floor_ms: Annotated[int, msgspec.Meta(ge=0, le=60_000)] = 50
    # Fewer requests than this in either window: the metric checks are "not measured".
    playbook_min_requests: Annotated[int, msgspec.Meta(ge=1, le=10_000_000)] = 100
    # `not measured` (no metrics store, store down, too little traffic) passes unless this is set.
    playbook_require_metrics: bool = False
    # Tenants whose routing resolution is sampled through every Gateway after a deploy.
    playbook_routing_samples: Annotated[int, msgspec.Meta(ge=0, le=100)] = 5


DEFAULT_FLAGS = Flags(schema_version=1)


def duration_s(text: str) -> float:
    """`10s` → 10.0; `250ms` → 0.25; `2m` → 120.0 (the pattern is checked by the schema)."""
    m = re.fullmatch(r"([0-9]+)(ms|s|m)", text)
    if m is None:
        raise ValueError(f"not a duration: {text!r}")
    number, unit = int(m.group(1)), m.group(2)
    return number / 1000 if unit == "ms" else number * (60 if unit == "m" else 1)
