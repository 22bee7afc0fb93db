"""`GET /admin/v1/guardrails`: every guardrail, the workflows it guards and its thresholds now."""

from __future__ import annotations

from typing import Literal

import msgspec

from cloudlysis_control.core.checks import Value


class GuardrailThreshold(msgspec.Struct, kw_only=True):
    name: str  # the limit, e.g. max_tenant_lag
    value: Value  # what the checks compare with now
    flag: str | None  # the `flags/control` field that sets it (None: not configurable)
    setting: str | None = None  # the setting used when the flag is not set
    source: Literal["flag", "setting", "default", "live"]  # where `value` came from now
    description: str


class Guardrail(msgspec.Struct, kw_only=True):
    name: str  # stable
    description: str  # what it measures, in one line
    checks: list[str]  # the `check` names its results carry in `failures[]`
    workflows: list[str]  # the job kinds whose preflight (or verification) runs it
    phase: Literal["preflight", "verify"]
    thresholds: list[GuardrailThreshold]


class GuardrailList(msgspec.Struct, kw_only=True):
    items: list[Guardrail]
