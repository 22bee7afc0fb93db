"""The guardrails' thresholds from the `flags` document: one mapping from `Flags` to `Limits`.

A flag left unset falls back to the setting that held the threshold before (CONTROL_OPS_MAX_*),
so `Limits.origins` says, per threshold, whether a flag, a setting or the default rules.
"""

from __future__ import annotations

from cloudlysis_control.config.documents import DEFAULT_FLAGS, Flags, duration_s
from cloudlysis_control.config.world import WorldView
from cloudlysis_control.core.settings import OpsSettings
from cloudlysis_control.guardrails.limits import Limits, Origin

_DEFAULT_OPS = OpsSettings()
# Flags with a default of their own (not a setting): "flag" once the document sets them.
_FLAG_FIELDS = {
    "crash_loop_restarts": "crash_loop_restarts",
    "crash_loop_window_s": "crash_loop_window",
    "max_impact_percent": "max_impact_percent",
    "block_unhealthy_targets": "block_unhealthy_targets",
    "config_changes_paused": "config_changes",
    "verify_sample_changed": "verify_sample_changed",
    "verify_sample_unchanged": "verify_sample_unchanged",
    "verify_timeout_s": "verify_timeout",
}


def limits_of(flags: Flags, ops: OpsSettings = _DEFAULT_OPS) -> Limits:
    origins: dict[str, Origin] = {}
    for limit, field in _FLAG_FIELDS.items():
        set_here = getattr(flags, field) != getattr(DEFAULT_FLAGS, field)
        origins[limit] = "flag" if set_here else "default"
    origins["max_tenant_lag"] = "flag" if flags.max_tenant_lag is not None else "setting"
    origins["max_tenant_inflight"] = "flag" if flags.max_tenant_inflight is not None else "setting"
    return Limits(
        max_tenant_lag=flags.max_tenant_lag if flags.max_tenant_lag is not None else ops.max_lag,
        max_tenant_inflight=flags.max_tenant_inflight
        if flags.max_tenant_inflight is not None
        else ops.max_inflight,
        crash_loop_restarts=flags.crash_loop_restarts,
        crash_loop_window_s=duration_s(flags.crash_loop_window),
        max_impact_percent=flags.max_impact_percent,
        block_unhealthy_targets=flags.block_unhealthy_targets,
        config_changes_paused=flags.config_changes == "paused",
        verify_sample_changed=flags.verify_sample_changed,
        verify_sample_unchanged=flags.verify_sample_unchanged,
        verify_timeout_s=duration_s(flags.verify_timeout),
        origins=origins,
    )


class FlagLimits:
    """`LimitsSource` over the config registry: the flags document as stored now."""

    def __init__(self, world: WorldView, ops: OpsSettings) -> None:
        self.world = world
        self.ops = ops

    async def limits(self) -> Limits:
        return limits_of(await self.world.flags(), self.ops)
