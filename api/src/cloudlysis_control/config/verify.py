"""After a write and a reload: does the platform serve what the plan says? Every affected
instance must report the revision, and every sampled tenant must resolve, through every
Gateway, to the shard (and endpoints) the plan expects. Polls until the plan's verify timeout;
a failure names what was seen."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import msgspec

from cloudlysis_control.config.model import ConfigId
from cloudlysis_control.config.ports import ConfigAgents
from cloudlysis_control.config.schemas import ServiceImpact, VerifySample
from cloudlysis_control.core.errors import ControlError
from cloudlysis_control.guardrails import checks
from cloudlysis_control.jobs.kinds import StepFailed

_POLL_S = 0.2


def revision_key(cid: ConfigId, kind: str) -> str | None:
    """Which entry of an instance's `revisions` names this config (None: it does not serve it)."""
    if cid.domain == "routing":
        return "routing" if kind == "gateway" else None
    if cid.domain == "placement":
        return cid.scope if kind in ("gateway", cid.scope) else None
    if cid.domain == "runner.activation":
        return f"activation:{cid.scope}" if kind == "runner" else None
    return None


async def _observe(
    agents: ConfigAgents,
    cid: ConfigId,
    targets: list[ServiceImpact],
    revision: str | None,
    samples: list[VerifySample],
    after: bool,
) -> tuple[list[str], dict[str, Any]]:
    problems: list[str] = []
    seen: dict[str, Any] = {}
    for t in targets:
        key = revision_key(cid, t.kind)
        if key is None:
            continue
        try:
            state = await agents.state(t.url)
        except ControlError as e:
            problems.append(f"{t.instance}: {e.detail}")
            continue
        got = state.revisions.get(key)
        seen[t.instance] = {"revision": got, "config_generation": state.config_generation}
        if got != revision:
            problems.append(f"{t.instance} serves {key} revision {got}, expected {revision}")
    gateways = [(t.instance, t.url) for t in targets if t.kind == "gateway"]
    answers = await resolve_samples(agents, gateways, samples, after, problems)
    seen["resolutions"] = answers
    return problems, seen


async def resolve_samples(
    agents: ConfigAgents,
    gateways: list[tuple[str, str]],
    samples: list[VerifySample],
    after: bool,
    problems: list[str],
) -> list[dict[str, Any]]:
    """Resolve every sampled tenant through every Gateway (`(instance, url)`): each answer, and
    a line in `problems` for each one that is not the shard (and endpoints) expected."""
    answers: list[dict[str, Any]] = []
    for s in samples:
        want_shard = s.shard if after else s.before_shard
        want_endpoints = s.endpoints if after else s.before_endpoints
        for instance, url in gateways:
            try:
                answer = await agents.resolve(url, s.tenant, s.kind)
            except ControlError as e:
                problems.append(f"{instance} resolve {s.tenant}: {e.detail}")
                continue
            ok = answer.shard == want_shard and (
                not want_endpoints or sorted(answer.endpoints) == sorted(want_endpoints)
            )
            answers.append(
                {
                    "gateway": instance,
                    "tenant": s.tenant,
                    "kind": s.kind,
                    "expected": want_shard,
                    "answered": answer.shard,
                    "ok": ok,
                }
            )
            if not ok:
                problems.append(
                    f"{instance} resolves {s.tenant} ({s.kind}) to {answer.shard}, "
                    f"expected {want_shard}"
                )
    return answers


async def verify(
    agents: ConfigAgents,
    cid: ConfigId,
    targets: list[ServiceImpact],
    revision: str | None,
    samples: list[VerifySample],
    timeout_s: float,
    *,
    after: bool = True,
) -> dict[str, Any]:
    started = time.monotonic()
    while True:
        problems, seen = await _observe(agents, cid, targets, revision, samples, after)
        waited = round(time.monotonic() - started, 3)
        resolutions = seen.get("resolutions", [])
        resolved = len(resolutions)
        wrong = [p for p in problems if " resolve" in p]
        routing = checks.routing_verified(resolved, len(wrong), wrong)
        output: dict[str, Any] = {
            "revision": revision,
            "waited_s": waited,
            "resolved": resolved,
            "seen": seen,
            "checks": [msgspec.to_builtins(routing)],
        }
        if not problems:
            return output
        if waited >= timeout_s:
            output["problems"] = problems[:50]
            raise StepFailed(
                "verification_failed",
                f"{len(problems)} check(s) failed after {waited:g} s: " + "; ".join(problems[:3]),
                output=output,
            )
        await asyncio.sleep(_POLL_S)


def samples_of(params: dict[str, Any]) -> list[VerifySample]:
    return msgspec.convert(params.get("samples", []), list[VerifySample])


def targets_of(params: dict[str, Any]) -> list[ServiceImpact]:
    return msgspec.convert(params.get("targets", []), list[ServiceImpact])
