"""Events as rows of `ledger_events`, both ways, from one mapping.

A row has a column for each reference consumers filter by (`sku`,
`location`, `reservation_id`, `order_id`, `transfer_id`, `channel`), the base fields of
`domain.events.Event`, a movement's delta (`d_<state>`) and quantities after
(`<state>`), and `data` (jsonb) with the fields an event type adds. Python
writes rows with `record`; the one-statement hold write (`hold_batch.py`)
renders them in SQL with `sql_values`, from the same event class and the
same column mapping, so the two writers cannot drift (a test writes holds
both ways and compares the rows).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from datetime import datetime
from typing import Any, get_origin

import orjson

from stockd.adapters.postgres.rows import COUNTERS, Row, quantities
from stockd.domain.events import (
    BASE_FIELDS,
    EVENT_TYPES,
    Event,
    Movement,
    details,
    documented_fields,
)
from stockd.domain.quantities import LevelKey

BASE_COLUMNS = (
    "reason",
    "reference",
    "reservation_id",
    "actor",
    "idempotency_key",
    "at",
    "order_id",
    "transfer_id",
    "channel",
)
assert set(BASE_COLUMNS) == BASE_FIELDS, "every base field of an event has a column"

EVENT_FIELDS = (
    "type",
    "sku",
    "location",
    *(f"d_{c}" for c in COUNTERS),
    *COUNTERS,
    *BASE_COLUMNS,
    "data",
)
"""Every column of a ledger row but its numbers (id, seq), in write order."""
EVENT_COLUMNS = ", ".join(("seq", *EVENT_FIELDS))
EVENT_TYPES_SQL = (
    ("text",) * 3 + ("bigint",) * (2 * len(COUNTERS)) + ("text",) * 5 + ("timestamptz",)
) + ("text", "text", "text", "jsonb")
assert len(EVENT_TYPES_SQL) == len(EVENT_FIELDS)


def record(e: Event) -> tuple[Any, ...]:
    """The row of an event, in `EVENT_FIELDS` order."""
    base = tuple(getattr(e, c) for c in BASE_COLUMNS)
    if isinstance(e, Movement):
        return (
            e.type,
            e.key.sku,
            e.key.location,
            *(getattr(e.delta, c) for c in COUNTERS),
            *(getattr(e.after, c) for c in COUNTERS),
            *base,
            orjson.dumps(extra).decode() if (extra := details(e)) else None,
        )
    return (
        e.type,
        getattr(e, "sku", None),
        getattr(e, "location", None),
        *((None,) * (2 * len(COUNTERS))),
        *base,
        orjson.dumps(details(e)).decode(),
    )


def event(row: Row) -> Event:
    """The event a row records."""
    cls = EVENT_TYPES[row["type"]]
    base = {c: row[c] for c in BASE_COLUMNS}
    if issubclass(cls, Movement):
        extra = _times(cls, orjson.loads(row["data"]) if row["data"] is not None else {})
        return cls(
            key=LevelKey(row["sku"], row["location"]),
            delta=quantities(row, "d_"),
            after=quantities(row),
            **base,
            **extra,
        )
    data = _times(cls, orjson.loads(row["data"]) if row["data"] is not None else {})
    own = {f.name: f for f in documented_fields(cls)}
    for name in ("sku", "location"):
        if name in own:
            data[name] = row[name]
    for name, value in data.items():
        if isinstance(value, list) and get_origin(own[name].type) is tuple:
            data[name] = tuple(value)
    return cls(**base, **data)


_TIMES = (datetime, datetime | None)


def _times(cls: type[Event], data: dict[str, Any]) -> dict[str, Any]:
    """`data` with the times JSON carries as text made datetimes again."""
    for f in documented_fields(cls):
        if f.type in _TIMES and isinstance(data.get(f.name), str):
            data[f.name] = datetime.fromisoformat(data[f.name])
    return data


def sql_values(cls: type[Movement], given: Mapping[str, str]) -> list[str]:
    """SQL expressions for the columns of a `cls` event built in SQL, in
    `EVENT_FIELDS` order. `given` maps each field to its expression:
    `key.sku`, `key.location`, `delta.<state>` (states not given are 0),
    `after.<state>` (all of them), and base fields (those not given are NULL,
    so they must default to None)."""
    own = {f.name: f for f in fields(cls)}
    for name in given:
        head = name.split(".", 1)[0]
        if head not in own:
            raise ValueError(f"{cls.__name__} has no field {name!r}")
    for name in BASE_COLUMNS:
        if name not in given and own[name].default is not None:
            raise ValueError(f"{cls.__name__}.{name} has no default of None: give it")
    missing = [f"after.{c}" for c in COUNTERS if f"after.{c}" not in given]
    missing += [k for k in ("key.sku", "key.location") if k not in given]
    if missing:
        raise ValueError(f"{cls.__name__} needs {', '.join(missing)}")
    return [
        f"'{cls.type}'",
        given["key.sku"],
        given["key.location"],
        *(given.get(f"delta.{c}", "0") for c in COUNTERS),
        *(given[f"after.{c}"] for c in COUNTERS),
        *(given.get(c, "NULL") for c in BASE_COLUMNS),
        "NULL",
    ]
