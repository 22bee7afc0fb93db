"""What should run: the stack files of a configured directory (one rendered stack per file, named
after the file: `platform.yml` is stack `platform`), read the way `docker stack deploy` reads them.

A stack file is Compose YAML (anchors and `<<` merge keys allowed); `${VAR}`, `${VAR:-default}`,
`${VAR-default}` and `$$` are interpolated from the API's environment (a rendered stack from
`docker stack config` has none left). Per service we keep what drift compares: image, replicas
(None for `global`), environment, config names and placement constraints. Environment values are
kept only as hashes: a desired or observed value is never shown, only which keys differ.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_VAR = re.compile(
    r"\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))"
)


# libyaml's safe loader when it is there (several times faster), else the pure-Python one.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class StackFileError(ValueError):
    """A desired stack file that cannot be read (named in the drift report, never a 5xx)."""


def env_hash(value: str) -> str:
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class DesiredService:
    stack: str
    name: str  # the Compose service name
    image: str | None
    replicas: int | None  # None: global mode
    env: Mapping[str, str] = field(default_factory=dict)  # key → env_hash(value)
    # The values themselves, only ever sent to the engine by drift.reapply (never shown).
    env_values: tuple[str, ...] = field(default=(), repr=False)
    configs: tuple[str, ...] = ()  # Swarm config names (<stack>_<name>, or the external name)
    constraints: tuple[str, ...] = ()
    source: str = "stack"  # stack | deployment: where the image comes from
    labels: Mapping[str, str] = field(default_factory=dict)  # deploy.labels (service)
    container_labels: Mapping[str, str] = field(default_factory=dict)  # labels (containers)

    @property
    def service(self) -> str:
        return f"{self.stack}_{self.name}"


@dataclass(frozen=True)
class DesiredState:
    source: str | None  # the directory, None when not configured
    services: tuple[DesiredService, ...]
    stacks: tuple[str, ...]
    errors: tuple[str, ...] = ()


def interpolate(text: str, environ: Mapping[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1) or m.group(4)
        op, default = m.group(2), m.group(3)
        value = environ.get(name)
        if op == ":-" and not value:
            return default or ""
        if op == "-" and value is None:
            return default or ""
        return value or ""

    return _VAR.sub(one, text)


def _env(raw: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    if isinstance(raw, Mapping):
        for k, v in raw.items():
            out[str(k)] = "" if v is None else (str(v).lower() if isinstance(v, bool) else str(v))
    elif isinstance(raw, list):
        for entry in raw:
            key, _, value = str(entry).partition("=")
            out[key] = value
    return out


def _service(
    stack: str, name: str, doc: Mapping[str, Any], top_configs: Mapping[str, Any]
) -> DesiredService:
    deploy: Mapping[str, Any] = doc["deploy"] if isinstance(doc.get("deploy"), Mapping) else {}
    mode = str(deploy.get("mode") or "replicated")
    replicas: int | None = None
    if mode == "replicated":
        r = deploy.get("replicas", 1)
        replicas = int(r) if isinstance(r, int | str) and str(r).isdigit() else 1
    configs: list[str] = []
    for c in doc.get("configs") or []:
        source = c.get("source") if isinstance(c, Mapping) else c
        if not source:
            continue
        top = top_configs.get(str(source)) if isinstance(top_configs, Mapping) else None
        external_name = (top or {}).get("name") if isinstance(top, Mapping) else None
        is_external = isinstance(top, Mapping) and bool(top.get("external"))
        configs.append(str(external_name or source) if is_external else f"{stack}_{source}")
    placement: Mapping[str, Any] = (
        deploy["placement"] if isinstance(deploy.get("placement"), Mapping) else {}
    )
    constraints = tuple(sorted(str(c) for c in placement.get("constraints") or []))
    env = _env(doc.get("environment"))
    return DesiredService(
        stack=stack,
        name=name,
        image=str(doc["image"]) if doc.get("image") else None,
        labels={str(k): str(v) for k, v in (deploy.get("labels") or {}).items()}
        if isinstance(deploy.get("labels"), Mapping)
        else {},
        container_labels=_env(doc.get("labels")),
        replicas=replicas,
        env={k: env_hash(v) for k, v in env.items()},
        env_values=tuple(f"{k}={v}" for k, v in env.items()),
        configs=tuple(sorted(configs)),
        constraints=constraints,
    )


def parse_stack(stack: str, text: str, environ: Mapping[str, str]) -> list[DesiredService]:
    try:
        doc = yaml.load(interpolate(text, environ), Loader=_LOADER)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as e:
        raise StackFileError(f"stack {stack}: not YAML ({e.__class__.__name__})") from e
    except RecursionError as e:
        raise StackFileError(f"stack {stack}: nested too deeply") from e
    if not isinstance(doc, Mapping) or not isinstance(doc.get("services"), Mapping):
        raise StackFileError(f"stack {stack}: no `services` mapping")
    top_configs: Mapping[str, Any] = (
        doc["configs"] if isinstance(doc.get("configs"), Mapping) else {}
    )
    return [
        _service(stack, str(name), svc if isinstance(svc, Mapping) else {}, top_configs)
        for name, svc in doc["services"].items()
    ]


def load_desired(directory: Path | None, environ: Mapping[str, str] | None = None) -> DesiredState:
    if directory is None:
        return DesiredState(None, (), ())
    environ = os.environ if environ is None else environ
    services: list[DesiredService] = []
    stacks: list[str] = []
    errors: list[str] = []
    try:
        files = sorted(p for p in directory.iterdir() if p.suffix in (".yml", ".yaml"))
    except OSError as e:
        return DesiredState(str(directory), (), (), (f"cannot read {directory}: {e.strerror}",))
    for path in files:
        stack = path.stem
        try:
            services.extend(parse_stack(stack, path.read_text(), environ))
            stacks.append(stack)
        except (OSError, UnicodeDecodeError) as e:
            errors.append(f"stack {stack}: cannot read {path.name} ({type(e).__name__})")
        except StackFileError as e:
            errors.append(str(e))
    return DesiredState(str(directory), tuple(services), tuple(stacks), tuple(errors))


class StackReader:
    """`load_desired` that reads the directory again only when a stack file changed (a file's
    name, size or modification time): parsing YAML is most of what drift costs."""

    def __init__(self, directory: Path | None, environ: Mapping[str, str] | None = None) -> None:
        self.directory = directory
        self.environ = environ
        self._signature: tuple[tuple[str, int, int], ...] | None = None
        self._state: DesiredState | None = None
        self.reads = 0

    def _stat(self) -> tuple[tuple[str, int, int], ...] | None:
        if self.directory is None:
            return ()
        try:
            return tuple(
                sorted(
                    (p.name, st.st_size, st.st_mtime_ns)
                    for p in self.directory.iterdir()
                    if p.suffix in (".yml", ".yaml") and (st := p.stat())
                )
            )
        except OSError:
            return None  # unreadable: read (and report) every time

    def read(self) -> DesiredState:
        signature = self._stat()
        if signature is None or signature != self._signature or self._state is None:
            self._state = load_desired(self.directory, self.environ)
            self._signature = signature
            self.reads += 1
        return self._state
