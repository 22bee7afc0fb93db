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
# The rest of a string after its opening quote: any byte but a quote or backslash, or an escape.
_STRING_REST = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BACKSLASH = ord("\\")


def json_depth_exceeds(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when arrays/objects in `body` nest deeper than `limit` (brackets inside strings do
    not count). Linear in the body; bodies with few brackets are answered by two counts, and a
    string is skipped in one C-level match (a document sent as a JSON string is mostly one)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    pos = 0
    size = len(body)
    while pos < size:
        match = _SIGNIFICANT.search(body, pos)
        if match is None:
            return False
        pos = match.start()
        byte = body[pos]
        if byte == _QUOTE:
            end = _STRING_REST.match(body, pos + 1)
            pos = end.end() if end is not None else size  # an unterminated string: the rest
            continue
        if byte in _OPEN:
            depth += 1
            if depth > limit:
                return True
        elif byte in _CLOSE:
            depth = max(0, depth - 1)
        pos += 1
    return False
