#!/usr/bin/env python3
"""Sum every JUnit report in a directory and print the one line CI reads: `N passed, N failed`.

Exit status is non-zero when anything failed or errored, or when no test ran at all.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET  # noqa: S405 - our own reports
from pathlib import Path


def main() -> int:
    reports = Path(sys.argv[1] if len(sys.argv) > 1 else ".ci/reports")
    passed = failed = skipped = 0
    per_file: list[str] = []
    for path in sorted(reports.glob("*.xml")):
        root = ET.parse(path).getroot()  # noqa: S314
        f_passed = f_failed = f_skipped = 0
        for case in root.iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                f_failed += 1
            elif case.find("skipped") is not None:
                f_skipped += 1
            else:
                f_passed += 1
        # A suite that crashed before its cases ran reports errors on the suite element.
        suite_errors = sum(int(s.get("errors", 0) or 0) for s in root.iter("testsuite")
                           if not list(s.iter("testcase")))
        f_failed += suite_errors
        per_file.append(f"  {path.name}: {f_passed} passed, {f_failed} failed, {f_skipped} skipped")
        passed, failed, skipped = passed + f_passed, failed + f_failed, skipped + f_skipped
    print("\n".join(per_file))
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
