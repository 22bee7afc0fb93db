"""The guardrails: each one measures one invariant and returns a `CheckResult` named after it.

Workflows measure (they know their ports: the Swarm, the services' admin API, the locks) and call
these to judge; the judgement, the check name, the threshold and the words of the detail live
here once, so a refusal reads the same whichever workflow refused. `refuse` turns failed checks
into the one refusal shape: 409 `lock_held` when another job holds the lock, else 422
`preflight_refused`, both listing every failed check in `failures`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from cloudlysis_control.core.checks import CheckResult
from cloudlysis_control.core.errors import LockHeld, PlanStale, PreflightRefused
from cloudlysis_control.guardrails.limits import Limits
from cloudlysis_control.locks.service import LockService
from cloudlysis_control.swarm.schemas import SwarmService, SwarmTask

LOCK_CHECK = "no_conflicting_lock"
FAILED_TASK_STATES = ("failed", "rejected")

# -- locks and plans --------------------------------------------------------------------------


async def lock_free(
    locks: LockService | None,
    scope: str,
    name: str,
    job_id: str | None,
    clock: Callable[[], float] = time.time,
) -> CheckResult:
    """No other job holds the lock this workflow needs (an expired lock counts as free)."""
    holder = None
    if locks is not None:
        record = await locks.get(scope, name)
        if record is not None and record.job_id != job_id and record.expires_at > clock():
            holder = str(record.job_id)
    return CheckResult(
        check=LOCK_CHECK,
        ok=holder is None,
        value=holder,
        threshold=None,
        detail=f"job {holder} holds the {scope} lock on {name}"
        if holder
        else f"no other job holds the {scope} lock on {name}",
    )


def plan_hash_fresh(current: str, confirmed: str) -> CheckResult:
    """The plan made now is the one the operator confirmed (same inputs, same hash)."""
    ok = current == confirmed
    return CheckResult(
        check="plan_hash",
        ok=ok,
        value=current,
        threshold=confirmed,
        detail="the plan is unchanged since it was confirmed"
        if ok
        else "the plan made now differs from the one confirmed",
    )


def placement_revision(kind: str, current: str | None, planned: str | None) -> CheckResult:
    """The placement the plan read is still the current one."""
    ok = current == planned
    return CheckResult(
        check="placement_revision",
        ok=ok,
        value=current,
        threshold=planned,
        detail="placement unchanged since the plan"
        if ok
        else f"the {kind} placement changed since the plan (revision {current}, "
        f"planned {planned}): plan again",
    )


# -- tenants ----------------------------------------------------------------------------------


def tenant_lag(lag: int | None, shard: str | None, limits: Limits, error: str = "") -> CheckResult:
    """The tenant's replication lag on its source shard (None: it could not be measured)."""
    limit = limits.max_tenant_lag
    if lag is None:
        return CheckResult(
            check="source_lag",
            ok=False,
            threshold=limit,
            detail=f"cannot measure lag on {shard}: {error}",
        )
    return CheckResult(
        check="source_lag",
        ok=lag <= limit,
        value=lag,
        threshold=limit,
        detail=f"lag {lag} on {shard} (at most {limit})",
    )


def tenant_inflight(
    inflight: int | None, shard: str | None, limits: Limits, error: str = ""
) -> CheckResult:
    """The tenant's requests in flight on its source shard (None: it could not be measured)."""
    limit = limits.max_tenant_inflight
    if inflight is None:
        return CheckResult(
            check="source_inflight",
            ok=False,
            threshold=limit,
            detail=f"cannot measure inflight on {shard}: {error}",
        )
    return CheckResult(
        check="source_inflight",
        ok=inflight <= limit,
        value=inflight,
        threshold=limit,
        detail=f"{inflight} inflight on {shard} (at most {limit})",
    )


def target_differs(tenant_id: str, source: str | None, target: str) -> CheckResult:
    ok = source != target
    return CheckResult(
        check="target_differs",
        ok=ok,
        value=source,
        threshold=f"!= {target}",
        detail=f"{tenant_id} is on {source}; target is {target}"
        if ok
        else f"{tenant_id} is already on {target}",
    )


def shard_exists(role: str, kind: str, shard: str, exists: bool) -> CheckResult:
    return CheckResult(
        check=f"{role}_shard_exists",
        ok=exists,
        value=shard,
        threshold=None,
        detail=f"shard {shard} is in the {kind} shard directory"
        if exists
        else f"shard {shard} is not in the {kind} shard directory",
    )


def instances_answer(
    check: str, what: str, failing: str, shard: str | None, total: int, bad: Sequence[str]
) -> CheckResult:
    """Every instance of a shard answers (`what`: "answers /health"; `failing`: "not healthy")."""
    good = total - len(bad)
    ok = total > 0 and not bad
    return CheckResult(
        check=check,
        ok=ok,
        value=f"{good}/{total}",
        threshold=f"{total}/{total}",
        detail=f"every {shard} instance {what}"
        if ok
        else f"{shard}: {failing}: {', '.join(bad) or 'no endpoints'}",
    )


# -- Swarm services ---------------------------------------------------------------------------


def service_missing(name: str) -> CheckResult:
    return CheckResult(
        check="service_exists", ok=False, value=name, detail=f"no Swarm service {name}"
    )


def service_settled(s: SwarmService) -> list[CheckResult]:
    """No update is running or paused on the service."""
    updating = s.update_state in ("updating", "rollback_started")
    paused = s.update_state in ("paused", "rollback_paused")
    return [
        CheckResult(
            check="not_updating",
            ok=not updating,
            value=s.update_state,
            detail=f"an update is in progress ({s.update_state})"
            if updating
            else "no update in progress",
        ),
        CheckResult(
            check="not_paused",
            ok=not paused,
            value=s.update_state,
            detail=f"the last update is {s.update_state}" if paused else "no update is paused",
        ),
    ]


def service_healthy(s: SwarmService) -> CheckResult:
    """Every desired replica runs (a global service: its tasks run)."""
    desired = s.replicas_desired
    ok = desired is None or s.replicas_running >= desired
    return CheckResult(
        check="service_healthy",
        ok=ok,
        value=s.replicas_running,
        threshold=desired,
        detail=f"{s.replicas_running}/{desired} replicas running"
        if desired is not None
        else f"{s.replicas_running} tasks running",
    )


def _epoch(ts: str | None) -> float | None:
    if not ts:
        return None
    try:
        return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def task_failures(tasks: Iterable[SwarmTask], now: float, window_s: float) -> int:
    """Tasks that failed (or were rejected) within the last `window_s` seconds: restarts."""
    count = 0
    for t in tasks:
        at = _epoch(t.updated_at)
        if t.state in FAILED_TASK_STATES and at is not None and now - at <= window_s:
            count += 1
    return count


def crash_loop(s: SwarmService, limits: Limits, now: float) -> CheckResult:
    """Fewer than N task failures within W (Swarm keeps the failed tasks of each slot)."""
    window = limits.crash_loop_window_s
    n = limits.crash_loop_restarts
    failures = task_failures(s.tasks, now, window)
    return CheckResult(
        check="crash_loop",
        ok=failures < n,
        value=failures,
        threshold=n,
        detail=f"{failures} task failure(s) of {s.service} in the last {window:g} s "
        f"(a crash loop is {n})",
    )


def image_exists(image: str, exists: bool | None) -> CheckResult:
    return CheckResult(
        check="image_exists",
        ok=exists is True,
        value=image,
        detail=f"the engine resolves image {image}"
        if exists is True
        else f"the engine cannot resolve image {image}"
        if exists is False
        else f"could not tell whether image {image} exists (registry and engine did not answer)",
    )


def rollback_target(name: str, available: bool) -> CheckResult:
    return CheckResult(
        check="previous_spec",
        ok=available,
        detail=f"{name} has a spec to roll back to"
        if available
        else f"{name} has no previous spec to roll back to",
    )


# -- config changes ---------------------------------------------------------------------------


def changes_enabled(paused: bool, domain: str) -> CheckResult:
    blocked = paused and domain != "flags"
    return CheckResult(
        check="config.guardrail.changes_paused",
        ok=not blocked,
        value="paused" if paused else "enabled",
        threshold="enabled",
        detail="config changes are paused (flags/control: config_changes)"
        if blocked
        else "config changes are enabled",
    )


def impact_radius(changed: int, total: int, limits: Limits) -> CheckResult:
    """The share of tenants whose route a change moves, against max_impact_percent."""
    limit = limits.max_impact_percent
    percent = round(changed * 100 / total, 1) if total else 0.0
    ok = not total or changed * 100 <= limit * total
    return CheckResult(
        check="config.guardrail.impact_radius",
        ok=ok,
        value=percent,
        threshold=limit,
        detail=f"{changed} of {total} tenants change route ({percent:.1f} %)"
        + ("" if ok else f", over max_impact_percent {limit} %"),
    )


def targets_healthy(kind: str, shard: str, unhealthy: Sequence[str], total: int) -> CheckResult:
    """Every endpoint of a shard a change moves tenants to is healthy now. Whether a failure
    blocks is the flag `block_unhealthy_targets` (else the plan only warns)."""
    ok = not unhealthy
    return CheckResult(
        check="config.guardrail.target_unhealthy",
        ok=ok,
        value=f"{total - len(unhealthy)}/{total}",
        threshold=f"{total}/{total}",
        detail=f"target shard {shard} ({kind}) is healthy"
        if ok
        else f"target shard {shard} ({kind}) has endpoints that are not healthy now: "
        f"{', '.join(sorted(unhealthy))[:300]}",
    )


def routing_verified(sampled: int, wrong: int, problems: Sequence[str] = ()) -> CheckResult:
    """After a routing change: every sampled tenant resolves where the plan expects."""
    return CheckResult(
        check="routing_verified",
        ok=wrong == 0,
        value=wrong,
        threshold=0,
        detail=f"{sampled} sampled resolution(s) as planned"
        if wrong == 0
        else f"{wrong} of {sampled} sampled resolution(s) differ: " + "; ".join(problems[:3]),
    )


# -- refusing ---------------------------------------------------------------------------------


def refuse(
    checks: Sequence[CheckResult], subject: str = "", detail: str = "", **extra: object
) -> None:
    """Raise the refusal for the failed checks, if any: 409 `lock_held` when another job holds
    the lock, else 422 `preflight_refused` (`detail` instead of the failures' own words); both
    list every failure."""
    failures = [c for c in checks if not c.ok]
    if not failures:
        return
    prefix = f"{subject}: " if subject else ""
    holder = next((c.value for c in failures if c.check == LOCK_CHECK), None)
    if holder is not None:
        lock = next(c.detail for c in failures if c.check == LOCK_CHECK)
        raise LockHeld(prefix + lock, job_id=str(holder), failures=failures)
    words = detail or "; ".join(c.detail for c in failures)
    raise PreflightRefused(prefix + words, failures=failures, **extra)


def stale(detail: str, checks: Sequence[CheckResult], **extra: object) -> PlanStale:
    """409 `plan_stale` listing the failed checks (the plan's hash first)."""
    return PlanStale(detail, failures=[c for c in checks if not c.ok], **extra)
