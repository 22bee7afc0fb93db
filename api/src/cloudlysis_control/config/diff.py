"""What a change is: an RFC 6902 JSON Patch (jsonpatch) and a line diff an operator reads.

The line diff is a patience diff (lines unique to both sides anchor it; the gaps are diffed by
difflib), so a 10,000-tenant document with a hundred changes diffs in milliseconds where difflib
alone takes a second. Both texts are the canonical pretty form, so the same two values always
give the same diff.
"""

from __future__ import annotations

import bisect
import difflib
from collections import Counter
from typing import Any, Literal

import jsonpatch  # type: ignore[import-untyped]
import msgspec

Op = tuple[str, int, int, int, int]  # (equal|delete|insert, a_lo, a_hi, b_lo, b_hi)
_SMALL = 400  # gaps up to this many lines (each side) are diffed by difflib


class DiffLine(msgspec.Struct, kw_only=True):
    op: Literal["equal", "delete", "insert"]
    old: int | None  # 1-based line number in the base, None for an insert
    new: int | None  # 1-based line number in the proposal, None for a delete
    text: str


class DiffHunk(msgspec.Struct, kw_only=True):
    old_start: int
    old_lines: int
    new_start: int
    new_lines: int
    lines: list[DiffLine]


def json_patch(base: Any, proposed: Any) -> list[dict[str, Any]]:
    """RFC 6902 operations that turn `base` into `proposed` (plain JSON data)."""
    ops: list[dict[str, Any]] = jsonpatch.make_patch(base, proposed).patch
    return ops


class PatchFailed(ValueError):
    pass


def apply_patch(base: Any, ops: list[dict[str, Any]]) -> Any:
    try:
        return jsonpatch.apply_patch(base, ops, in_place=False)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError) as e:
        raise PatchFailed(str(e)[:300]) from e
    except (KeyError, IndexError, ValueError) as e:
        raise PatchFailed(f"the patch does not apply: {type(e).__name__}") from e


def _lis(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest run of pairs increasing in both coordinates (pairs sorted by the first)."""
    tails: list[int] = []
    tail_idx: list[int] = []
    back: list[int] = []
    for i, (_, b) in enumerate(pairs):
        k = bisect.bisect_left(tails, b)
        if k == len(tails):
            tails.append(b)
            tail_idx.append(i)
        else:
            tails[k] = b
            tail_idx[k] = i
        back.append(tail_idx[k - 1] if k else -1)
    out = []
    i = tail_idx[-1] if tail_idx else -1
    while i >= 0:
        out.append(pairs[i])
        i = back[i]
    return out[::-1]


def _diff(
    a: list[str], b: list[str], alo: int, ahi: int, blo: int, bhi: int, out: list[Op]
) -> None:
    start_a, start_b = alo, blo
    while alo < ahi and blo < bhi and a[alo] == b[blo]:
        alo, blo = alo + 1, blo + 1
    if alo > start_a:
        out.append(("equal", start_a, alo, start_b, blo))
    end_a, end_b = ahi, bhi
    while ahi > alo and bhi > blo and a[ahi - 1] == b[bhi - 1]:
        ahi, bhi = ahi - 1, bhi - 1
    tail: Op | None = ("equal", ahi, end_a, bhi, end_b) if ahi < end_a else None
    if alo == ahi or blo == bhi:
        if alo < ahi:
            out.append(("delete", alo, ahi, blo, blo))
        if blo < bhi:
            out.append(("insert", ahi, ahi, blo, bhi))
    else:
        ca, cb = Counter(a[alo:ahi]), Counter(b[blo:bhi])
        where_b = {b[j]: j for j in range(blo, bhi) if cb[b[j]] == 1}
        pairs = [(i, where_b[a[i]]) for i in range(alo, ahi) if ca[a[i]] == 1 and a[i] in where_b]
        anchors = _lis(pairs)
        if anchors:
            pa, pb = alo, blo
            for i, j in anchors:
                if i - pa == j - pb and a[pa:i] == b[pb:j]:
                    out.append(("equal", pa, i + 1, pb, j + 1))  # the gap is unchanged
                else:
                    _diff(a, b, pa, i, pb, j, out)
                    out.append(("equal", i, i + 1, j, j + 1))
                pa, pb = i + 1, j + 1
            _diff(a, b, pa, ahi, pb, bhi, out)
        elif ahi - alo <= _SMALL and bhi - blo <= _SMALL:
            sm = difflib.SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
            for tag, i1, i2, j1, j2 in sm.get_opcodes():
                ia, ib, ja, jb = alo + i1, alo + i2, blo + j1, blo + j2
                if tag == "equal":
                    out.append(("equal", ia, ib, ja, jb))
                else:
                    if ia < ib:
                        out.append(("delete", ia, ib, ja, ja))
                    if ja < jb:
                        out.append(("insert", ib, ib, ja, jb))
        else:
            out.append(("delete", alo, ahi, blo, blo))
            out.append(("insert", ahi, ahi, blo, bhi))
    if tail is not None:
        out.append(tail)


def line_ops(a: list[str], b: list[str]) -> list[Op]:
    """The diff as runs, adjacent runs of one kind merged."""
    raw: list[Op] = []
    _diff(a, b, 0, len(a), 0, len(b), raw)
    out: list[Op] = []
    for op in raw:
        if op[1] == op[2] and op[3] == op[4]:
            continue
        if out and out[-1][0] == op[0] and out[-1][2] == op[1] and out[-1][4] == op[3]:
            prev = out[-1]
            out[-1] = (prev[0], prev[1], op[2], prev[3], op[4])
        else:
            out.append(op)
    return out


def hunks(old_text: str, new_text: str, context: int = 3) -> list[DiffHunk]:
    """Unified-diff hunks (with `context` lines around each change) of two texts."""
    a, b = old_text.splitlines(), new_text.splitlines()
    runs = line_ops(a, b)
    if all(r[0] == "equal" for r in runs):
        return []
    rows: list[tuple[str, int, int]] = []  # (op, old index, new index); "gap" ends a hunk
    for n, (tag, a1, a2, b1, b2) in enumerate(runs):
        if tag == "delete":
            rows += [("delete", k, -1) for k in range(a1, a2)]
        elif tag == "insert":
            rows += [("insert", -1, k) for k in range(b1, b2)]
        else:
            size = a2 - a1
            head = range(0, min(size, context)) if n > 0 else range(0)
            tail = range(max(0, size - context), size) if n < len(runs) - 1 else range(0)
            if n > 0 and n < len(runs) - 1 and size <= 2 * context:
                rows += [("equal", a1 + k, b1 + k) for k in range(size)]
                continue
            rows += [("equal", a1 + k, b1 + k) for k in head]
            if n > 0 and n < len(runs) - 1:
                rows.append(("gap", -1, -1))
            rows += [("equal", a1 + k, b1 + k) for k in tail]
    out: list[DiffHunk] = []
    chunk: list[DiffLine] = []
    for op, i, j in rows:
        if op == "gap":
            _close(chunk, out)
            chunk = []
        elif op == "equal":
            chunk.append(DiffLine(op="equal", old=i + 1, new=j + 1, text=a[i]))
        elif op == "delete":
            chunk.append(DiffLine(op="delete", old=i + 1, new=None, text=a[i]))
        else:
            chunk.append(DiffLine(op="insert", old=None, new=j + 1, text=b[j]))
    _close(chunk, out)
    return out


def _close(chunk: list[DiffLine], out: list[DiffHunk]) -> None:
    if not any(x.op != "equal" for x in chunk):
        return
    olds = [x.old for x in chunk if x.old is not None]
    news = [x.new for x in chunk if x.new is not None]
    out.append(
        DiffHunk(
            old_start=olds[0] if olds else 0,
            old_lines=len(olds),
            new_start=news[0] if news else 0,
            new_lines=len(news),
            lines=chunk,
        )
    )
