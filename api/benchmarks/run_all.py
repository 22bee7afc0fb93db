"""Run every benchmarks/bench_*.py, one after the other, and print their results.

Each benchmark runs in its own process (`sys.executable bench_x.py`), its output is shown as it
comes, and a benchmark's last `BENCH_RESULT {json}` line (if any) is collected. At the end a
summary lists each benchmark with its exit status, duration and ratio against its baseline.
Exit status: 1 if any benchmark failed, else 0.

    uv run python benchmarks/run_all.py [-k SUBSTRING]      (what `just bench` runs)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULT_PREFIX = "BENCH_RESULT "


def run_one(path: Path) -> tuple[int, float, dict[str, Any] | None]:
    started = time.monotonic()
    result: dict[str, Any] | None = None
    proc = subprocess.Popen(
        [sys.executable, str(path)],
        cwd=HERE.parent,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith(RESULT_PREFIX):
            try:
                result = json.loads(line[len(RESULT_PREFIX) :])
            except ValueError:
                result = None
            continue
        print(f"  {line}", end="", flush=True)
    return proc.wait(), time.monotonic() - started, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run every benchmarks/bench_*.py")
    parser.add_argument("-k", default="", help="only benchmarks whose file name contains this")
    args = parser.parse_args(argv)
    benches = sorted(p for p in HERE.glob("bench_*.py") if args.k in p.name)
    if not benches:
        print(f"no benchmarks matched in {HERE}", file=sys.stderr)
        return 1
    summary: list[str] = []
    failed = 0
    for path in benches:
        print(f"== {path.name}", flush=True)
        code, elapsed, result = run_one(path)
        status = "ok" if code == 0 else f"FAILED (exit {code})"
        failed += code != 0
        extra = ""
        if result and "ratio" in result:
            verdict = "" if result.get("meets_target", True) else ", BELOW TARGET"
            extra = (
                f"  ratio {result['ratio']:.2f} (target >= {result.get('target', '?')}{verdict})"
            )
        summary.append(f"{path.name:<32}{status:<20}{elapsed:6.1f} s{extra}")
    print("\n== summary")
    for line in summary:
        print(line)
    print(f"{len(benches) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
