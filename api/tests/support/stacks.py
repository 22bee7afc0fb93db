"""Helpers for the stack tests: the docker CLI, merged stack configs, Dockerfile parsing.

`docker stack config -c A -c B` (docker CLI 28) validates and merges stack files offline, with
no engine. The merged YAML it prints is what the structural tests check, so they see exactly
what `docker stack deploy` would send (anchors resolved, overrides merged, paths absolute).
"""

from __future__ import annotations

import copy
import fnmatch
import functools
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
STACKS = REPO / "stacks"
BASE_FILES = ("control.yml", "platform.yml", "observability.yml")
# The single-server layout: instead of control.yml, for small installs (docs/ha.md).
SINGLE = "control-single.yml"
CI = "ci-override.yml"
DEVFLEET = "devfleet-override.yml"
ALL_FILES = (*BASE_FILES, SINGLE, CI, DEVFLEET)
DOCKER_FALLBACK = Path("/usr/local/bin/docker")

# Variables the stack files interpolate: removed from the environment so the defaults are tested.
STACK_VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)")


@dataclass(frozen=True)
class Combo:
    name: str
    files: tuple[str, ...]
    deployable: bool  # every service complete (image, ...): deployable on its own

    @property
    def ci(self) -> bool:
        return CI in self.files

    @property
    def devfleet(self) -> bool:
        return DEVFLEET in self.files


COMBOS = (
    Combo("platform", ("platform.yml",), True),
    Combo("control", ("control.yml",), True),
    Combo("observability", ("observability.yml",), True),
    Combo("all", BASE_FILES, True),
    Combo("single", (SINGLE,), True),
    Combo("all-single", (SINGLE, "platform.yml", "observability.yml"), True),
    # ci-override.yml names the services of all three files, so with one base file it adds
    # image-less fragments: validated, but only deployable with all three (docs/stacks.md).
    Combo("platform+ci", ("platform.yml", CI), False),
    Combo("control+ci", ("control.yml", CI), False),
    Combo("observability+ci", ("observability.yml", CI), False),
    Combo("all+ci", (*BASE_FILES, CI), True),
    Combo("all+devfleet", (*BASE_FILES, DEVFLEET), True),
    Combo("all+devfleet+ci", (*BASE_FILES, DEVFLEET, CI), True),
)
DEPLOYABLE = tuple(c for c in COMBOS if c.deployable)
WITH_CI = tuple(c for c in COMBOS if c.ci)


def docker_bin(path: str | None = None, fallback: Path = DOCKER_FALLBACK) -> str:
    """The docker CLI, or a test FAILURE (never a skip) naming what is missing."""
    found = shutil.which("docker", path=path)
    if found:
        return found
    if fallback.is_file() and os.access(fallback, os.X_OK):
        return str(fallback)
    pytest.fail(
        "docker CLI not found (PATH, then /usr/local/bin/docker): the stack tests need "
        "`docker stack config` (docker CLI 28; no engine needed) to validate the stack files"
    )


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: ~10x faster


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader


@functools.cache
def stack_env() -> dict[str, str]:
    names: set[str] = set()
    for name in ALL_FILES:
        names.update(STACK_VARIABLE.findall((STACKS / name).read_text()))
    env = {k: v for k, v in os.environ.items() if k not in names}
    env.pop("DOCKER_HOST", None)
    env.pop("DOCKER_CONTEXT", None)
    return env


def run_stack_config(
    files: tuple[str, ...], directory: Path = STACKS, variables: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    args = [docker_bin(), "stack", "config"]
    for name in files:
        args += ["-c", str(directory / name)]
    env = {**stack_env(), **(variables or {})}
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=30, check=False)


def stack_config(
    files: tuple[str, ...], directory: Path = STACKS, variables: dict[str, str] | None = None
) -> dict[str, Any]:
    """Merged config; `variables` set stack variables (the defaults are used otherwise)."""
    result = run_stack_config(files, directory, variables)
    if result.returncode != 0:
        pytest.fail(f"docker stack config {' '.join(files)} failed:\n{result.stderr}")
    loaded = load_yaml(result.stdout)
    assert isinstance(loaded, dict)
    return loaded


@functools.cache
def merged(files: tuple[str, ...]) -> dict[str, Any]:
    """Merged config of the committed files (cached: docker runs once per combination)."""
    return stack_config(files)


def raw(name: str, directory: Path = STACKS) -> dict[str, Any]:
    """A stack file as written (anchors and merge keys resolved); a fresh copy every call."""
    return copy.deepcopy(_raw(name, directory))


@functools.cache
def _raw(name: str, directory: Path) -> dict[str, Any]:
    loaded = load_yaml((directory / name).read_text())
    assert isinstance(loaded, dict)
    return loaded


def services(config: dict[str, Any], *, with_image: bool = False) -> dict[str, dict[str, Any]]:
    svcs: dict[str, dict[str, Any]] = config.get("services") or {}
    if with_image:
        return {k: v for k, v in svcs.items() if v.get("image")}
    return svcs


def image_tag(image: str) -> str | None:
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def flags(path: Path) -> list[str]:
    lines = (line.strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


# ------------------------------------------------------------------ Dockerfiles


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str


def dockerfile(path: Path) -> list[Instruction]:
    """Instructions of a Dockerfile (comments dropped, continuation lines joined)."""
    out: list[Instruction] = []
    pending = ""
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = (pending + stripped).strip()
        pending = ""
        keyword, _, args = full.partition(" ")
        out.append(Instruction(keyword.upper(), args.strip()))
    assert not pending, f"{path}: dangling line continuation"
    return out


def stages(instructions: list[Instruction]) -> list[list[Instruction]]:
    result: list[list[Instruction]] = []
    for ins in instructions:
        if ins.keyword == "FROM":
            result.append([])
        if result:
            result[-1].append(ins)
    return result


def dockerignore_excludes(patterns_file: Path, rel: str) -> bool:
    """Whether `rel` (a path in the context) is excluded: later rules win, `!` re-includes,
    a rule matching a parent directory matches its contents (Docker's semantics for the
    patterns used here)."""
    excluded = False
    parts = rel.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for line in patterns_file.read_text().splitlines():
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        if any(fnmatch.fnmatchcase(p, pattern) for p in prefixes):
            excluded = not negate
    return excluded
