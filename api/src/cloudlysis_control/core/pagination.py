"""Opaque cursors for newest-first pagination."""

from __future__ import annotations

import base64
import binascii

from cloudlysis_control.core.errors import ValidationFailed

MAX_LIMIT = 500
CURSOR_PATTERN = r"^[A-Za-z0-9_-]{1,512}$"  # unpadded base64url of a position


def encode_cursor(position: str) -> str:
    return base64.urlsafe_b64encode(position.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    if cursor is None or cursor == "":
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.urlsafe_b64decode(padded.encode("ascii")).decode()
    except (binascii.Error, UnicodeError, ValueError) as e:
        raise ValidationFailed("cursor is not valid") from e
