"""Child processes that die with their parent, and pid files that outlive it.

On Linux a child started with ``preexec_fn=die_with_parent()`` has PR_SET_PDEATHSIG set: the
kernel signals it when its parent dies, a SIGKILL of the parent included. The signal follows the
*thread* that forked the child, not the process: fork from a thread that lives as long as the
child should (the main thread, or the thread running the event loop), never from a worker pool.
Elsewhere (macOS) there is no such thing; pid files (``write_pid_file``/``live_pid_files``) are
what finds a leftover there, by pid and start time so that a recycled pid is never mistaken for it.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

_PR_SET_PDEATHSIG = 1


@functools.cache
def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    fn.restype = ctypes.c_int
    return fn


def die_with_parent(sig: int = signal.SIGTERM) -> Callable[[], None] | None:
    """A ``preexec_fn`` that has the child receive ``sig`` when this process dies (Linux; None
    elsewhere). It runs between fork and exec, so it only calls prctl and getppid."""
    prctl = _prctl()
    if prctl is None:
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl: no signal would ever come
            os._exit(1)

    return preexec


def die_with_own_parent(sig: int = signal.SIGTERM) -> bool:
    """Have this process receive ``sig`` when its parent dies (Linux). False when unsupported."""
    prctl = _prctl()
    return prctl is not None and prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0) == 0


def parent_name() -> str:
    """The short command name of this process's parent ('' when unknown)."""
    with contextlib.suppress(OSError):
        return Path(f"/proc/{os.getppid()}/comm").read_text().strip()
    return ""


def start_time(pid: int) -> str | None:
    """When the live process `pid` started (an opaque token), None when it is gone or a zombie."""
    if pid <= 0:
        return None
    if Path("/proc/self/stat").exists():
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return None
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] in ("Z", "X"):
            return None
        return fields[19]  # field 22, starttime (clock ticks after boot)
    try:  # no /proc (macOS): ps knows the start time too
        out = subprocess.run(  # noqa: S603 - fixed argv
            ["ps", "-o", "lstart=", "-p", str(pid)],  # noqa: S607 - ps from PATH
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


@dataclass(frozen=True)
class PidRecord:
    name: str
    pid: int
    started: str | None
    path: Path

    def alive(self) -> bool:
        """The very process recorded is still running (not a later one with the same pid)."""
        now = start_time(self.pid)
        return self.started is not None and now == self.started

    def signal(self, sig: int) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self.pid, sig)


def write_pid_file(directory: Path, name: str, pid: int) -> Path:
    """`directory/name.pid`: the pid and its start time, written atomically."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.pid"
    tmp = directory / f".{name}.pid.tmp"
    tmp.write_text(json.dumps({"pid": pid, "started": start_time(pid)}) + "\n")
    tmp.replace(path)
    return path


def read_pid_file(path: Path) -> PidRecord | None:
    try:
        doc = json.loads(path.read_text())
        return PidRecord(path.stem, int(doc["pid"]), doc.get("started"), path)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def live_pid_files(directory: Path) -> list[PidRecord]:
    """The processes `directory/*.pid` name that are still running; stale files are removed."""
    live: list[PidRecord] = []
    for path in sorted(directory.glob("*.pid")):
        record = read_pid_file(path)
        if record is not None and record.alive():
            live.append(record)
        else:
            path.unlink(missing_ok=True)
    return live


def remove_pid_file(directory: Path, name: str, pid: int) -> None:
    """Remove `directory/name.pid` if it still names `pid` (a later run may have replaced it)."""
    path = directory / f"{name}.pid"
    record = read_pid_file(path)
    if record is not None and record.pid == pid:
        path.unlink(missing_ok=True)
