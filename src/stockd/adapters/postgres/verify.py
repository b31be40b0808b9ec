"""`stockd ledger verify`: replay the ledger and compare it with the levels,
the holds, the orders and the transfers.

All checks run in one repeatable-read snapshot, so concurrent writes cannot
cause false alarms:

- replay: the sum of every level's deltas equals the level;
- chain: each event's "after" quantities equal the running sum up to it;
- holds: each level's `reserved` equals the units of its active holds;
- orders: each level's `committed` equals the units its orders still have to ship;
- reservations: each hold line's units equal its `reservation.created` events';
- shipments: each order line's `shipped` equals its `order.shipped` movements';
- returns: an order's `returned` units of a SKU equal its `order.returned`
  movements' (a return restocks wherever it is received, so per order and SKU);
- transfers: each transfer line's units in transit equal the `incoming` its
  movements put at the destination and took out again;
- incoming: each level's `incoming` covers the units in transit to it (it may
  hold more: expected purchase orders are adjusted in);
- channels: each channel's units outstanding of a SKU (`channel_stock`)
  equal both the replay of the events that name the channel (their held and
  committed deltas) and the units of its active holds and open orders.
"""

from __future__ import annotations

import asyncpg

from stockd.adapters.postgres.rows import COUNTERS
from stockd.domain.channels import BYPASS
from stockd.domain.events import OrderReturned, OrderShipped, Reserved
from stockd.service.queries import Discrepancy, VerifyReport

_SUMS = ", ".join(f"sum(d_{c})::bigint AS {c}" for c in COUNTERS)
_LEVEL = ", ".join(f"l.{c}" for c in COUNTERS)
_REPLAYED = ", ".join(f"coalesce(r.{c}, 0)" for c in COUNTERS)

_MOVEMENTS = "on_hand IS NOT NULL"
"""Only level movements carry quantities; other events have none."""

_REPLAY = f"""
WITH replay AS (
    SELECT sku, location, {_SUMS} FROM ledger_events WHERE {_MOVEMENTS} GROUP BY sku, location
)
SELECT coalesce(l.sku, r.sku) AS sku, coalesce(l.location, r.location) AS location,
       ARRAY[{_LEVEL}] AS level, ARRAY[{_REPLAYED}] AS replayed
FROM levels l FULL JOIN replay r ON r.sku = l.sku AND r.location = l.location
WHERE l.sku IS NULL OR ROW({_LEVEL}) IS DISTINCT FROM ROW({_REPLAYED})
ORDER BY 1, 2 LIMIT 1000
"""

_RUNNING = ", ".join(f"sum(d_{c}) OVER w AS run_{c}" for c in COUNTERS)
_CHAIN = f"""
SELECT seq, sku, location FROM (
    SELECT seq, sku, location, {", ".join(COUNTERS)}, {_RUNNING}
    FROM ledger_events WHERE {_MOVEMENTS}
    WINDOW w AS (PARTITION BY sku, location ORDER BY seq)
) chained
WHERE ROW({", ".join(COUNTERS)}) IS DISTINCT FROM ROW({", ".join(f"run_{c}" for c in COUNTERS)})
ORDER BY seq LIMIT 1000
"""

_HOLDS = """
WITH held AS (
    SELECT rl.sku, rl.location, sum(rl.quantity)::bigint AS quantity
    FROM reservations r JOIN reservation_lines rl ON rl.reservation_id = r.id
    WHERE r.status = 'active' GROUP BY rl.sku, rl.location
)
SELECT coalesce(l.sku, h.sku) AS sku, coalesce(l.location, h.location) AS location,
       coalesce(l.reserved, 0) AS reserved, coalesce(h.quantity, 0) AS held
FROM levels l FULL JOIN held h ON h.sku = l.sku AND h.location = l.location
WHERE coalesce(l.reserved, 0) <> coalesce(h.quantity, 0)
ORDER BY 1, 2 LIMIT 1000
"""


_ORDERS = """
WITH owed AS (
    SELECT sku, location, sum(committed)::bigint AS quantity
    FROM order_lines GROUP BY sku, location
)
SELECT coalesce(l.sku, o.sku) AS sku, coalesce(l.location, o.location) AS location,
       coalesce(l.committed, 0) AS committed, coalesce(o.quantity, 0) AS owed
FROM levels l FULL JOIN owed o ON o.sku = l.sku AND o.location = l.location
WHERE coalesce(l.committed, 0) <> coalesce(o.quantity, 0)
ORDER BY 1, 2 LIMIT 1000
"""


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

_TRANSFERS = f"""
WITH recorded AS (
    SELECT l.transfer_id, l.sku, (l.quantity - l.received)::bigint AS in_transit
    FROM transfer_lines l
), logged AS (
    SELECT e.transfer_id, e.sku, sum(e.d_incoming)::bigint AS in_transit
    FROM ledger_events e JOIN transfers t ON t.id = e.transfer_id
    WHERE e.transfer_id IS NOT NULL AND e.{_MOVEMENTS} AND e.location = t.destination
    GROUP BY 1, 2
)
SELECT coalesce(r.transfer_id, g.transfer_id) AS transfer_id, coalesce(r.sku, g.sku) AS sku,
       coalesce(r.in_transit, 0) AS recorded, coalesce(g.in_transit, 0) AS logged
FROM recorded r FULL JOIN logged g ON g.transfer_id = r.transfer_id AND g.sku = r.sku
WHERE coalesce(r.in_transit, 0) <> coalesce(g.in_transit, 0)
ORDER BY 1, 2 LIMIT 1000
"""

_INCOMING = """
WITH owed AS (
    SELECT l.sku, t.destination AS location, sum(l.quantity - l.received)::bigint AS in_transit
    FROM transfers t JOIN transfer_lines l ON l.transfer_id = t.id
    WHERE t.status <> 'received'
    GROUP BY 1, 2
)
SELECT o.sku, o.location, coalesce(v.incoming, 0) AS incoming, o.in_transit
FROM owed o LEFT JOIN levels v ON v.sku = o.sku AND v.location = o.location
WHERE coalesce(v.incoming, 0) < o.in_transit
ORDER BY 1, 2 LIMIT 1000
"""


_CHANNELS = f"""
WITH replay AS (
    SELECT sku, channel, sum(d_reserved + d_committed)::bigint AS units
    FROM ledger_events WHERE {_MOVEMENTS} AND channel IS NOT NULL AND channel <> '{BYPASS}'
    GROUP BY sku, channel
), live AS (
    SELECT sku, channel, sum(units)::bigint AS units FROM (
        SELECT rl.sku, r.channel, rl.quantity AS units
        FROM reservations r JOIN reservation_lines rl ON rl.reservation_id = r.id
        WHERE r.status = 'active' AND r.channel IS NOT NULL AND r.channel <> '{BYPASS}'
        UNION ALL
        SELECT ol.sku, o.channel, ol.committed
        FROM orders o JOIN order_lines ol ON ol.order_id = o.id
        WHERE o.channel IS NOT NULL AND o.channel <> '{BYPASS}'
    ) u GROUP BY sku, channel
), keys AS (
    SELECT sku, channel FROM channel_stock UNION SELECT sku, channel FROM replay
    UNION SELECT sku, channel FROM live
)
SELECT k.sku, k.channel, coalesce(c.outstanding, 0) AS counted,
       coalesce(r.units, 0) AS replayed, coalesce(l.units, 0) AS live
FROM keys k
LEFT JOIN channel_stock c USING (sku, channel)
LEFT JOIN replay r USING (sku, channel)
LEFT JOIN live l USING (sku, channel)
WHERE coalesce(c.outstanding, 0) <> coalesce(r.units, 0)
   OR coalesce(c.outstanding, 0) <> coalesce(l.units, 0)
ORDER BY 1, 2 LIMIT 1000
"""


async def verify(pool: asyncpg.Pool) -> VerifyReport:
    found: list[Discrepancy] = []
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        for r in await conn.fetch(_REPLAY):
            diffs = [
                f"{c} level {a} != replay {b}"
                for c, a, b in zip(COUNTERS, r["level"], r["replayed"], strict=True)
                if a != b
            ]
            found.append(
                Discrepancy(
                    "replay",
                    f"{r['sku']}@{r['location']}",
                    "; ".join(diffs) if diffs else "events for a level that does not exist",
                )
            )
        for r in await conn.fetch(_CHAIN):
            found.append(
                Discrepancy(
                    "chain",
                    f"{r['sku']}@{r['location']}",
                    f"event {r['seq']}: quantities after it differ from the running sum",
                )
            )
        for r in await conn.fetch(_HOLDS):
            found.append(
                Discrepancy(
                    "holds",
                    f"{r['sku']}@{r['location']}",
                    f"reserved {r['reserved']} but active holds total {r['held']}",
                )
            )
        for r in await conn.fetch(_ORDERS):
            found.append(
                Discrepancy(
                    "orders",
                    f"{r['sku']}@{r['location']}",
                    f"committed {r['committed']} but orders still owe {r['owed']}",
                )
            )
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
        for r in await conn.fetch(_TRANSFERS):
            found.append(
                Discrepancy(
                    "transfers",
                    f"transfer {r['transfer_id']}: {r['sku']}",
                    f"{r['recorded']} in transit, but its events leave {r['logged']} incoming",
                )
            )
        for r in await conn.fetch(_INCOMING):
            found.append(
                Discrepancy(
                    "incoming",
                    f"{r['sku']}@{r['location']}",
                    f"incoming {r['incoming']} but open transfers have {r['in_transit']}"
                    " in transit to it",
                )
            )
        for r in await conn.fetch(_CHANNELS):
            found.append(
                Discrepancy(
                    "channels",
                    f"{r['sku']} through {r['channel']}",
                    f"{r['counted']} outstanding counted, {r['replayed']} by its events,"
                    f" {r['live']} in its active holds and open orders",
                )
            )
        events = await conn.fetchval("SELECT count(*) FROM ledger_events")
        levels = await conn.fetchval("SELECT count(*) FROM levels")
    return VerifyReport(events=events, levels=levels, discrepancies=tuple(found))
