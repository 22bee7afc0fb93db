"""The guardrails over HTTP: which checks guard which workflows, and their thresholds now."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency

from cloudlysis_control.core.openapi import problems
from cloudlysis_control.guardrails.schemas import GuardrailList
from cloudlysis_control.guardrails.service import GuardrailService


class GuardrailsController(Controller):
    path = "/admin/v1/guardrails"
    tags = ["guardrails"]

    @get(
        "/",
        operation_id="ListGuardrails",
        opt={"right": "control.fleet.read"},
        responses=problems(503),
        description="Every guardrail: what it measures, the `check` names its results carry in "
        "a refusal's `failures[]`, the workflows (job kinds) it guards, and each threshold's "
        "current value with where it comes from (`flag`: the `flags/control/platform` field "
        "set; `setting`: the flag is not set, the setting named holds; `default`; `live`: "
        "measured per request). 503 `state_unavailable` when the flags cannot be read.",
    )
    async def list_guardrails(self, guardrails: NamedDependency[GuardrailService]) -> GuardrailList:
        return await guardrails.list()
