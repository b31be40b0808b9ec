"""Levels in PostgreSQL: quantities change only by deltas the database checks."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from asyncpg.pool import PoolConnectionProxy

from stockd.adapters.postgres import rows
from stockd.domain.quantities import AVAILABLE, Level, LevelKey, Quantities


def keeps_invariants(after: Mapping[str, str], floor: str) -> str:
    """The SQL condition that quantities after a change keep every invariant;
    `after` maps each counter to its SQL value after the change. It mirrors
    Quantities.violations and the table's CHECK constraints, and is the one
    place the write statements take it from: in their WHERE clause, a
    refused change updates no row instead of aborting the transaction, so
    one bad item of a non-atomic bulk does not sink the rest."""
    v = {c: f"({after[c]})" for c in rows.COUNTERS}
    available = AVAILABLE.sql(v.__getitem__)
    return " AND ".join(
        [
            *(f"{v[c]} >= 0" for c in rows.COUNTERS),
            f"{v['damaged']} + {v['quality_control']} <= {v['on_hand']}",
            f"{available} >= {floor}",
        ]
    )


_APPLY = f"""
UPDATE levels SET
    {", ".join(f"{c} = {c} + ${i + 3}" for i, c in enumerate(rows.COUNTERS))},
    version = version + 1, updated_at = $10
WHERE sku = $1 AND location = $2
  AND {keeps_invariants({c: f"{c} + ${i + 3}" for i, c in enumerate(rows.COUNTERS)}, "floor")}
RETURNING {rows.LEVEL_COLUMNS}
"""

_READ = f"""
SELECT {", ".join("l." + c for c in rows.LEVEL_COLUMNS.split(", "))}
FROM levels l
JOIN (SELECT sku, location FROM levels WHERE sku = ANY($3::text[])
      UNION SELECT * FROM unnest($1::text[], $2::text[])) wanted USING (sku, location)
ORDER BY l.sku, l.location
"""
_LOCK = _READ + "FOR NO KEY UPDATE OF l\n"

_CREATE = """
INSERT INTO levels (sku, location, floor, updated_at)
SELECT wanted.sku, wanted.location, s.floor, $3
FROM unnest($1::text[], $2::text[]) AS wanted (sku, location)
JOIN skus s ON s.sku = wanted.sku
ORDER BY wanted.sku, wanted.location
ON CONFLICT (sku, location) DO NOTHING
"""


_COUNTER_ARRAYS = ", ".join(f"${i + 4}::bigint[]" for i in range(len(rows.COUNTERS)))
_APPLY_MANY = f"""
UPDATE levels l SET
    {", ".join(f"{c} = l.{c} + d.{c}" for c in rows.COUNTERS)},
    version = l.version + d.touches, updated_at = $1
FROM unnest($2::text[], $3::text[], {_COUNTER_ARRAYS}, ${len(rows.COUNTERS) + 4}::bigint[])
     AS d (sku, location, {", ".join(rows.COUNTERS)}, touches)
WHERE l.sku = d.sku AND l.location = d.location
  AND {keeps_invariants({c: f"l.{c} + d.{c}" for c in rows.COUNTERS}, "l.floor")}
RETURNING {", ".join("l." + c for c in rows.LEVEL_COLUMNS.split(", "))}
"""


class PostgresLevels:
    def __init__(self, conn: PoolConnectionProxy) -> None:
        self.conn = conn

    async def create_missing(self, keys: Collection[LevelKey], now: datetime) -> None:
        if keys:
            ordered = sorted(keys)
            await self.conn.execute(
                _CREATE, [k.sku for k in ordered], [k.location for k in ordered], now
            )

    async def lock(
        self, keys: Collection[LevelKey] = (), *, skus: Collection[str] = ()
    ) -> dict[LevelKey, Level]:
        return await self._select(_LOCK, keys, skus)

    async def read(
        self, keys: Collection[LevelKey] = (), *, skus: Collection[str] = ()
    ) -> dict[LevelKey, Level]:
        return await self._select(_READ, keys, skus)

    async def _select(
        self, sql: str, keys: Collection[LevelKey], skus: Collection[str]
    ) -> dict[LevelKey, Level]:
        if not keys and not skus:
            return {}
        found = await self.conn.fetch(
            sql, [k.sku for k in keys], [k.location for k in keys], list(skus)
        )
        return {(lvl := rows.level(r)).key: lvl for r in found}

    async def apply_many(
        self, deltas: Mapping[LevelKey, tuple[Quantities, int]], now: datetime
    ) -> dict[LevelKey, Level] | None:
        if not deltas:
            return {}
        keys = sorted(deltas)
        columns = [[getattr(deltas[k][0], c) for k in keys] for c in rows.COUNTERS]
        found = await self.conn.fetch(
            _APPLY_MANY,
            now,
            [k.sku for k in keys],
            [k.location for k in keys],
            *columns,
            [deltas[k][1] for k in keys],
        )
        if len(found) != len(keys):
            return None
        return {(lvl := rows.level(r)).key: lvl for r in found}

    async def apply(self, key: LevelKey, delta: Quantities, now: datetime) -> Level | None:
        row = await self.conn.fetchrow(
            _APPLY,
            key.sku,
            key.location,
            delta.on_hand,
            delta.reserved,
            delta.committed,
            delta.damaged,
            delta.quality_control,
            delta.safety_stock,
            delta.incoming,
            now,
        )
        return None if row is None else rows.level(row)
