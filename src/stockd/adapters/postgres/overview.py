"""The inventory at a glance: counts, and the SKUs out of stock or low."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from stockd.domain.quantities import AVAILABLE
from stockd.service.queries import Overview, SkuStock

# `available` from the one formula, with `reserved` live (less the units of
# holds past their deadline), summed over the usable locations (active, not
# archived) as `GET /v1/availability` totals it; a SKU without any sums to 0.
_AVAILABLE = AVAILABLE.sql(
    lambda c: "(l.reserved - coalesce(o.quantity, 0))" if c == "reserved" else f"l.{c}"
)

# Two statements, each one pass: the counts (scalar subqueries over their
# tables) and the SKUs in either band with how many each band holds.
_COUNTS = """
SELECT
    (SELECT count(*) FROM skus WHERE NOT archived) AS skus,
    (SELECT count(*) FROM locations WHERE NOT archived) AS locations,
    (SELECT count(*) FROM reservations
      WHERE status = 'active' AND expires_at > $1) AS active_reservations,
    (SELECT coalesce(max(seq), 0) FROM ledger_events) AS ledger_head
"""

_BANDS = f"""
WITH overdue AS (
    SELECT rl.sku, rl.location, sum(rl.quantity)::bigint AS quantity
    FROM reservations r JOIN reservation_lines rl ON rl.reservation_id = r.id
    WHERE r.status = 'active' AND r.expires_at <= $1
    GROUP BY rl.sku, rl.location
),
totals AS (
    SELECT s.sku, s.name,
           coalesce(sum({_AVAILABLE}), 0)::bigint AS available,
           count(l.location) AS locations
    FROM skus s
    LEFT JOIN (levels l JOIN locations loc ON loc.id = l.location AND loc.active
               AND NOT loc.archived) ON l.sku = s.sku
    LEFT JOIN overdue o ON o.sku = l.sku AND o.location = l.location
    WHERE NOT s.archived
    GROUP BY s.sku, s.name
),
banded AS (
    SELECT *, available > 0 AS low FROM totals WHERE available < $2
),
ranked AS (
    SELECT *,
           row_number() OVER (PARTITION BY low ORDER BY available, sku) AS rank,
           count(*) OVER (PARTITION BY low) AS in_band
    FROM banded
)
SELECT sku, name, available, locations, low, in_band
FROM ranked WHERE rank <= $3
ORDER BY low, available, sku
"""


async def overview(pool: asyncpg.Pool, now: datetime, low_stock_below: int, limit: int) -> Overview:
    async with pool.acquire() as conn:
        counts = await conn.fetchrow(_COUNTS, now)
        found = await conn.fetch(_BANDS, now, low_stock_below, limit)
    assert counts is not None
    bands: dict[bool, list[SkuStock]] = {False: [], True: []}
    sizes = {False: 0, True: 0}
    for r in found:
        bands[r["low"]].append(SkuStock(r["sku"], r["name"], r["available"], r["locations"]))
        sizes[r["low"]] = r["in_band"]
    return Overview(
        skus=counts["skus"],
        locations=counts["locations"],
        active_reservations=counts["active_reservations"],
        ledger_head=counts["ledger_head"],
        out_of_stock_count=sizes[False],
        low_stock_count=sizes[True],
        out_of_stock=tuple(bands[False]),
        low_stock=tuple(bands[True]),
    )
