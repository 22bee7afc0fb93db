"""One shape for every preflight check and every refusal's `failures[]` item."""

from __future__ import annotations

from typing import Literal

import msgspec

Value = str | float | bool | None  # one JSON type each (an int is a number)


class CheckResult(msgspec.Struct, kw_only=True):
    """One invariant a preflight checked: what was measured, against what, and whether it holds.

    A refusal (422 `preflight_refused`, 409 `lock_held` / `plan_stale`) lists every failed check
    in `failures`, in this shape, whichever workflow refused."""

    check: str
    ok: bool
    value: Value = None
    threshold: Value = None
    detail: str


def failed(checks: list[CheckResult]) -> list[CheckResult]:
    return [c for c in checks if not c.ok]


class Finding(msgspec.Struct, kw_only=True):
    """One thing a config validation found: a stable `code` (`config.<domain>.<rule>`), where
    (`pointer`, RFC 6901 JSON pointer into the document; "" is the whole document), what, and
    whether it blocks (`error`) or only informs (`warning`)."""

    code: str
    pointer: str
    message: str
    severity: Literal["error", "warning"] = "error"
