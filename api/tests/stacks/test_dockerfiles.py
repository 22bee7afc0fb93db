"""The API and UI Dockerfiles, statically (`just test-swarm` builds and deploys them for real:
scripts/build-images.sh, tests/swarm_smoke). Static checks of what the brief
requires, and that every COPY source exists in the build context and is not dockerignored."""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.stacks import REPO, Instruction, dockerfile, dockerignore_excludes, stages

# Dockerfile -> (build context, .dockerignore of that context)
IMAGES = {
    "api/Dockerfile": (REPO / "api", REPO / "api" / ".dockerignore"),
    "ui/Dockerfile": (REPO, REPO / ".dockerignore"),
}


def _final(path: str) -> list[Instruction]:
    return stages(dockerfile(REPO / path))[-1]


def _exec_form(args: str) -> list[str]:
    parsed = json.loads(args)
    assert isinstance(parsed, list)
    return parsed


def _root_base(all_stages: list[list[Instruction]], stage: list[Instruction]) -> str:
    """What a stage is built FROM, following `FROM <earlier stage>` back to an image."""
    by_alias = {}
    for st in all_stages:
        words = st[0].args.split()
        if len(words) == 3 and words[1].upper() == "AS":
            by_alias[words[2]] = st
    base = stage[0].args.split()[0]
    seen = set()
    while base in by_alias and base not in seen:
        seen.add(base)
        base = by_alias[base][0].args.split()[0]
    return base


def dockerfile_problems(path: Path) -> list[str]:
    problems = []
    instructions = dockerfile(path)
    first_from = next(i for i, ins in enumerate(instructions) if ins.keyword == "FROM")
    if not any(
        ins.keyword == "ARG" and ins.args.startswith("BASE=") for ins in instructions[:first_from]
    ):
        problems.append("ARG BASE=... must come before the first FROM")
    all_stages = stages(instructions)
    if len(all_stages) < 2:
        problems.append("not multi-stage")
    final = all_stages[-1]
    if not _root_base(all_stages, final).startswith("${BASE}"):
        problems.append("the runtime stage must be FROM ${BASE} (directly or through a stage)")
    users = [ins.args for ins in final if ins.keyword == "USER"]
    if not users or users[-1].split(":")[0] in ("root", "0"):
        problems.append("the runtime stage must switch to a non-root USER")
    for keyword in ("HEALTHCHECK", "CMD", "EXPOSE"):
        if not any(ins.keyword == keyword for ins in final):
            problems.append(f"no {keyword} in the runtime stage")
    if not any(
        ins.keyword == "LABEL" and "org.opencontainers.image.version" in ins.args for ins in final
    ):
        problems.append("no org.opencontainers.image.version label")
    return problems


@pytest.mark.parametrize("path", IMAGES)
def test_dockerfile_shape(path: str) -> None:
    assert dockerfile_problems(REPO / path) == []


def test_api_dockerfile_specifics() -> None:
    instructions = dockerfile(REPO / "api/Dockerfile")
    builder = stages(instructions)[0]
    runs = " ".join(i.args for i in builder if i.keyword == "RUN")
    assert "uv sync --locked --no-dev --no-install-project" in runs
    assert "uv sync --locked --no-dev --no-editable" in runs
    final = _final("api/Dockerfile")
    assert _exec_form(next(i.args for i in final if i.keyword == "CMD")) == [
        "cloudlysis-control",
        "serve",
    ]
    env = " ".join(i.args for i in final if i.keyword == "ENV")
    assert "CONTROL_HOST=0.0.0.0" in env
    assert next(i.args for i in final if i.keyword == "EXPOSE") == "8080"
    health = next(i.args for i in final if i.keyword == "HEALTHCHECK")
    assert "/health" in health and "--start-period" in health


def test_ui_dockerfile_specifics() -> None:
    builder = stages(dockerfile(REPO / "ui/Dockerfile"))[0]
    runs = [i.args for i in builder if i.keyword == "RUN"]
    assert runs == ["npm ci", "npm run build"]
    final = _final("ui/Dockerfile")
    cmd = _exec_form(next(i.args for i in final if i.keyword == "CMD"))
    assert cmd == ["control-ui"]
    runs = " ".join(i.args for i in final if i.keyword == "RUN")
    assert '"nginx=${NGINX_VERSION}-*"' in runs  # Debian's nginx, pinned
    assert "control-ui -t" in runs  # the configuration is tested at build, as the user
    copies = [i.args for i in final if i.keyword == "COPY"]
    assert "stacks/ui/control-ui.sh /usr/local/bin/control-ui" in copies
    conf = next(c for c in copies if c.endswith(" /etc/cloudlysis-ui/"))
    for name in ("nginx.conf.template", "security-headers.conf", "cache-control.conf"):
        assert f"stacks/ui/{name}" in conf.split(), name
    users = [i for i, ins in enumerate(final) if ins.keyword == "USER"]
    build_test = next(i for i, ins in enumerate(final) if "control-ui -t" in ins.args)
    assert users and users[0] < build_test
    health = next(i.args for i in final if i.keyword == "HEALTHCHECK")
    assert "wget" in health and "/healthz" in health
    assert not any("python" in i.args for i in final if i.keyword in ("RUN", "CMD"))


def _copy_sources(path: str) -> list[str]:
    sources = []
    for ins in dockerfile(REPO / path):
        if ins.keyword != "COPY" or "--from=" in ins.args:
            continue
        parts = [p for p in shlex.split(ins.args) if not p.startswith("--")]
        sources += parts[:-1]
    return sources


def kept_files(path: Path, context: Path, ignore: Path) -> Iterator[Path]:
    """Files under `path` that the .dockerignore keeps (excluded directories that no `!` rule
    reaches into are not walked: node_modules is large)."""
    negations = [
        line.strip()[1:].strip("/")
        for line in ignore.read_text().splitlines()
        if line.strip().startswith("!")
    ]
    if path.is_file():
        if not dockerignore_excludes(ignore, str(path.relative_to(context))):
            yield path
        return
    for root, dirs, names in os.walk(path):
        rel_root = Path(root).relative_to(context)
        dirs[:] = [
            d
            for d in dirs
            if not dockerignore_excludes(ignore, str(rel_root / d))
            or any(n.startswith(f"{rel_root / d}/") for n in negations)
        ]
        for name in names:
            if not dockerignore_excludes(ignore, str(rel_root / name)):
                yield Path(root) / name


def copy_problems(path: str) -> list[str]:
    context, ignore = IMAGES[path]
    problems = []
    for src in _copy_sources(path):
        full = context / src
        if not full.exists():
            problems.append(f"COPY {src}: not in the build context {context}")
            continue
        if not any(True for _ in kept_files(full, context, ignore)):
            problems.append(f"COPY {src}: excluded by {ignore.relative_to(REPO)}")
    return problems


@pytest.mark.parametrize("path", IMAGES)
def test_copy_sources_are_in_the_context(path: str) -> None:
    assert copy_problems(path) == []


def test_dockerignore_keeps_contexts_small() -> None:
    api_ignore = IMAGES["api/Dockerfile"][1]
    for rel in (".venv/bin/python", "tests/conftest.py", "benchmarks/x.py", ".data/nats/x"):
        assert dockerignore_excludes(api_ignore, rel), rel
    assert not dockerignore_excludes(api_ignore, "src/cloudlysis_control/app.py")
    assert dockerignore_excludes(api_ignore, "src/cloudlysis_control/__pycache__/app.pyc")
    root_ignore = IMAGES["ui/Dockerfile"][1]
    for rel in (
        "ui/node_modules/react/index.js",
        "ui/dist/index.html",
        "api/src/x.py",
        ".git/HEAD",
    ):
        assert dockerignore_excludes(root_ignore, rel), rel
    for rel in ("ui/src/main.tsx", "ui/package-lock.json", "stacks/ui/control-ui.sh"):
        assert not dockerignore_excludes(root_ignore, rel), rel
    assert dockerignore_excludes(root_ignore, "stacks/ui/generate.py")
