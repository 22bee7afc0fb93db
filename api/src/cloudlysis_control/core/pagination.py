"""Opaque cursors for newest-first pagination."""

from __future__ import annotations

import base64
import binascii

from cloudlysis_control.core.errors import ValidationFailed

MAX_LIMIT = 500
# Unpadded base64url of a position string (at most 384 bytes): every string this pattern allows
# decodes, and any decoded position is a valid place to continue from (positions are compared,
# never looked up), so a cursor the schema accepts is never refused.
CURSOR_PATTERN = r"^(?:[A-Za-z0-9_-]{4}){0,128}(?:[A-Za-z0-9_-]{2,3})?$"


def encode_cursor(position: str) -> str:
    return base64.urlsafe_b64encode(position.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    if cursor is None or cursor == "":
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8", "replace")
    except (binascii.Error, UnicodeError, ValueError) as e:
        raise ValidationFailed("cursor is not valid") from e
