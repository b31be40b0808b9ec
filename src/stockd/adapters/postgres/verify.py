"""`stockd ledger verify`: replay the ledger and compare it with the levels,
the holds, the orders and the transfers.

All checks run in one repeatable-read snapshot, so concurrent writes cannot
cause false alarms. The rules the reconciler shares (replay, holds, orders,
transfers, incoming, channels) are written once, in `comparisons`:

- replay: the sum of every level's deltas equals the level;
- chain: each event's "after" quantities equal the running sum up to it
  (unless a later `reconcile.found` event of its level explains them);
- holds: each level's `reserved` equals the units of its active holds;
- orders: each level's `committed` equals the units its orders still have to ship;
- reservations: each hold line's units equal its `reservation.created` events';
- shipments: each order line's `shipped` equals its `order.shipped` movements';
- produced: each order's made-to-order units made, per pool, week and SKU,
  equal its `order.produced` movements';
- returns: an order's `returned` units of a SKU equal its `order.returned`
  movements' (a return restocks wherever it is received, so per order and SKU);
- transfers: each transfer line's units in transit equal the `incoming` its
  movements put at the destination and took out again;
- purchase_orders: each purchase order line's open units equal the
  `incoming` its `inbound.*` movements put at its location and took out again;
- incoming: each level's `incoming` covers the inbound units owed to it: in
  transit on open transfers and open on purchase orders (it may hold more:
  expected stock adjusted in by hand);
- promises: each inbound line's `promised` equals the units tied to it, and
  no hold or order keeps ties for units it no longer has (a hold no longer
  active; an order line with fewer units left to ship than tied);
- channels: each channel's units outstanding of a SKU (`channel_stock`)
  equal both the replay of the events that name the channel (their held and
  committed deltas) and the units of its active holds and open orders;
- capacity: each capacity week's `units`, `held` and `committed` equal what
  the ledger says (its last `capacity.set`, and the sum of the `production.*`
  events of the week, each adding to `held` / `committed` as its type says);
- capacity_bookings: each week's `held` equals the units of the active slot
  bookings' lines in it, its `committed` those of orders' lines not cancelled
  (and of cancelled ones, the units made before: they keep what they used).
"""

from __future__ import annotations

import asyncpg

from stockd.adapters.postgres import comparisons
from stockd.adapters.postgres.comparisons import EVERYWHERE, MOVEMENTS
from stockd.adapters.postgres.rows import COUNTERS
from stockd.domain.events import (
    EVENT_TYPES,
    CapacitySet,
    DriftFound,
    OrderProduced,
    OrderReturned,
    OrderShipped,
    Production,
    Reserved,
)
from stockd.service.queries import Discrepancy, VerifyReport

_LIMIT = " LIMIT 1000"

_RUNNING = ", ".join(f"sum(d_{c}) OVER w AS run_{c}" for c in COUNTERS)
_CHAIN = f"""
SELECT seq, sku, location FROM (
    SELECT seq, sku, location, {", ".join(COUNTERS)}, {_RUNNING},
           bool_or(type = '{DriftFound.type}') OVER later AS explained
    FROM ledger_events WHERE {MOVEMENTS}
    WINDOW w AS (PARTITION BY sku, location ORDER BY seq),
           later AS (PARTITION BY sku, location ORDER BY seq
                     ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING)
) chained
WHERE ROW({", ".join(COUNTERS)}) IS DISTINCT FROM ROW({", ".join(f"run_{c}" for c in COUNTERS)})
  AND NOT coalesce(explained, false)
ORDER BY seq LIMIT 1000
"""
"""An event written on a level that had been changed behind the ledger's
back carries that change in its `after`: it is explained, and not reported,
once a later `reconcile.found` event of the level records the change."""

_RESERVATIONS = f"""
WITH logged AS (
    SELECT reservation_id, sku, location, sum(d_reserved)::bigint AS quantity
    FROM ledger_events WHERE type = '{Reserved.type}' GROUP BY 1, 2, 3
)
SELECT coalesce(l.reservation_id, g.reservation_id) AS reservation_id,
       coalesce(l.sku, g.sku) AS sku, coalesce(l.location, g.location) AS location,
       coalesce(l.quantity, 0) AS held, coalesce(g.quantity, 0) AS logged
FROM reservation_lines l FULL JOIN logged g
  ON g.reservation_id = l.reservation_id AND g.sku = l.sku AND g.location = l.location
WHERE coalesce(l.quantity, 0) <> coalesce(g.quantity, 0)
ORDER BY 1, 2, 3 LIMIT 1000
"""

_SHIPMENTS = f"""
WITH logged AS (
    SELECT order_id, sku, location, (-sum(d_on_hand))::bigint AS shipped
    FROM ledger_events WHERE type = '{OrderShipped.type}' GROUP BY 1, 2, 3
)
SELECT coalesce(l.order_id, g.order_id) AS order_id, coalesce(l.sku, g.sku) AS sku,
       coalesce(l.location, g.location) AS location,
       coalesce(l.shipped, 0) AS recorded, coalesce(g.shipped, 0) AS logged
FROM order_lines l FULL JOIN logged g
  ON g.order_id = l.order_id AND g.sku = l.sku AND g.location = l.location
WHERE coalesce(l.shipped, 0) <> coalesce(g.shipped, 0)
ORDER BY 1, 2, 3 LIMIT 1000
"""

_PRODUCED = f"""
WITH recorded AS (
    SELECT order_id, pool, week, sku, sum(produced)::bigint AS produced
    FROM production_lines WHERE order_id IS NOT NULL GROUP BY 1, 2, 3, 4
), logged AS (
    SELECT order_id, data->>'pool' AS pool, data->>'week' AS week, sku,
           sum(d_on_hand)::bigint AS produced
    FROM ledger_events WHERE type = '{OrderProduced.type}' GROUP BY 1, 2, 3, 4
)
SELECT order_id, pool, week, sku, coalesce(r.produced, 0) AS recorded,
       coalesce(g.produced, 0) AS logged
FROM recorded r FULL JOIN logged g USING (order_id, pool, week, sku)
WHERE coalesce(r.produced, 0) <> coalesce(g.produced, 0)
ORDER BY 1, 2, 3, 4 LIMIT 1000
"""

_RETURNS = f"""
WITH recorded AS (
    SELECT order_id, sku, sum(returned)::bigint AS returned
    FROM order_lines GROUP BY 1, 2
), logged AS (
    SELECT order_id, sku, sum(d_on_hand)::bigint AS returned
    FROM ledger_events WHERE type = '{OrderReturned.type}' GROUP BY 1, 2
)
SELECT coalesce(r.order_id, g.order_id) AS order_id, coalesce(r.sku, g.sku) AS sku,
       coalesce(r.returned, 0) AS recorded, coalesce(g.returned, 0) AS logged
FROM recorded r FULL JOIN logged g ON g.order_id = r.order_id AND g.sku = r.sku
WHERE coalesce(r.returned, 0) <> coalesce(g.returned, 0)
ORDER BY 1, 2 LIMIT 1000
"""


_PRODUCTION = [cls for cls in EVENT_TYPES.values() if issubclass(cls, Production)]


def _per_unit(column: str) -> str:
    """What a production event adds to a week's `column`, per unit, by type."""
    cases = " ".join(
        f"WHEN '{cls.type}' THEN {getattr(cls, column)}"
        for cls in _PRODUCTION
        if getattr(cls, column)
    )
    return f"(CASE type {cases} ELSE 0 END) * (data->>'quantity')::bigint"


_CAPACITY = f"""
WITH moved AS (
    SELECT data->>'pool' AS pool, data->>'week' AS week,
           sum({_per_unit("held")})::bigint AS held,
           sum({_per_unit("committed")})::bigint AS committed
    FROM ledger_events
    WHERE type IN ({", ".join(f"'{cls.type}'" for cls in _PRODUCTION)})
    GROUP BY 1, 2
), set AS (
    SELECT DISTINCT ON (data->>'pool', data->>'week')
           data->>'pool' AS pool, data->>'week' AS week, (data->>'units')::bigint AS units
    FROM ledger_events WHERE type = '{CapacitySet.type}'
    ORDER BY data->>'pool', data->>'week', seq DESC NULLS FIRST, id DESC
), logged AS (
    SELECT pool, week, coalesce(s.units, 0) AS units, coalesce(m.held, 0) AS held,
           coalesce(m.committed, 0) AS committed
    FROM moved m FULL JOIN set s USING (pool, week)
)
SELECT coalesce(c.pool, g.pool) AS pool, coalesce(c.week, g.week) AS week,
       coalesce(c.units, 0) AS units, coalesce(c.held, 0) AS held,
       coalesce(c.committed, 0) AS committed,
       coalesce(g.units, 0) AS l_units, coalesce(g.held, 0) AS l_held,
       coalesce(g.committed, 0) AS l_committed
FROM capacity_weeks c FULL JOIN logged g ON g.pool = c.pool AND g.week = c.week
WHERE ROW(coalesce(c.units, 0), coalesce(c.held, 0), coalesce(c.committed, 0))
      IS DISTINCT FROM ROW(coalesce(g.units, 0), coalesce(g.held, 0), coalesce(g.committed, 0))
ORDER BY 1, 2 LIMIT 1000
"""

_BOOKINGS = """
WITH booked AS (
    SELECT x.pool, x.week,
           sum(CASE WHEN s.status = 'active' THEN x.quantity ELSE 0 END)::bigint AS held,
           sum(CASE WHEN x.order_id IS NULL THEN 0
                    WHEN x.cancelled THEN x.produced ELSE x.quantity END)::bigint AS committed
    FROM production_lines x LEFT JOIN production_slots s ON s.id = x.slot_id
    GROUP BY 1, 2
)
SELECT c.pool, c.week, c.held, c.committed,
       coalesce(b.held, 0) AS b_held, coalesce(b.committed, 0) AS b_committed
FROM capacity_weeks c LEFT JOIN booked b ON b.pool = c.pool AND b.week = c.week
WHERE c.held <> coalesce(b.held, 0) OR c.committed <> coalesce(b.committed, 0)
ORDER BY 1, 2 LIMIT 1000
"""

_PROMISES = """
WITH tied AS (
    SELECT supply, supply_id, sku, sum(quantity)::bigint AS tied
    FROM supply_ties WHERE supply IN ('po', 'transfer') GROUP BY 1, 2, 3
), promised AS (
    SELECT 'po' AS supply, purchase_order_id AS supply_id, sku, promised
    FROM purchase_order_lines WHERE promised > 0
    UNION ALL
    SELECT 'transfer', transfer_id, sku, promised FROM transfer_lines WHERE promised > 0
)
SELECT coalesce(p.supply, t.supply) || ':' || coalesce(p.supply_id, t.supply_id)
           || ': ' || coalesce(p.sku, t.sku) AS subject,
       format('%s promised, %s tied', coalesce(p.promised, 0), coalesce(t.tied, 0)) AS detail
FROM promised p FULL JOIN tied t USING (supply, supply_id, sku)
WHERE coalesce(p.promised, 0) <> coalesce(t.tied, 0)
UNION ALL
SELECT 'preorder:' || s.sku,
       format('%s preordered, %s tied', s.preordered, coalesce(sum(t.quantity), 0))
FROM skus s LEFT JOIN supply_ties t ON t.supply = 'preorder' AND t.sku = s.sku
GROUP BY s.sku, s.preordered
HAVING s.preordered <> coalesce(sum(t.quantity), 0)
UNION ALL
SELECT 'preorder:' || c.sku || ' through ' || c.channel,
       format('%s preordered, %s tied', c.preordered, coalesce(sum(t.quantity), 0))
FROM sku_preorder_channels c
LEFT JOIN supply_ties t ON t.supply = 'preorder' AND t.sku = c.sku AND t.channel = c.channel
GROUP BY c.sku, c.channel, c.preordered
HAVING c.preordered <> coalesce(sum(t.quantity), 0)
UNION ALL
SELECT 'reservation ' || t.holder_id || ': ' || t.sku || '@' || t.location,
       format('%s units tied, but the hold is %s', sum(t.quantity), coalesce(r.status, 'gone'))
FROM supply_ties t LEFT JOIN reservations r ON r.id = t.holder_id
WHERE t.holder = 'reservation' AND r.status IS DISTINCT FROM 'active'
GROUP BY t.holder_id, t.sku, t.location, r.status
UNION ALL
SELECT 'order ' || t.holder_id || ': ' || t.sku || '@' || t.location,
       format('%s units tied, %s left to ship', sum(t.quantity), coalesce(l.committed, 0))
FROM supply_ties t
LEFT JOIN order_lines l
  ON l.order_id = t.holder_id AND l.sku = t.sku AND l.location = t.location
WHERE t.holder = 'order'
GROUP BY t.holder_id, t.sku, t.location, l.committed
HAVING sum(t.quantity) > coalesce(l.committed, 0)
ORDER BY 1 LIMIT 1000
"""


async def verify(pool: asyncpg.Pool) -> VerifyReport:
    found: list[Discrepancy] = []
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):

        async def compare(rule: comparisons.Rule) -> None:
            for r in await conn.fetch(rule.sql(EVERYWHERE) + _LIMIT):
                finding = rule.finding(r)
                found.append(Discrepancy(rule.name, finding.subject, finding.detail))

        await compare(comparisons.REPLAY)
        for r in await conn.fetch(_CHAIN):
            found.append(
                Discrepancy(
                    "chain",
                    f"{r['sku']}@{r['location']}",
                    f"event {r['seq']}: quantities after it differ from the running sum",
                )
            )
        await compare(comparisons.HOLDS)
        await compare(comparisons.ORDERS)
        for r in await conn.fetch(_RESERVATIONS):
            found.append(
                Discrepancy(
                    "reservations",
                    f"{r['reservation_id']}: {r['sku']}@{r['location']}",
                    f"the hold has {r['held']} units, its reservation.created events {r['logged']}",
                )
            )
        for r in await conn.fetch(_SHIPMENTS):
            found.append(
                Discrepancy(
                    "shipments",
                    f"order {r['order_id']}: {r['sku']}@{r['location']}",
                    f"{r['recorded']} shipped, but its order.shipped events ship {r['logged']}",
                )
            )
        for r in await conn.fetch(_PRODUCED):
            found.append(
                Discrepancy(
                    "produced",
                    f"order {r['order_id']}: {r['sku']} in pool {r['pool']} {r['week']}",
                    f"{r['recorded']} made, but its order.produced events make {r['logged']}",
                )
            )
        for r in await conn.fetch(_RETURNS):
            found.append(
                Discrepancy(
                    "returns",
                    f"order {r['order_id']}: {r['sku']}",
                    f"{r['recorded']} returned, but its order.returned events"
                    f" restock {r['logged']}",
                )
            )
        await compare(comparisons.TRANSFERS)
        await compare(comparisons.PURCHASE_ORDERS)
        await compare(comparisons.INCOMING)
        for r in await conn.fetch(_PROMISES):
            found.append(Discrepancy("promises", r["subject"], r["detail"]))
        await compare(comparisons.CHANNELS)
        for r in await conn.fetch(_CAPACITY):
            found.append(
                Discrepancy(
                    "capacity",
                    f"pool {r['pool']} {r['week']}",
                    f"units/held/committed {r['units']}/{r['held']}/{r['committed']},"
                    f" the ledger says {r['l_units']}/{r['l_held']}/{r['l_committed']}",
                )
            )
        for r in await conn.fetch(_BOOKINGS):
            found.append(
                Discrepancy(
                    "capacity_bookings",
                    f"pool {r['pool']} {r['week']}",
                    f"held/committed {r['held']}/{r['committed']}, its slot bookings and"
                    f" orders have {r['b_held']}/{r['b_committed']}",
                )
            )
        events = await conn.fetchval("SELECT count(*) FROM ledger_events")
        levels = await conn.fetchval("SELECT count(*) FROM levels")
    return VerifyReport(events=events, levels=levels, discrepancies=tuple(found))
