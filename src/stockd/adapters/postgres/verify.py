"""`stockd ledger verify`: replay the ledger and compare it with the levels.

Three checks, all in one repeatable-read snapshot so concurrent writes cannot
cause false alarms:

- replay: the sum of every level's deltas equals the level;
- chain: each event's "after" quantities equal the running sum up to it;
- holds: each level's `reserved` equals the units of its active holds;
- orders: each level's `committed` equals the units its orders still have to ship.
"""

from __future__ import annotations

import asyncpg

from stockd.adapters.postgres.rows import COUNTERS
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
        events = await conn.fetchval("SELECT count(*) FROM ledger_events")
        levels = await conn.fetchval("SELECT count(*) FROM levels")
    return VerifyReport(events=events, levels=levels, discrepancies=tuple(found))
