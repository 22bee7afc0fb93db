"""`cloudlysis-demo` arguments: the API port is --port, else CONTROL_PORT, else 8080."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cloudlysis_devfleet import demo


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """run_demo replaced by a recorder: nothing is started."""
    calls: list[dict[str, Any]] = []

    def fake(base: Path, port: int = 8080, **kw: Any) -> int:
        calls.append({"base": base, "port": port, **kw})
        return 0

    monkeypatch.setattr(demo, "run_demo", fake)
    monkeypatch.delenv("CONTROL_PORT", raising=False)
    return calls


def run(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as e:
        demo.main(argv)
    return int(e.value.code or 0)


def test_default_port(runs: list[dict[str, Any]], tmp_path: Path) -> None:
    assert run(["--dir", str(tmp_path)]) == 0
    assert runs[0]["port"] == 8080


def test_control_port_is_honoured(
    runs: list[dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTROL_PORT", "8455")
    assert run(["--dir", str(tmp_path)]) == 0
    assert runs[0]["port"] == 8455


def test_port_flag_wins_over_control_port(
    runs: list[dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTROL_PORT", "8455")
    assert run(["--dir", str(tmp_path), "--port", "8456"]) == 0
    assert runs[0]["port"] == 8456


def test_invalid_control_port_is_a_configuration_error(
    runs: list[dict[str, Any]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CONTROL_PORT", "80a")
    assert run(["--dir", str(tmp_path)]) == 2
    assert "CONTROL_PORT='80a' is invalid: expected an integer" in capsys.readouterr().err
    assert runs == []
