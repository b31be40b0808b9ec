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
- returns: an order's `returned` units of a SKU equal its `order.returned`
  movements' (a return restocks wherever it is received, so per order and SKU);
- transfers: each transfer line's units in transit equal the `incoming` its
  movements put at the destination and took out again;
- purchase_orders: each purchase order line's open units equal the
  `incoming` its `inbound.*` movements put at its location and took out again;
- incoming: each level's `incoming` covers the inbound units owed to it: in
  transit on open transfers and open on purchase orders (it may hold more:
  expected stock adjusted in by hand);
- channels: each channel's units outstanding of a SKU (`channel_stock`)
  equal both the replay of the events that name the channel (their held and
  committed deltas) and the units of its active holds and open orders.
"""

from __future__ import annotations

import asyncpg

from stockd.adapters.postgres import comparisons
from stockd.adapters.postgres.comparisons import EVERYWHERE, MOVEMENTS
from stockd.adapters.postgres.rows import COUNTERS
from stockd.domain.events import DriftFound, OrderReturned, OrderShipped, Reserved
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
        await compare(comparisons.CHANNELS)
        events = await conn.fetchval("SELECT count(*) FROM ledger_events")
        levels = await conn.fetchval("SELECT count(*) FROM levels")
    return VerifyReport(events=events, levels=levels, discrepancies=tuple(found))
