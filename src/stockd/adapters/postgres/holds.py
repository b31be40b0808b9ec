"""A reservation batch written in one statement, decided on an unlocked read.

Group commit decides a batch against the levels as they were read (no lock),
then writes it here: one statement that locks the levels in (sku, location)
order, adds the summed deltas only where every invariant still holds (the
same conditional UPDATE as `apply_many`), stores the reservations and their
lines, and appends the ledger events with the quantities after each as the
locked rows now have them (numbered by the insert trigger, migration 0003).
Run outside a transaction, the statement is its own: the hot rows are locked
for its execution and its commit only, with no round trip to the client in
between.

If any level no longer takes its delta (another writer got there first), the
statement calls `stockd_refuse` (migration 0003), which aborts it: nothing is
written, and the caller decides the batch again under lock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from itertools import count

from asyncpg.pool import PoolConnectionProxy

from stockd.adapters.postgres.rows import COUNTERS, EVENT_FIELDS
from stockd.domain.ledger import Movement
from stockd.domain.quantities import LevelKey, Quantities
from stockd.domain.reservations import Reservation

REFUSED = "SD409"
"""SQLSTATE raised by `stockd_refuse`."""


def _statement() -> str:
    n = count(1)

    def arrays(*types: str) -> str:
        return ", ".join(f"${next(n)}::{t}[]" for t in types)

    now = f"${next(n)}::timestamptz"
    level_arrays = arrays("text", "text", *("bigint",) * len(COUNTERS), "bigint")
    level_count = "$2"  # the level skus: one per level
    event_types = ("text",) * 3 + ("bigint",) * len(COUNTERS) + ("text",) * 5
    event_arrays = arrays(*event_types, "timestamptz", "text", "text")
    hold_arrays = arrays("text", "text", "text", "timestamptz", "timestamptz", "text")
    line_arrays = arrays("text", "text", "text", "bigint")
    deltas = [f"d_{c}" for c in COUNTERS]
    texts = ("reason", "reference", "reservation_id", "actor", "idempotency_key")
    after = ", ".join(f"u.{c} - coalesce(sum(m.d_{c}) OVER later, 0)" for c in COUNTERS)
    return f"""
WITH d AS (
    SELECT * FROM unnest({level_arrays}) AS d (sku, location, {", ".join(COUNTERS)}, touches)
), locked AS (
    SELECT l.sku, l.location FROM levels l JOIN d USING (sku, location)
    ORDER BY l.sku, l.location
    FOR NO KEY UPDATE OF l
), u AS (
    UPDATE levels l SET
        {", ".join(f"{c} = l.{c} + d.{c}" for c in COUNTERS)},
        version = l.version + d.touches, updated_at = {now}
    FROM locked JOIN d USING (sku, location)
    WHERE l.sku = locked.sku AND l.location = locked.location
      AND {" AND ".join(f"l.{c} + d.{c} >= 0" for c in COUNTERS)}
      AND l.damaged + d.damaged + l.quality_control + d.quality_control <= l.on_hand + d.on_hand
      AND (l.on_hand + d.on_hand) - (l.reserved + d.reserved) - (l.committed + d.committed)
          - (l.damaged + d.damaged) - (l.quality_control + d.quality_control)
          - (l.safety_stock + d.safety_stock) >= l.floor
    RETURNING l.sku, l.location, {", ".join("l." + c for c in COUNTERS)}
), m AS (
    SELECT * FROM unnest({event_arrays}) WITH ORDINALITY
        AS m (type, sku, location, {", ".join(deltas)}, {", ".join(texts)},
              at, order_id, transfer_id, ord)
), events AS (
    INSERT INTO ledger_events ({", ".join(EVENT_FIELDS)})
    SELECT m.type, m.sku, m.location, {", ".join("m." + c for c in deltas)}, {after},
           {", ".join("m." + c for c in texts)}, m.at, m.order_id, m.transfer_id
    FROM m JOIN u USING (sku, location)
    -- Evaluated before the first event is written, so every level is locked
    -- before the numbering lock is taken (the trigger takes it): taking it
    -- earlier could deadlock with a writer that holds it and wants a level.
    WHERE (SELECT count(*) FROM u) = cardinality({level_count}::text[])
    WINDOW later AS (PARTITION BY m.sku, m.location ORDER BY m.ord
                     ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING)
    ORDER BY m.ord
), holds AS (
    INSERT INTO reservations (id, status, reference, created_at, expires_at, pickup_location)
    SELECT * FROM unnest({hold_arrays})
), lines AS (
    INSERT INTO reservation_lines (reservation_id, sku, location, quantity)
    SELECT * FROM unnest({line_arrays})
)
SELECT CASE WHEN count(*) = cardinality({level_count}::text[]) THEN true
            ELSE stockd_refuse('a level no longer takes the batch') END
FROM u
"""


PLACE = _statement()


async def place(
    conn: PoolConnectionProxy,
    reservations: Sequence[Reservation],
    deltas: Mapping[LevelKey, tuple[Quantities, int]],
    movements: Sequence[Movement],
    now: datetime,
) -> None:
    """Run `PLACE`; raises asyncpg's error with sqlstate `REFUSED` when a
    level no longer takes its delta (nothing is written then)."""
    keys = sorted(deltas)
    lines = [(r.id, x) for r in reservations for x in r.lines]
    await conn.execute(
        PLACE,
        now,
        [k.sku for k in keys],
        [k.location for k in keys],
        *([getattr(deltas[k][0], c) for k in keys] for c in COUNTERS),
        [deltas[k][1] for k in keys],
        [m.type for m in movements],
        [m.key.sku for m in movements],
        [m.key.location for m in movements],
        *([getattr(m.delta, c) for m in movements] for c in COUNTERS),
        [m.reason for m in movements],
        [m.reference for m in movements],
        [m.reservation_id for m in movements],
        [m.actor for m in movements],
        [m.idempotency_key for m in movements],
        [m.at for m in movements],
        [m.order_id for m in movements],
        [m.transfer_id for m in movements],
        [r.id for r in reservations],
        [r.status.value for r in reservations],
        [r.reference for r in reservations],
        [r.created_at for r in reservations],
        [r.expires_at for r in reservations],
        [r.pickup_location for r in reservations],
        [rid for rid, _ in lines],
        [x.sku for _, x in lines],
        [x.location for _, x in lines],
        [x.quantity for _, x in lines],
    )
