"""Session fixtures: a real VictoriaMetrics loaded with contract fixtures and replayed rules."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.support.obs import (
    FIXTURE_WINDOW_S,
    RULES_DIR,
    VictoriaMetrics,
    fixture_text,
    load_contract,
    require_binary,
    run,
)


@dataclass
class LoadedVM:
    vm: VictoriaMetrics
    now: int
    series: int
    replay_log: str


def _rfc3339(ts: int) -> str:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="session")
def loaded_vm() -> Iterator[LoadedVM]:
    """VictoriaMetrics with a fixture series for every contract metric, plus every recording
    and alerting rule replayed over the fixture window by a real vmalert (-replay mode)."""
    tmp = Path(tempfile.mkdtemp(prefix="cl-obs-vm-"))
    vm: VictoriaMetrics | None = None
    try:
        vm = VictoriaMetrics(tmp)
        now = int(time.time()) // 30 * 30
        text, n_series = fixture_text(load_contract(), now)
        vm.import_prometheus(text)
        # Replay the rules (chained recording rules included) over the last 20 minutes of the
        # fixture window; results are written back into the same VictoriaMetrics.
        replay_from = now - min(FIXTURE_WINDOW_S - 600, 1200)
        proc = run(
            [
                require_binary("vmalert"),
                f"-rule={RULES_DIR / 'recording.yml'}",
                f"-datasource.url={vm.url}",
                f"-remoteWrite.url={vm.url}",
                f"-replay.timeFrom={_rfc3339(replay_from)}",
                f"-replay.timeTo={_rfc3339(now)}",
                "-replay.rulesDelay=0s",
                "-replay.disableProgressBar",
                "-loggerLevel=WARN",
            ],
            timeout=180,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"vmalert replay failed:\n{proc.stdout}\n{proc.stderr}")
        vm.flush()
        yield LoadedVM(vm=vm, now=now, series=n_series, replay_log=proc.stdout + proc.stderr)
    finally:
        if vm is not None:
            vm.stop()
        shutil.rmtree(tmp, ignore_errors=True)
