"""The product never carries the devfleet: its wheel (and, in tests/swarm, its image) holds no
token minting. The devfleet is a dev-only distribution (api/devfleet) that signs tokens."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.support.product import minting_in

API = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def product_wheel(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        ["uv", "build", "--wheel", "--out-dir", str(out)],
        cwd=API,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = out.glob("cloudlysis_control-*.whl")
    with zipfile.ZipFile(wheel) as z:
        return {name: z.read(name) for name in z.namelist()}


def test_the_product_wheel_holds_the_product_only(product_wheel: dict[str, bytes]) -> None:
    tops = {name.split("/")[0] for name in product_wheel}
    assert all(t.startswith("cloudlysis_control") for t in tops), tops
    assert not [n for n in product_wheel if "devfleet" in n or n.endswith("demo.py")]
    assert minting_in(product_wheel) == []


def test_the_check_finds_minting_where_there_is_some() -> None:
    """The scan is not vacuous: the devfleet's own sources are caught by it."""
    sources = {
        str(p.relative_to(API)): p.read_bytes() for p in (API / "devfleet" / "src").rglob("*.py")
    }
    found = minting_in(sources)
    assert any(name.endswith("gateway/service.py") for name in found), found
    assert any(name.endswith("gateway/keys.py") for name in found), found


def test_the_product_wheel_holds_the_ui_headers_it_reads_at_import(
    product_wheel: dict[str, bytes],
) -> None:
    """webui/static.py reads ui_headers.toml at import: without it the API would not start."""
    source = (API / "src/cloudlysis_control/webui/ui_headers.toml").read_bytes()
    assert product_wheel.get("cloudlysis_control/webui/ui_headers.toml") == source
