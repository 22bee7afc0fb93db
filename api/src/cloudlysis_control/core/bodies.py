"""Request bodies: nesting depth is limited before any JSON decoder sees the bytes.

msgspec (like every recursive decoder) raises RecursionError on JSON nested about a thousand
levels deep; a limit checked first turns that into a 400 problem on every route, public ones
included. No API body nests anywhere near `MAX_JSON_DEPTH`.
"""

from __future__ import annotations

import re
from typing import Final

MAX_JSON_DEPTH: Final = 64

# Only these bytes change the depth or the string state; everything else is skipped in C.
_SIGNIFICANT = re.compile(rb'[\[\]{}"\\]')
_OPEN = frozenset(b"[{")
_CLOSE = frozenset(b"]}")
_QUOTE = ord('"')
_BACKSLASH = ord("\\")


def json_depth_exceeds(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when arrays/objects in `body` nest deeper than `limit` (brackets inside strings do
    not count). Linear in the body; bodies with few brackets are answered by two counts."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    in_string = False
    escaped_at = -1  # the position a backslash inside a string escapes
    for match in _SIGNIFICANT.finditer(body):
        pos = match.start()
        byte = body[pos]
        if in_string:
            if pos == escaped_at:
                continue
            if byte == _BACKSLASH:
                escaped_at = pos + 1
            elif byte == _QUOTE:
                in_string = False
            continue
        if byte == _QUOTE:
            in_string = True
        elif byte in _OPEN:
            depth += 1
            if depth > limit:
                return True
        elif byte in _CLOSE:
            depth = max(0, depth - 1)
    return False
