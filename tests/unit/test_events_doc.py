"""docs/events.md documents every event type and field the code defines.

The reference part of the page is rendered from `stockd.domain.events`;
regenerate it with `python -m tests.unit.test_events_doc` after changing an
event type.
"""

from __future__ import annotations

import re
import sys
import types
from datetime import datetime
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from stockd.domain.events import (
    EVENT_TYPES,
    Event,
    FieldDoc,
    Movement,
    documented_fields,
)
from stockd.domain.quantities import LevelKey, Quantities

DOC = Path(__file__).parents[2] / "docs" / "events.md"
BEGIN, END = "<!-- reference -->", "<!-- /reference -->"


def type_name(hint: Any) -> str:
    if get_origin(hint) in (Union, types.UnionType):
        inner = [a for a in get_args(hint) if a is not type(None)]
        return " | ".join(type_name(a) for a in inner) + " or null"
    origin = get_origin(hint) or hint
    return {
        str: "string",
        int: "integer",
        dict: "object",
        tuple: "array",
        datetime: "time (RFC 3339, UTC)",
        LevelKey: "`sku`, `location`: strings",
        Quantities: "object: state → integer",
    }[origin]


def table(rows: list[FieldDoc]) -> list[str]:
    out = ["| field | type | meaning |", "|---|---|---|"]
    out += [f"| `{f.name}` | {type_name(f.type)} | {f.doc} |" for f in rows]
    return out


def render() -> str:
    base = documented_fields(Event)
    own_of_movement = [f for f in documented_fields(Movement) if f not in base]
    lines = [
        BEGIN,
        "",
        "### Fields of every event",
        "",
        "Besides `seq` and `type`:",
        "",
        *table(list(base)),
        "",
        "### Level movements",
        "",
        "A movement names its level (`sku`, `location`) and carries `delta` (the",
        "states that moved) and `after` (every state after it, with `available`);",
        "`data` is null, unless its type adds fields (below).",
        "",
        *table(own_of_movement),
        "",
        "| type | what happened |",
        "|---|---|",
    ]
    movements = [c for c in EVENT_TYPES.values() if issubclass(c, Movement)]
    lines += [f"| `{c.type}` | {c.summary} |" for c in movements]
    for cls in movements:
        own = [f for f in documented_fields(cls) if f not in documented_fields(Movement)]
        if own:
            lines += ["", f"#### `{cls.type}`", "", "Its `data` holds:", "", *table(own)]
    lines += [
        "",
        "### Other events",
        "",
        "These carry no `delta` or `after` (null); `sku` or `location` name their",
        "subject where they have one, and `data` holds the fields below.",
    ]
    for cls in EVENT_TYPES.values():
        if issubclass(cls, Movement):
            continue
        own = [f for f in documented_fields(cls) if f not in base]
        lines += ["", f"#### `{cls.type}`", "", cls.summary, "", *table(own)]
    lines += ["", END]
    return "\n".join(lines)


def test_the_events_page_documents_every_event_type_and_field() -> None:
    text = DOC.read_text()
    found = re.search(re.escape(BEGIN) + ".*?" + re.escape(END), text, re.S)
    assert found, f"{DOC} lost its reference markers"
    assert found.group(0) == render(), "regenerate: python -m tests.unit.test_events_doc"


if __name__ == "__main__":
    page = DOC.read_text()
    start, end = page.index(BEGIN), page.index(END) + len(END)
    DOC.write_text(page[:start] + render() + page[end:])
    sys.stdout.write(f"rewrote the reference part of {DOC}\n")
