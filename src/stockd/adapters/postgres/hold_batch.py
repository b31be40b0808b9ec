"""A reservation batch written in one statement, decided on an unlocked read.

Group commit decides a batch against the levels as they were read (no lock),
then writes it here: one statement that locks the levels in (sku, location)
order, adds the summed holds only where every invariant still holds (the same
conditions as `apply_many`), stores the reservations and their lines, and
appends a `reservation.created` event per line with the quantities after it
as the locked rows now have them: rendered in SQL by `event_rows.sql_values`
from the definition the Python writer uses, numbered by the insert trigger
(migration 0003). Run outside a transaction, the statement is its own: the
hot rows are locked for its execution and its commit only, with no round
trip to the client in between.

If any level no longer takes its sum (another writer got there first), the
statement calls `stockd_refuse` (migration 0003), which aborts it: nothing is
written, and the caller decides the batch again under lock.

A SKU split into channel pools is refused (`stockd_pooled`) unless the batch
names channels and brings a guard for it (`ChannelGuard`): `PLACE_GUARDED`
then also locks every level and channel count of the SKU, checks the guard
on them (as they are now, not as the statement began), writes the holds'
channels and moves the counts — in the same statement.

The parameters are only what varies: asyncpg checks and encodes every element
of an array parameter, the largest client cost of a batch (measured in
docs/benchmarks.md), so each line's event is built in SQL from the line and
its reservation rather than sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from asyncpg.pool import PoolConnectionProxy

from stockd.adapters.postgres.event_rows import EVENT_FIELDS, sql_values
from stockd.adapters.postgres.levels import keeps_invariants
from stockd.adapters.postgres.plans import sized_alike
from stockd.adapters.postgres.rows import COUNTERS
from stockd.domain.channels import outstanding_changes
from stockd.domain.events import Movement, Reserved
from stockd.domain.quantities import FOR_SALE, LevelKey, Quantities
from stockd.domain.reservations import Reservation, ReservationStatus
from stockd.service.ports import ChannelGuard

REFUSED = "SD409"
"""SQLSTATE raised by `stockd_refuse`."""

_HELD = {c: f"l.{c}" for c in COUNTERS} | {"reserved": "l.reserved + d.reserved"}
"""Each counter after a batch of holds: only `reserved` moves."""
_AFTER = {c: f"u.{c}" for c in COUNTERS} | {
    "reserved": "u.reserved - coalesce(sum(x.quantity) OVER later, 0)"
}
"""Each line's quantities after it: the level as the batch left it, less the
later lines of the batch on the same level."""
_EVENT_MAP = {
    "key.sku": "x.sku",
    "key.location": "x.location",
    "delta.reserved": "x.quantity",
    **{f"after.{c}": sql for c, sql in _AFTER.items()},
    "reference": "r.reference",
    "reservation_id": "x.reservation_id",
    "actor": "r.actor",
    "idempotency_key": "r.idempotency_key",
    "at": "$1",
}
_EVENT_VALUES = sql_values(Reserved, _EVENT_MAP)
"""Each line's event, through no channel."""
_EVENT_VALUES_GUARDED = sql_values(Reserved, _EVENT_MAP | {"channel": "r.channel"})
"""Each line's event, through its reservation's channel."""


def _statement(guarded: bool) -> str:
    """The one statement; `guarded`, for holds through channels: with the
    holds' channels ($18), the checks of `ChannelGuard` for the SKUs split
    into pools ($19–$25), and what the holds add to each channel's count
    ($26–$28)."""
    if not guarded:
        # A SKU split into channel pools is decided under lock: nothing is
        # locked here then, so the statement refuses.
        locked = """
    SELECT l.sku, l.location FROM levels l JOIN d USING (sku, location)
    WHERE NOT (SELECT yes FROM pooled)"""
        return _PLACE.format(
            pooled="stockd_pooled($2::text[])",
            locked=locked,
            guard="",
            gate="",
            r_param="",
            r_column="",
            channel_column="",
            channel="",
            counted="",
            events=", ".join(_EVENT_VALUES),
        )
    locked = """
    -- Every level of a guarded SKU is locked too: its sums are checked.
    SELECT l.* FROM levels l
    WHERE l.sku = ANY($2::text[] || $19::text[])  -- by the index, then:
      AND ((l.sku, l.location) IN (SELECT sku, location FROM d) OR l.sku = ANY($19::text[]))
      AND NOT (SELECT yes FROM pooled)"""
    guard = f"""
, g AS (
    SELECT * FROM unnest($19::text[], $20::bigint[], $21::bigint[], $22::bigint[])
        AS g (sku, for_sale, held, slack)
), c AS (
    SELECT * FROM unnest($23::text[], $24::text[], $25::bigint[]) AS c (sku, channel, read)
), adds AS (
    SELECT * FROM unnest($26::text[], $27::text[], $28::bigint[]) AS a (sku, channel, adds)
), counters AS MATERIALIZED (
    -- Locked: the counts as they are now, not as the statement began.
    SELECT o.sku, o.channel, o.outstanding FROM channel_stock o
    WHERE o.sku = ANY($19::text[]) ORDER BY o.sku, o.channel FOR NO KEY UPDATE
), sums AS (
    SELECT l.sku,
        coalesce(sum({FOR_SALE.sql(lambda col: "l." + col)})
                 FILTER (WHERE loc.active AND NOT loc.archived), 0) AS for_sale,
        coalesce(sum(l.reserved + l.committed), 0) AS held
    FROM locked l JOIN locations loc ON loc.id = l.location
    WHERE l.sku = ANY($19::text[]) GROUP BY l.sku
), grown AS (
    -- Units held since the batch was decided: each channel's growth, and
    -- the growth of what is held through no channel.
    SELECT g.sku, s.for_sale = g.for_sale AS same_for_sale, g.slack,
        coalesce((SELECT sum(greatest(o.outstanding - coalesce(c.read, 0), 0))
                  FROM counters o LEFT JOIN c USING (sku, channel)
                  WHERE o.sku = g.sku), 0)
        + greatest(
            greatest(s.held - coalesce((SELECT sum(o.outstanding) FROM counters o
                                        WHERE o.sku = g.sku), 0), 0)
            - greatest(g.held - coalesce((SELECT sum(c.read) FROM c WHERE c.sku = g.sku), 0),
                       0),
            0) AS units
    FROM g JOIN sums s USING (sku)
), fits AS MATERIALIZED (
    SELECT count(*) = cardinality($19::text[])
           AND coalesce(bool_and(same_for_sale AND units <= slack), true) AS yes
    FROM grown
)"""
    counted = """, counted AS (
    INSERT INTO channel_stock AS o (sku, channel, outstanding)
    SELECT a.sku, a.channel, a.adds FROM adds a
    WHERE (SELECT count(*) FROM u) = cardinality($2::text[])
    ON CONFLICT (sku, channel) DO UPDATE SET outstanding = o.outstanding + excluded.outstanding
)"""
    return _PLACE.format(
        pooled="stockd_pooled(ARRAY(SELECT unnest($2::text[]) EXCEPT SELECT unnest($19::text[])))",
        locked=locked,
        guard=guard,
        gate="AND (SELECT yes FROM fits)",
        r_param=", $18::text[]",
        r_column=", channel",
        channel_column=", channel",
        channel=", r.channel",
        counted=counted,
        events=", ".join(_EVENT_VALUES_GUARDED),
    )


_PLACE = f"""
WITH d AS (
    SELECT * FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[])
        AS d (sku, location, reserved, touches)
), pooled AS MATERIALIZED (
    SELECT {{pooled}} AS yes
), locked AS ({{locked}}
    ORDER BY l.sku, l.location
    FOR NO KEY UPDATE OF l
){{guard}}, u AS (
    UPDATE levels l SET
        reserved = l.reserved + d.reserved, version = l.version + d.touches, updated_at = $1
    FROM locked JOIN d USING (sku, location)
    WHERE l.sku = locked.sku AND l.location = locked.location
      -- Never below zero here: units beyond stock are tied to inbound, which
      -- is decided under lock (`reserve_batch`); such a batch is refused.
      AND {keeps_invariants(_HELD, "greatest(l.floor, 0)")} {{gate}}
    RETURNING l.sku, l.location, {", ".join("l." + c for c in COUNTERS)}
), r AS (
    SELECT * FROM unnest($6::text[], $7::text[], $8::timestamptz[], $9::text[],
                         $10::text[], $11::text[]{{r_param}})
        AS r (id, reference, expires_at, pickup_location, actor, idempotency_key{{r_column}})
), x AS (
    SELECT * FROM unnest($12::text[], $13::text[], $14::text[], $15::bigint[])
        WITH ORDINALITY AS x (reservation_id, sku, location, quantity, ord)
), holds AS (
    INSERT INTO reservations (id, status, reference, created_at, expires_at,
                              pickup_location{{channel_column}})
    SELECT r.id, '{ReservationStatus.ACTIVE.value}', r.reference, $1, r.expires_at,
           r.pickup_location{{channel}}
    FROM r
), named AS (
    SELECT * FROM unnest($16::bigint[], $17::bigint[]) AS n (ord, named)
), lines AS (
    INSERT INTO reservation_lines (reservation_id, sku, location, quantity, named)
    SELECT x.reservation_id, x.sku, x.location, x.quantity, coalesce(n.named, 0)
    FROM x LEFT JOIN named n USING (ord)
){{counted}}, events AS (
    INSERT INTO ledger_events ({", ".join(EVENT_FIELDS)})
    SELECT {{events}}
    FROM x JOIN r ON r.id = x.reservation_id JOIN u USING (sku, location)
    -- Evaluated before the first event is written, so every level (and
    -- counter) is locked before the numbering lock is taken (the trigger
    -- takes it): taking it earlier could deadlock with a writer that holds
    -- it and wants a level.
    WHERE (SELECT count(*) FROM u) = cardinality($2::text[])
    WINDOW later AS (PARTITION BY x.sku, x.location ORDER BY x.ord
                     ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING)
    ORDER BY x.ord
)
SELECT CASE WHEN count(*) = cardinality($2::text[]) THEN true
            ELSE stockd_refuse('a level no longer takes the batch') END
FROM u
"""


PLACE = sized_alike(_statement(guarded=False))
PLACE_GUARDED = sized_alike(_statement(guarded=True))


def _check(
    reservations: Sequence[Reservation],
    deltas: Mapping[LevelKey, tuple[Quantities, int]],
    movements: Sequence[Movement],
    now: datetime,
) -> dict[str, Movement]:
    """What `PLACE` builds in SQL must be what the caller decided: new active
    holds taken now, one `reservation.created` event per line in line order
    (one actor and key per reservation), and deltas that only hold units.
    Per reservation, the event of its first line."""
    lines = [(r, x) for r in reservations for x in r.lines]
    if len(movements) != len(lines):
        raise ValueError("place writes one event per line")
    first: dict[str, Movement] = {}
    for m, (r, x) in zip(movements, lines, strict=True):
        head = first.setdefault(r.id, m)
        if not (
            isinstance(m, Reserved)
            and m.reservation_id == r.id
            and m.key == (x.sku, x.location)
            and m.delta == Quantities(reserved=x.quantity)
            and m.at == now
            and m.reference == r.reference
            and (m.actor, m.idempotency_key) == (head.actor, head.idempotency_key)
            and m.reason is None
            and m.order_id is None
            and m.transfer_id is None
            and m.channel == r.channel
        ):
            raise ValueError(f"place writes the events of new holds, not {m!r}")
    if any(r.status is not ReservationStatus.ACTIVE or r.created_at != now for r in reservations):
        raise ValueError("place writes new active holds taken now")
    if any(delta != Quantities(reserved=delta.reserved) for delta, _ in deltas.values()):
        raise ValueError("place only holds units")
    return first


async def place(
    conn: PoolConnectionProxy,
    reservations: Sequence[Reservation],
    deltas: Mapping[LevelKey, tuple[Quantities, int]],
    movements: Sequence[Movement],
    now: datetime,
    guards: Sequence[ChannelGuard] = (),
) -> None:
    """Run `PLACE` (`PLACE_GUARDED` for holds through channels); raises
    asyncpg's error with sqlstate `REFUSED` when a level no longer takes its
    sum or a guard fails (nothing is written then)."""
    first = _check(reservations, deltas, movements, now)
    keys = sorted(deltas)
    lines = [(r.id, x) for r in reservations for x in r.lines]
    # Only lines with named units are sent (by ordinal): most holds name no
    # location, and every array element costs encoding time.
    named = [(i, x.named) for i, (_, x) in enumerate(lines, start=1) if x.named]
    args: list[object] = [
        now,
        [k.sku for k in keys],
        [k.location for k in keys],
        [deltas[k][0].reserved for k in keys],
        [deltas[k][1] for k in keys],
        [r.id for r in reservations],
        [r.reference for r in reservations],
        [r.expires_at for r in reservations],
        [r.pickup_location for r in reservations],
        [first[r.id].actor for r in reservations],
        [first[r.id].idempotency_key for r in reservations],
        [rid for rid, _ in lines],
        [x.sku for _, x in lines],
        [x.location for _, x in lines],
        [x.quantity for _, x in lines],
        [i for i, _ in named],
        [q for _, q in named],
    ]
    if not guards and all(r.channel is None for r in reservations):
        await conn.execute(PLACE, *args)
        return
    read = [(g.sku, c, n) for g in guards for c, n in sorted(g.outstanding.items())]
    adds = sorted(outstanding_changes(movements).items())
    await conn.execute(
        PLACE_GUARDED,
        *args,
        [r.channel for r in reservations],
        [g.sku for g in guards],
        [g.for_sale for g in guards],
        [g.held for g in guards],
        [g.slack for g in guards],
        [sku for sku, _, _ in read],
        [c for _, c, _ in read],
        [n for _, _, n in read],
        [sku for (sku, _), _ in adds],
        [c for (_, c), _ in adds],
        [n for _, n in adds],
    )
