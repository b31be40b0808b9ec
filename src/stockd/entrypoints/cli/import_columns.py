"""The columns of an import file: which it must have, which it may have, and
how a cell is read.

A header is matched loosely (case, surrounding spaces, spaces for
underscores: "On Hand" is `on_hand`), and every message names a column as the
file spells it. A wrong header is one problem for the whole file, reported
before any row is read."""

from __future__ import annotations

import difflib
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any


class Kind(StrEnum):
    SKUS = "skus"
    LOCATIONS = "locations"
    LEVELS = "levels"


class Cell(Enum):
    TEXT = "text"
    WHOLE = "a whole number"
    NUMBER = "a number"
    YES_NO = "true or false"


@dataclass(frozen=True)
class Column:
    name: str
    cell: Cell = Cell.TEXT
    required: bool = False


LEVEL_STATES = ("on_hand", "damaged", "quality_control", "safety_stock", "incoming")

COLUMNS: dict[Kind, tuple[Column, ...]] = {
    Kind.SKUS: (
        Column("sku", required=True),
        Column("product_id", required=True),
        Column("name", required=True),
        Column("policy"),
        Column("backorder_cap", Cell.WHOLE),
    ),
    Kind.LOCATIONS: (
        Column("id", required=True),
        Column("name", required=True),
        Column("type"),
        Column("region"),
        Column("lat", Cell.NUMBER),
        Column("lon", Cell.NUMBER),
        Column("priority", Cell.WHOLE),
        Column("active", Cell.YES_NO),
        Column("ships", Cell.YES_NO),
        Column("pickup", Cell.YES_NO),
        Column("shipping_cost_fixed", Cell.NUMBER),
        Column("shipping_cost_per_km_unit", Cell.NUMBER),
    ),
    Kind.LEVELS: (
        Column("sku", required=True),
        Column("location", required=True),
        *(Column(state, Cell.WHOLE) for state in LEVEL_STATES),
    ),
}

# Columns that mean nothing alone: every row would fail without the other.
PAIRS = (("lat", "lon"), ("shipping_cost_fixed", "shipping_cost_per_km_unit"))

_YES = frozenset({"true", "yes", "1"})
_NO = frozenset({"false", "no", "0"})
_WHOLE = re.compile(r"[+-]?[0-9]+")


class BadHeader(ValueError):
    """The header row does not fit the kind of file: nothing is imported."""


class BadCell(ValueError):
    """A cell that cannot be read as its column's kind of value."""


def canonical(name: str) -> str:
    return "_".join(name.strip().lower().split())


@dataclass(frozen=True)
class Header:
    """The file's columns in order, by their canonical names, and how the file
    spells each one."""

    names: tuple[str, ...]
    spelled: dict[str, str]

    def spelling(self, name: str) -> str:
        return self.spelled.get(name, name)


def check_header(kind: Kind, cells: Sequence[str] | None) -> Header:
    """The header, or BadHeader saying everything wrong with it at once."""
    if not cells or not any(c.strip() for c in cells):
        raise BadHeader("the file is empty; its first line must name the columns")
    columns = {c.name: c for c in COLUMNS[kind]}
    names = tuple(canonical(c) for c in cells)
    spelled = {name: cell.strip() for name, cell in zip(names, cells, strict=True)}
    problems = [
        f"column {_quoted(spelled[name])} appears twice"
        for name, count in Counter(names).items()
        if count > 1
    ]
    unknown = [name for name in dict.fromkeys(names) if name not in columns]
    if unknown:
        problems.append(
            _plural("unknown column", [_suggest(spelled[n], n, list(columns)) for n in unknown])
        )
    missing = [c.name for c in columns.values() if c.required and c.name not in names]
    if missing:
        problems.append(_plural("missing column", [_quoted(n) for n in missing]))
    for first, second in PAIRS:
        if (first in names) != (second in names):
            given, absent = (first, second) if first in names else (second, first)
            problems.append(f"{_quoted(spelled[given])} needs {_quoted(absent)} beside it")
    if kind is Kind.LEVELS and not set(LEVEL_STATES) & set(names):
        problems.append(f"give at least one of {', '.join(LEVEL_STATES)}")
    if problems:
        raise BadHeader("; ".join(problems))
    return Header(names, spelled)


def read_cells(kind: Kind, header: Header, cells: Sequence[str]) -> dict[str, Any]:
    """The row's non-empty cells as typed values by column name (an empty
    cell is a value not given); BadCell for one that cannot be read."""
    if len(cells) > len(header.names) and any(c.strip() for c in cells[len(header.names) :]):
        raise BadCell(f"{len(cells)} cells, but the header names {len(header.names)} columns")
    columns = {c.name: c for c in COLUMNS[kind]}
    values: dict[str, Any] = {}
    for name, raw in zip(header.names, cells, strict=False):
        text = raw.strip()
        if text:
            values[name] = _typed(columns[name].cell, text, header.spelling(name))
    return values


def _typed(cell: Cell, text: str, column: str) -> Any:
    if cell is Cell.TEXT:
        return text
    if cell is Cell.WHOLE and _WHOLE.fullmatch(text):
        return int(text)
    if cell is Cell.NUMBER:
        try:
            number = float(text)
        except ValueError:
            pass
        else:
            if math.isfinite(number):
                return number
    if cell is Cell.YES_NO and text.lower() in _YES | _NO:
        return text.lower() in _YES
    raise BadCell(f"{column}: {_quoted(text)} is not {cell.value}")


def _quoted(name: str) -> str:
    return f'"{name}"'


def _plural(what: str, items: list[str]) -> str:
    return f"{what}{'s' if len(items) > 1 else ''} {', '.join(items)}"


def _suggest(spelled: str, name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
    return _quoted(spelled) + (f" (did you mean {_quoted(close[0])}?)" if close else "")
