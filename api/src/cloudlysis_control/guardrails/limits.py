"""The thresholds the guardrails compare with, and where each one comes from.

The values come from the `flags` config domain (`flags/control/platform`); a flag that is not set
falls back to the setting that held the threshold before flags existed (CONTROL_OPS_MAX_*), so a
platform without a flags document behaves as it always did. The mapping from `Flags` to `Limits`
lives beside `Flags` (config/limits.py); workflows read `Limits` through the `LimitsSource` port.
"""

from __future__ import annotations

from typing import Literal, Protocol

import msgspec

Origin = Literal["flag", "setting", "default"]


class Limits(msgspec.Struct, frozen=True, kw_only=True):
    """Every guardrail threshold, resolved: what the checks compare with now."""

    max_tenant_lag: int = 1000
    max_tenant_inflight: int = 100
    crash_loop_restarts: int = 5
    crash_loop_window_s: float = 600.0
    max_impact_percent: int = 25
    block_unhealthy_targets: bool = True
    config_changes_paused: bool = False
    verify_sample_changed: int = 20
    verify_sample_unchanged: int = 10
    verify_timeout_s: float = 10.0
    # limit name → where its value came from (flag, setting or default); absent: default.
    origins: dict[str, Origin] = {}

    def origin(self, limit: str) -> Origin:
        return self.origins.get(limit, "default")


class LimitsSource(Protocol):
    """The current thresholds (read from the flags document, settings as fallback)."""

    async def limits(self) -> Limits: ...


class StaticLimits:
    """Fixed thresholds: tests, and wiring without a config registry."""

    def __init__(self, limits: Limits | None = None) -> None:
        self._limits = limits or Limits()

    async def limits(self) -> Limits:
        return self._limits
