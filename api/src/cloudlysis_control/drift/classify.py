"""Drift classification: desired vs observed → items. Pure: no I/O, no clock (`now` is given).

Categories (docs/drift.md):
- `missing`: a desired service that does not run; `extra`: a service that runs in a desired
  stack's namespace (or in none: made by hand) and is not desired.
- `version`: the image's repository or tag differs (or the digest, when the desired one pins it).
- `config`: the Swarm spec differs from the stack file where a hand edit shows (env, configs,
  placement constraints, more replicas than desired), or an instance runs another config revision
  than the registry holds.
- `unhealthy`: fewer replicas running than desired, a crash loop (at least N failed tasks in the
  last W seconds) or failing health checks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cloudlysis_control.core.clock import parse_rfc3339
from cloudlysis_control.drift.desired import DesiredService, DesiredState, env_hash
from cloudlysis_control.drift.schemas import DriftCategory, DriftRemedy, DriftSeverity
from cloudlysis_control.swarm.normalise import STACK_LABEL, replicas_desired, split_image
from cloudlysis_control.swarm.ports import Raw

IGNORE_LABEL = "cloudlysis.drift.ignore"
_FAILED = ("failed", "rejected")
DEPLOY = "POST /admin/v1/swarm/services/{name}/deploy"
ROLLBACK = "POST /admin/v1/swarm/services/{name}/rollback"


@dataclass(frozen=True)
class Finding:
    category: DriftCategory
    severity: DriftSeverity
    stack: str | None
    service: str
    field: str
    desired: str | None
    observed: str | None
    detail: str
    instance: str | None = None
    remedies: tuple[DriftRemedy, ...] = ()

    @property
    def id(self) -> str:
        key = "\0".join(
            (self.category, self.stack or "", self.service, self.instance or "", self.field)
        )
        return "dr_" + hashlib.sha256(key.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class RevisionGap:
    """An instance that serves another revision of a registry config than the registry holds."""

    instance: str
    service: str  # its Swarm service when known, else the instance
    stack: str | None
    key: str  # the entry of the instance's `revisions` (aggregate, routing, activation:...)
    domain: str
    name: str
    scope: str
    desired: str | None
    observed: str | None


@dataclass(frozen=True)
class HealthFailure:
    service: str
    instance: str
    detail: str


@dataclass(frozen=True)
class Thresholds:
    crash_restarts: int = 3  # failed tasks ...
    crash_window_s: float = 600.0  # ... within this window make a crash loop


@dataclass
class _Observed:
    raw: Raw
    name: str
    stack: str | None
    labels: dict[str, str]
    image: str
    replicas: int | None
    running: int
    failed_recent: int
    env: dict[str, str] = field(default_factory=dict)
    configs: tuple[str, ...] = ()
    constraints: tuple[str, ...] = ()


def _obj(value: Any, *path: str) -> dict[str, Any]:
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, dict) else {}


def _observe(raw: Raw, tasks: list[Raw], now: float, window_s: float) -> _Observed:
    spec = _obj(raw, "Spec")
    container = _obj(spec, "TaskTemplate", "ContainerSpec")
    labels = {str(k): str(v) for k, v in (spec.get("Labels") or {}).items()}
    env: dict[str, str] = {}
    for entry in container.get("Env") or []:
        k, _, v = str(entry).partition("=")
        env[k] = env_hash(v)
    configs = tuple(
        sorted(
            str(c.get("ConfigName")) for c in container.get("Configs") or [] if c.get("ConfigName")
        )
    )
    constraints = tuple(
        sorted(str(c) for c in _obj(spec, "TaskTemplate", "Placement").get("Constraints") or [])
    )
    running = 0
    failed = 0
    for t in tasks:
        status = _obj(t, "Status")
        state = str(status.get("State") or "")
        if state == "running" and t.get("DesiredState") == "running":
            running += 1
        elif state in _FAILED or (state in ("shutdown", "complete") and status.get("Err")):
            try:
                at = parse_rfc3339(str(status.get("Timestamp") or t.get("UpdatedAt"))).timestamp()
            except ValueError:
                continue
            if now - at <= window_s:
                failed += 1
    return _Observed(
        raw=raw,
        name=str(spec.get("Name") or raw.get("ID")),
        stack=labels.get(STACK_LABEL),
        labels=labels,
        image=str(container.get("Image") or ""),
        replicas=replicas_desired(spec),
        running=running,
        failed_recent=failed,
        env=env,
        configs=configs,
        constraints=constraints,
    )


def _plain(image: str) -> str:
    repo, tag, _ = split_image(image)
    return f"{repo}:{tag or 'latest'}"


def _image_differs(desired: str, observed: str) -> bool:
    d_repo, d_tag, d_digest = split_image(desired)
    o_repo, o_tag, o_digest = split_image(observed)
    if d_repo.removeprefix("docker.io/") != o_repo.removeprefix("docker.io/"):
        return True
    if (d_tag or "latest") != (o_tag or "latest"):
        return True
    return d_digest is not None and d_digest != o_digest


def _adopt(service: str, field_: str, observed: str | None) -> DriftRemedy:
    return DriftRemedy(
        kind="adopt",
        label="Adopt what runs as desired",
        job_kind="drift.adopt",
        params={"service": service, "field": field_, "observed": observed},
    )


def _reapply(service: str, field_: str, label: str, danger: bool = False) -> DriftRemedy:
    return DriftRemedy(
        kind="reapply",
        label=label,
        job_kind="drift.reapply",
        params={"service": service, "field": field_, "confirm": service},
        danger=danger,
    )


def _keys_differ(desired: Mapping[str, str], observed: Mapping[str, str]) -> list[str]:
    return sorted(k for k in set(desired) | set(observed) if desired.get(k) != observed.get(k))


def _summary(env: Mapping[str, str]) -> str:
    joined = "\n".join(f"{k}={v}" for k, v in sorted(env.items()))
    return f"{len(env)} vars, {env_hash(joined)}"


def _compare(d: DesiredService, o: _Observed) -> Iterable[Finding]:
    s, stack = o.name, d.stack
    if d.image and _image_differs(d.image, o.image):
        yield Finding(
            "version",
            "warning",
            stack,
            s,
            "image",
            d.image,
            o.image,
            f"{s} runs {_plain(o.image)}; desired ({d.source}) is {_plain(d.image)}",
            remedies=(
                DriftRemedy(
                    kind="reapply",
                    label=f"Deploy {_plain(d.image)}",
                    job_kind="service.deploy",
                    params={"service": s, "image": d.image, "confirm": s},
                    endpoint=DEPLOY,
                ),
                _adopt(s, "image", o.image),
            ),
        )
    changed = _keys_differ(d.env, o.env)
    if changed:
        yield Finding(
            "config",
            "warning",
            stack,
            s,
            "env",
            _summary(d.env),
            _summary(o.env),
            f"{s}: environment differs from the stack file in {', '.join(changed)} "
            "(values not shown)",
            remedies=(
                _reapply(s, "env", "Restore the stack file's environment"),
                _adopt(s, "env", _summary(o.env)),
            ),
        )
    if tuple(d.configs) != o.configs:
        yield Finding(
            "config",
            "warning",
            stack,
            s,
            "configs",
            ", ".join(d.configs) or "none",
            ", ".join(o.configs) or "none",
            f"{s} mounts other Swarm configs than the stack file (re-apply with "
            "`docker stack deploy`: a config's file target and mode are not kept here)",
            remedies=(_adopt(s, "configs", ", ".join(o.configs) or "none"),),
        )
    if tuple(d.constraints) != o.constraints:
        yield Finding(
            "config",
            "warning",
            stack,
            s,
            "constraints",
            "; ".join(d.constraints) or "none",
            "; ".join(o.constraints) or "none",
            f"{s} has other placement constraints than the stack file",
            remedies=(
                _reapply(s, "constraints", "Restore the stack file's constraints"),
                _adopt(s, "constraints", "; ".join(o.constraints) or "none"),
            ),
        )
    if d.replicas is not None and o.replicas is not None and o.replicas > d.replicas:
        yield Finding(
            "config",
            "warning",
            stack,
            s,
            "replicas",
            str(d.replicas),
            str(o.replicas),
            f"{s} is scaled to {o.replicas} replicas; the stack file says {d.replicas}",
            remedies=(
                _reapply(s, "replicas", f"Scale back to {d.replicas}"),
                _adopt(s, "replicas", str(o.replicas)),
            ),
        )


def _unhealthy(o: _Observed, desired_replicas: int | None, t: Thresholds) -> Iterable[Finding]:
    s = o.name
    want = desired_replicas if desired_replicas is not None else o.replicas
    if want is not None and want > 0 and o.running < want:
        yield Finding(
            "unhealthy",
            "critical" if o.running == 0 else "warning",
            o.stack,
            s,
            "replicas",
            str(want),
            str(o.running),
            f"{s}: {o.running}/{want} replicas running",
            remedies=(_reapply(s, "replicas", f"Scale to {want} and restart"),),
        )
    if o.failed_recent >= t.crash_restarts:
        minutes = round(t.crash_window_s / 60)
        yield Finding(
            "unhealthy",
            "critical",
            o.stack,
            s,
            "crash_loop",
            f"< {t.crash_restarts} failed tasks in {minutes} min",
            f"{o.failed_recent} failed tasks in {minutes} min",
            f"{s} is crash-looping: {o.failed_recent} tasks failed in the last {minutes} min",
            remedies=(
                DriftRemedy(
                    kind="reapply",
                    label="Roll back to the previous spec",
                    job_kind="service.rollback",
                    params={"service": s, "confirm": s},
                    endpoint=ROLLBACK,
                ),
            ),
        )


def classify(
    desired: DesiredState,
    services: list[Raw],
    tasks: list[Raw],
    *,
    now: float,
    thresholds: Thresholds | None = None,
    revisions: Iterable[RevisionGap] = (),
    health: Iterable[HealthFailure] = (),
) -> list[Finding]:
    """Every difference between `desired` and one observation (`services`, `tasks` as the Engine
    API returns them), sorted by severity, category, service."""
    thresholds = thresholds or Thresholds()
    by_service: dict[str, list[Raw]] = {}
    for t in tasks:
        by_service.setdefault(str(t.get("ServiceID")), []).append(t)
    observed = {
        o.name: o
        for o in (
            _observe(raw, by_service.get(str(raw.get("ID")), []), now, thresholds.crash_window_s)
            for raw in services
        )
    }
    wanted = {d.service: d for d in desired.services}
    stacks = set(desired.stacks)
    out: list[Finding] = []
    for name, d in wanted.items():
        o = observed.get(name)
        if o is None:
            out.append(
                Finding(
                    "missing",
                    "critical",
                    d.stack,
                    name,
                    "service",
                    d.image or "desired",
                    None,
                    f"{name} is in stack {d.stack} but does not run",
                    remedies=(
                        _reapply(name, "service", "Create it from the stack file"),
                        _adopt(name, "service", None),
                    ),
                )
            )
            continue
        out.extend(_compare(d, o))
        out.extend(_unhealthy(o, d.replicas, thresholds))
    for name, o in observed.items():
        if name in wanted:
            continue
        if o.labels.get(IGNORE_LABEL) == "true":
            continue
        if desired.source is not None and (o.stack is None or o.stack in stacks):
            out.append(
                Finding(
                    "extra",
                    "warning",
                    o.stack,
                    name,
                    "service",
                    None,
                    o.image,
                    f"{name} runs but is in no desired stack"
                    if o.stack is None
                    else f"{name} runs in stack {o.stack} but its stack file does not have it",
                    remedies=(
                        _reapply(name, "service", f"Remove {name}", danger=True),
                        _adopt(name, "service", o.image),
                    ),
                )
            )
        out.extend(_unhealthy(o, None, thresholds))
    for g in revisions:
        out.append(
            Finding(
                "config",
                "critical",
                g.stack,
                g.service,
                f"revision:{g.key}",
                g.desired,
                g.observed,
                f"{g.instance} serves {g.key} revision {g.observed or 'none'}; the registry holds "
                f"{g.desired or 'none'}",
                instance=g.instance,
                remedies=(
                    DriftRemedy(
                        kind="reapply",
                        label=f"Reload {g.instance}",
                        job_kind="config.reload",
                        params={"services": [g.instance]},
                        endpoint="POST /admin/v1/config/reload",
                    ),
                    DriftRemedy(
                        kind="adopt",
                        label=f"Plan a rollback of {g.domain}/{g.name} to revision {g.observed}",
                        job_kind="config.rollback",
                        params={
                            "domain": g.domain,
                            "name": g.name,
                            "scope": g.scope,
                            "target_revision": g.observed,
                        },
                        endpoint="POST /admin/v1/config/{domain}/{name}/rollback",
                    ),
                )
                if g.observed
                else (
                    DriftRemedy(
                        kind="reapply",
                        label=f"Reload {g.instance}",
                        job_kind="config.reload",
                        params={"services": [g.instance]},
                        endpoint="POST /admin/v1/config/reload",
                    ),
                ),
            )
        )
    for h in health:
        o = observed.get(h.service)
        out.append(
            Finding(
                "unhealthy",
                "critical",
                o.stack if o else None,
                h.service,
                "health",
                "healthy and ready",
                h.detail,
                f"{h.instance} fails its health checks: {h.detail}",
                instance=h.instance,
                remedies=(_reapply(h.service, "health", "Restart its tasks"),)
                if o is not None
                else (),
            )
        )
    rank = {"critical": 0, "warning": 1}
    out.sort(key=lambda f: (rank[f.severity], f.category, f.service, f.field, f.instance or ""))
    return out
