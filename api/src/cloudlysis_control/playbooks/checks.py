"""The playbooks' metric comparisons, pure: the figures of the window before a deploy against the
window after it, judged by the `flags` thresholds, each as one CheckResult.

"Not measured" (no metrics store, the store down, too little traffic in a window) passes with a
detail that says so, unless `flags.playbook_require_metrics` is set: a deploy is not rolled back
because monitoring is down or the service had no traffic to judge it by, and the operator still
reads in the result that nothing was measured (docs/swarm.md, deploy verification)."""

from __future__ import annotations

from dataclasses import dataclass

from cloudlysis_control.config.documents import Flags
from cloudlysis_control.core.checks import CheckResult

ERROR_RATE = "error_rate"
P99_LATENCY = "p99_latency"


@dataclass(frozen=True)
class WindowFigures:
    """One window of one version of a service, as the metrics store has it."""

    requests: float  # requests in the window (rate times window)
    error_ratio: float | None  # share of 5xx responses; None when there were no requests
    p99_s: float | None  # p99 latency in seconds; None when the store has no histogram


def not_measured(check: str, why: str, flags: Flags) -> CheckResult:
    required = flags.playbook_require_metrics
    return CheckResult(
        check=check,
        ok=not required,
        detail=f"not measured: {why}" + (" (flags.playbook_require_metrics)" if required else ""),
    )


def _too_little_traffic(
    check: str, before: WindowFigures, after: WindowFigures, flags: Flags
) -> CheckResult | None:
    least = flags.playbook_min_requests
    for name, w in (("before", before), ("after", after)):
        if w.requests < least:
            return not_measured(
                check,
                f"{w.requests:.0f} requests in the window {name} the deploy, "
                f"fewer than {least} (flags.playbook_min_requests)",
                flags,
            )
    return None


def error_rate_check(before: WindowFigures, after: WindowFigures, flags: Flags) -> CheckResult:
    """Fails when the 5xx ratio after exceeds the ratio before by more than
    `playbook_max_error_rate_increase` (absolute)."""
    thin = _too_little_traffic(ERROR_RATE, before, after, flags)
    if thin is not None:
        return thin
    was = before.error_ratio or 0.0
    now = after.error_ratio or 0.0
    limit = flags.playbook_max_error_rate_increase
    ok = now - was <= limit
    return CheckResult(
        check=ERROR_RATE,
        ok=ok,
        value=round(now, 6),
        threshold=round(was + limit, 6),
        detail=(
            f"5xx ratio {now:.2%} after ({after.requests:.0f} requests) vs {was:.2%} before "
            f"({before.requests:.0f} requests): "
            + ("within" if ok else "more than")
            + f" +{limit:.2%} (flags.playbook_max_error_rate_increase)"
        ),
    )


def p99_check(before: WindowFigures, after: WindowFigures, flags: Flags) -> CheckResult:
    """Fails when the p99 after is more than `playbook_max_p99_ratio` times the p99 before,
    unless it stays under `playbook_p99_floor_ms`."""
    thin = _too_little_traffic(P99_LATENCY, before, after, flags)
    if thin is not None:
        return thin
    if before.p99_s is None or after.p99_s is None:
        side = "before" if before.p99_s is None else "after"
        return not_measured(P99_LATENCY, f"no latency histogram in the window {side}", flags)
    floor_s = flags.playbook_p99_floor_ms / 1000
    limit = max(before.p99_s * flags.playbook_max_p99_ratio, floor_s)
    ok = after.p99_s <= limit
    return CheckResult(
        check=P99_LATENCY,
        ok=ok,
        value=round(after.p99_s, 6),
        threshold=round(limit, 6),
        detail=(
            f"p99 {after.p99_s * 1000:.0f} ms after vs {before.p99_s * 1000:.0f} ms before: "
            + ("within" if ok else "more than")
            + f" x{flags.playbook_max_p99_ratio:g} (flags.playbook_max_p99_ratio, "
            f"floor {flags.playbook_p99_floor_ms} ms)"
        ),
    )
