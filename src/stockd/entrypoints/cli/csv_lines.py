"""Reading the small CSV files `stockd count` and `stockd report` take:
a fixed header, whole numbers, RFC 3339 times; the first bad line ends the
command with one line on stderr (nothing is recorded)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from stockd.entrypoints.cli.direct import fail

T = TypeVar("T")

MAX_LINES = 1000
"""Most lines one count or report takes (as over HTTP)."""


def lines(path: Path, header: tuple[str, ...]) -> Iterator[tuple[int, list[str]]]:
    """Each non-blank line after the header, with its number and its cells
    (stripped): as many as the header names."""
    with path.open(newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    if not rows or [h.strip().lower() for h in rows[0]] != list(header):
        fail(f"{path}: the header must be {','.join(header)}")
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            fail(f"{path}: line {number}: give {', '.join(header)}")
        yield number, [cell.strip() for cell in row]


def whole_number(text: str, where: str) -> int:
    if not text.isdigit():
        fail(f"{where}: quantity {text!r} is not a whole number ≥ 0")
    return int(text)


def instant(text: str, what: str) -> datetime:
    """An RFC 3339 time with its offset, in UTC."""
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        fail(f"{what} {text!r} is not an RFC 3339 time")
    if at.tzinfo is None:
        fail(f"{what} {text!r} needs its offset (Z or ±hh:mm)")
    return at.astimezone(UTC)


def bounded(found: list[T], path: Path, what: str) -> tuple[T, ...]:
    if not found or len(found) > MAX_LINES:
        fail(f"{path}: a {what} has 1 to {MAX_LINES} lines, this file has {len(found)}")
    return tuple(found)
