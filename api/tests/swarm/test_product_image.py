"""The product image (api/Dockerfile's default stage) carries no devfleet and no token minting;
the devfleet image (`--target devfleet`) does — so the scan can tell them apart."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.support.product import minting_in

pytestmark = pytest.mark.docker

API = Path(__file__).resolve().parents[2]
VERSION = next(
    line.split('"')[1]
    for line in (API / "pyproject.toml").read_text().splitlines()
    if line.startswith("version = ")
)
# Every .py file under the image's site-packages, printed as JSON {path: text}.
LIST_SOURCES = (
    "import json, pathlib, sysconfig; "
    "root = pathlib.Path(sysconfig.get_paths()['purelib']); "
    "print(json.dumps({str(p.relative_to(root)): p.read_text('utf-8', 'replace') "
    "for p in root.rglob('*.py') if p.parts[len(root.parts)].startswith('cloudlysis')}))"
)


def image_sources(image: str) -> dict[str, bytes]:
    if os.environ.get("CONTROL_TEST_DOCKER") != "1":
        pytest.fail("needs CONTROL_TEST_DOCKER=1 and the images (just test-swarm)")
    done = subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "python", image, "-c", LIST_SOURCES],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    files: dict[str, str] = json.loads(done.stdout)
    return {name: text.encode() for name, text in files.items()}


def test_the_product_image_mints_nothing() -> None:
    files = image_sources(f"cloudlysis/control-api:{VERSION}")
    assert any(name.startswith("cloudlysis_control/") for name in files)
    assert not any(name.startswith("cloudlysis_devfleet") for name in files)
    assert minting_in(files) == []


def test_the_devfleet_image_is_where_minting_lives() -> None:
    files = image_sources(f"cloudlysis/devfleet:{VERSION}")
    assert minting_in(files), "the scan found no minting in the devfleet image"
