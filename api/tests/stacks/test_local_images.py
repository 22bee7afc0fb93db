"""The images scripts/build-images.sh builds without a registry (docs/stacks.md, "Images built
here") against what the CI smoke deploys: every service that runs in the smoke uses one of them,
and the published-port variables a test run sets replace the base files' ports."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.stacks import ALL_FILES, BASE_FILES, CI, REPO, dockerfile, services
from tests.support.stacks import stack_config as config

BUILD = REPO / "scripts" / "build-images.sh"
LOCAL_DOCKERFILES = sorted((REPO / "stacks" / "images").glob("*/Dockerfile"))


def _build_images(flag: str) -> list[str]:
    out = subprocess.run([str(BUILD), flag], capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_every_service_the_ci_smoke_runs_has_an_image_built_here() -> None:
    variables = dict(line.split("=", 1) for line in _build_images("--vars"))
    built = set(_build_images("--images"))
    cfg = config(ALL_FILES, variables=variables)
    running = {
        name: svc["image"]
        for name, svc in services(cfg).items()
        if svc["deploy"].get("mode") == "global" or svc["deploy"].get("replicas", 1) > 0
    }
    assert running, cfg
    missing = {name: image for name, image in running.items() if image not in built}
    assert missing == {}


def test_the_published_port_variables_replace_the_base_ports() -> None:
    ports = {"ui": 41001, "gateway": 41002, "grafana": 41003}
    variables = {
        "UI_PUBLISHED_PORT": "41001",
        "GATEWAY_PUBLISHED_PORT": "41002",
        "GRAFANA_PUBLISHED_PORT": "41003",
    }
    for files in (BASE_FILES, (*BASE_FILES, CI)):
        cfg = config(files, variables=variables)
        for name, port in ports.items():
            published = [p["published"] for p in services(cfg)[name]["ports"]]
            assert published == [port], (files, name, published)


@pytest.mark.parametrize("path", LOCAL_DOCKERFILES, ids=lambda p: p.parent.name)
def test_local_image_dockerfiles_take_their_base_and_pin_their_version(path: Path) -> None:
    instructions = dockerfile(path)
    first_from = next(i for i, ins in enumerate(instructions) if ins.keyword == "FROM")
    before = [ins.args for ins in instructions[:first_from] if ins.keyword == "ARG"]
    assert any(a.startswith("BASE=") for a in before), before
    pinned = [ins.args for ins in instructions if ins.keyword == "ARG" and "VERSION" in ins.args]
    if path.parent.name != "python":  # Debian's python3.11: the suite fixes the minor version
        assert pinned, f"{path}: no *_VERSION build argument"
