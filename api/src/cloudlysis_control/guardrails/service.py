"""The guardrails with their current thresholds (read from the flags, settings as fallback)."""

from __future__ import annotations

from cloudlysis_control.guardrails.catalogue import describe
from cloudlysis_control.guardrails.limits import LimitsSource
from cloudlysis_control.guardrails.schemas import GuardrailList


class GuardrailService:
    def __init__(self, source: LimitsSource) -> None:
        self.source = source

    async def list(self) -> GuardrailList:
        return describe(await self.source.limits())
