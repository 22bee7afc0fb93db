"""core.procs: the parent-death signal and pid files that never name a recycled pid."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cloudlysis_control.core.procs import (
    live_pid_files,
    read_pid_file,
    remove_pid_file,
    start_time,
    write_pid_file,
)

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")


def test_a_pid_file_names_a_live_process(tmp_path: Path) -> None:
    write_pid_file(tmp_path, "me", os.getpid())
    [record] = live_pid_files(tmp_path)
    assert (record.name, record.pid) == ("me", os.getpid())
    assert record.alive() and record.started == start_time(os.getpid())


def test_a_recycled_pid_or_a_dead_process_is_not_alive(tmp_path: Path) -> None:
    (tmp_path / "recycled.pid").write_text(json.dumps({"pid": os.getpid(), "started": "1"}))
    (tmp_path / "unknown.pid").write_text(json.dumps({"pid": os.getpid(), "started": None}))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    write_pid_file(tmp_path, "dead", dead.pid)
    (tmp_path / "garbage.pid").write_text("not json")
    assert live_pid_files(tmp_path) == []
    assert list(tmp_path.glob("*.pid")) == []  # stale files are removed


def test_remove_pid_file_leaves_a_later_run_alone(tmp_path: Path) -> None:
    write_pid_file(tmp_path, "api", os.getpid())
    remove_pid_file(tmp_path, "api", os.getpid() + 1)
    assert read_pid_file(tmp_path / "api.pid") is not None
    remove_pid_file(tmp_path, "api", os.getpid())
    assert not (tmp_path / "api.pid").exists()


CHILD = """
import subprocess, sys
from cloudlysis_control.core.procs import die_with_parent
p = subprocess.Popen(["sleep", "60"], preexec_fn=die_with_parent())
print(p.pid, flush=True)
sys.stdin.read()  # until the test kills us
"""


@linux_only
def test_a_child_dies_with_its_sigkilled_parent() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    started = start_time(child)
    try:
        assert started is not None
        parent.kill()
        parent.wait(10)
        deadline = time.monotonic() + 30
        while start_time(child) == started:
            assert time.monotonic() < deadline, "the child outlived its SIGKILLed parent"
            time.sleep(0.05)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(10)
        if started is not None and start_time(child) == started:
            os.kill(child, 9)
