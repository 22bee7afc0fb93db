"""What changed between two service specs: image, env keys (values redacted), labels, replicas,
resources, placement, update and rollback policy."""

from __future__ import annotations

from typing import Any

from cloudlysis_control.deployments.schemas import ChangeKind, SpecChange
from cloudlysis_control.swarm.normalise import replicas_desired

REDACTED = "<redacted>"
# The job that last changed the spec (written by service.deploy and spec rollbacks).
JOB_LABEL = "cloudlysis.control.job"
# Labels the control plane itself writes; not a change an operator made.
IGNORED_LABELS = frozenset({JOB_LABEL})


def _obj(value: Any, *path: str) -> dict[str, Any]:
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, dict) else {}


def _env(spec: dict[str, Any]) -> dict[str, str]:
    env = _obj(spec, "TaskTemplate", "ContainerSpec").get("Env")
    out: dict[str, str] = {}
    for item in env if isinstance(env, list) else []:
        if isinstance(item, str):
            key, _, value = item.partition("=")
            out[key] = value
    return out


def _flat(value: Any, prefix: str) -> dict[str, str]:
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for k, v in value.items():
            out.update(_flat(v, f"{prefix}.{_snake(str(k))}" if prefix else _snake(str(k))))
        return out
    if value is None or value == [] or value == {}:
        return {}
    if isinstance(value, list):
        return {prefix: ", ".join(str(v) for v in value)}
    return {prefix: str(value)}


def _snake(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and not name[i - 1].isupper():
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def _compare(
    before: dict[str, str], after: dict[str, str], prefix: str, redact: bool = False
) -> list[SpecChange]:
    changes = []
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key), after.get(key)
        if b == a:
            continue
        change: ChangeKind = "added" if b is None else "removed" if a is None else "changed"
        changes.append(
            SpecChange(
                path=f"{prefix}.{key}" if prefix else key,
                change=change,
                before=(REDACTED if redact else b) if b is not None else None,
                after=(REDACTED if redact else a) if a is not None else None,
            )
        )
    return changes


def spec_diff(previous: dict[str, Any], current: dict[str, Any]) -> list[SpecChange]:
    changes: list[SpecChange] = []
    image_b = _obj(previous, "TaskTemplate", "ContainerSpec").get("Image")
    image_a = _obj(current, "TaskTemplate", "ContainerSpec").get("Image")
    changes += _compare(
        {"image": str(image_b)} if image_b else {}, {"image": str(image_a)} if image_a else {}, ""
    )
    changes += _compare(_env(previous), _env(current), "env", redact=True)

    def labels(spec: dict[str, Any]) -> dict[str, str]:
        merged = {
            **{
                f"container.{k}": str(v)
                for k, v in _obj(spec, "TaskTemplate", "ContainerSpec", "Labels").items()
            },
            **{k: str(v) for k, v in _obj(spec, "Labels").items()},
        }
        return {k: v for k, v in merged.items() if k not in IGNORED_LABELS}

    changes += _compare(labels(previous), labels(current), "labels")
    rb, ra = replicas_desired(previous), replicas_desired(current)
    changes += _compare(
        {"replicas": str(rb)} if rb is not None else {},
        {"replicas": str(ra)} if ra is not None else {},
        "",
    )
    for section, path in (
        ("resources", ("TaskTemplate", "Resources")),
        ("placement", ("TaskTemplate", "Placement")),
        ("update_config", ("UpdateConfig",)),
        ("rollback_config", ("RollbackConfig",)),
    ):
        changes += _compare(
            _flat(_obj(previous, *path), ""), _flat(_obj(current, *path), ""), section
        )
    return changes
