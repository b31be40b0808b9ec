"""Cursors: where a paged list resumes, handed out opaque (base64 of a JSON
list of strings) and refused with 400 `invalid_cursor` when a client sends
one stockd did not hand out."""

from __future__ import annotations

import base64
from typing import Any

import orjson

from stockd import errors


def encode_cursor(*parts: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(parts))).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    """The `size` strings `cursor` holds."""
    try:
        parts = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError):
        parts = None
    if (
        not isinstance(parts, list)
        or len(parts) != size
        or not all(isinstance(p, str) and "\x00" not in p for p in parts)
    ):
        raise errors.BadCursor("the cursor is not one this list handed out")
    return parts


def number(part: str) -> int:
    """A cursor part that stands for a number (a `seq`, an id)."""
    if not part.isdigit() or len(part) > 18:
        raise errors.BadCursor("the cursor is not one this list handed out")
    return int(part)
