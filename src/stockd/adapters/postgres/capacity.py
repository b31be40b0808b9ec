"""Capacity pools, weeks and production bookings in PostgreSQL.

A week's `held` and `committed` change only by conditional UPDATEs; the
table's CHECK (`held + committed <= units`, nothing negative) is the last
word whatever the caller read before.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import orjson
from asyncpg.pool import PoolConnectionProxy

from stockd.adapters.postgres.rows import Row
from stockd.domain.capacity import (
    CapacityPool,
    CapacityWeek,
    ProductionLine,
    SlotBooking,
    SlotStatus,
    ready_at,
)
from stockd.domain.weeks import IsoWeek

POOL_COLUMNS = "id, location, name, lead_time_weeks, version"
WEEK_COLUMNS = "pool, week, units, held, committed"
SLOT_COLUMNS = "id, status, reference, order_id, created_at, expires_at, closed_at"

LINES = """
SELECT x.id, x.slot_id, x.order_id, x.sku, x.quantity, x.pool, x.week, x.options, x.cancelled,
       x.produced, x.promised_ready_at, p.location, l.timezone
FROM production_lines x
JOIN capacity_pools p ON p.id = x.pool
JOIN locations l ON l.id = p.location
"""
"""Production lines with their workshop (its zone dates them); add a WHERE."""


def pool_of(row: Row) -> CapacityPool:
    return CapacityPool(
        id=row["id"],
        location=row["location"],
        name=row["name"],
        lead_time_weeks=row["lead_time_weeks"],
        version=row["version"],
    )


def week_of(row: Row) -> CapacityWeek:
    return CapacityWeek(
        pool=row["pool"],
        week=IsoWeek.parse(row["week"]),
        units=row["units"],
        held=row["held"],
        committed=row["committed"],
    )


def line_of(row: Row) -> ProductionLine:
    """A line from a row of `LINES` (or the same columns gathered)."""
    week = IsoWeek.parse(row["week"])
    return ProductionLine(
        sku=row["sku"],
        quantity=row["quantity"],
        pool=row["pool"],
        week=week,
        ready_at=ready_at(week, ZoneInfo(row["timezone"])),
        location=row["location"],
        options=orjson.loads(row["options"]),
        cancelled=row["cancelled"],
        produced=row["produced"],
        promised_ready_at=row["promised_ready_at"],
        id=row["id"],
    )


def slot_of(row: Row, lines: Sequence[ProductionLine]) -> SlotBooking:
    return SlotBooking(
        id=row["id"],
        status=SlotStatus(row["status"]),
        lines=tuple(lines),
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        reference=row["reference"],
        order_id=row["order_id"],
        closed_at=row["closed_at"],
    )


async def order_lines(conn: PoolConnectionProxy, order_id: str) -> list[ProductionLine]:
    """An order's made-to-order lines (cancelled ones too)."""
    found = await conn.fetch(LINES + " WHERE x.order_id = $1 ORDER BY x.id", order_id)
    return [line_of(r) for r in found]


class PostgresCapacity:
    def __init__(self, conn: PoolConnectionProxy) -> None:
        self.conn = conn

    async def add_pool(self, pool: CapacityPool, now: datetime) -> bool:
        status = await self.conn.execute(
            """
            INSERT INTO capacity_pools (id, location, name, lead_time_weeks, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (id) DO NOTHING
            """,
            pool.id,
            pool.location,
            pool.name,
            pool.lead_time_weeks,
            now,
        )
        return bool(status == "INSERT 0 1")

    async def pools(self, ids: Collection[str]) -> dict[str, CapacityPool]:
        if not ids:
            return {}
        found = await self.conn.fetch(
            f"SELECT {POOL_COLUMNS} FROM capacity_pools WHERE id = ANY($1::text[])", list(ids)
        )
        return {r["id"]: pool_of(r) for r in found}

    async def page(self, after: str | None, limit: int) -> list[CapacityPool]:
        found = await self.conn.fetch(
            f"SELECT {POOL_COLUMNS} FROM capacity_pools WHERE id > coalesce($1, '')"
            " ORDER BY id LIMIT $2",
            after,
            limit,
        )
        return [pool_of(r) for r in found]

    async def lock_pools(self, ids: Collection[str]) -> None:
        # NO KEY UPDATE: new weeks (their foreign key) and single-line
        # bookings (which never lock the pool) are not held up by it.
        await self.conn.execute(
            "SELECT 1 FROM capacity_pools WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE",
            sorted(ids),
        )

    async def lock_weeks(
        self, pool: str, weeks: Collection[IsoWeek]
    ) -> dict[IsoWeek, CapacityWeek]:
        found = await self.conn.fetch(
            f"""
            SELECT {WEEK_COLUMNS} FROM capacity_weeks
            WHERE pool = $1 AND week = ANY($2::text[]) ORDER BY week FOR UPDATE
            """,
            pool,
            sorted(str(w) for w in weeks),
        )
        return {(w := week_of(r)).week: w for r in found}

    async def set_units(self, pool: str, units: Mapping[IsoWeek, int]) -> None:
        ordered = sorted(units)
        await self.conn.execute(
            """
            INSERT INTO capacity_weeks AS c (pool, week, units)
            SELECT $1, week, units FROM unnest($2::text[], $3::bigint[]) AS u (week, units)
            ON CONFLICT (pool, week) DO UPDATE SET units = excluded.units
            """,
            pool,
            [str(w) for w in ordered],
            [units[w] for w in ordered],
        )

    async def weeks(self, pool: str, first: IsoWeek, last: IsoWeek | None) -> list[CapacityWeek]:
        found = await self.conn.fetch(
            f"""
            SELECT {WEEK_COLUMNS} FROM capacity_weeks
            WHERE pool = $1 AND week >= $2 AND ($3::text IS NULL OR week <= $3)
            ORDER BY week
            """,
            pool,
            str(first),
            None if last is None else str(last),
        )
        return [week_of(r) for r in found]

    async def take(
        self, pool: str, first: IsoWeek, last: IsoWeek, quantity: int, *, commit: bool
    ) -> CapacityWeek | None:
        # FOR UPDATE under LIMIT: a week another transaction is booking is
        # waited for and looked at again once it commits; if it has no room
        # left then, the next week in order is taken instead.
        column = "committed" if commit else "held"
        row = await self.conn.fetchrow(
            f"""
            WITH pick AS (
                SELECT pool, week FROM capacity_weeks
                WHERE pool = $1 AND week BETWEEN $2 AND $3 AND units - held - committed >= $4
                ORDER BY week LIMIT 1 FOR UPDATE
            )
            UPDATE capacity_weeks c SET {column} = c.{column} + $4
            FROM pick WHERE c.pool = pick.pool AND c.week = pick.week
              AND c.units - c.held - c.committed >= $4
            RETURNING c.pool, c.week, c.units, c.held, c.committed
            """,
            pool,
            str(first),
            str(last),
            quantity,
        )
        return None if row is None else week_of(row)

    async def move(self, pool: str, week: IsoWeek, held: int, committed: int) -> bool:
        done = await self.conn.execute(
            """
            UPDATE capacity_weeks SET held = held + $3, committed = committed + $4
            WHERE pool = $1 AND week = $2 AND held + $3 >= 0 AND committed + $4 >= 0
              AND held + $3 + committed + $4 <= units
            """,
            pool,
            str(week),
            held,
            committed,
        )
        return bool(done == "UPDATE 1")

    async def add_lines(
        self, lines: Sequence[ProductionLine], slot_id: str | None, order_id: str | None
    ) -> None:
        await self.conn.execute(
            """
            INSERT INTO production_lines
                (slot_id, order_id, line_no, sku, quantity, pool, week, options,
                 promised_ready_at)
            SELECT $1, $2, * FROM unnest($3::int[], $4::text[], $5::bigint[], $6::text[],
                                        $7::text[], $8::jsonb[], $9::timestamptz[])
            """,
            slot_id,
            order_id,
            list(range(len(lines))),
            [x.sku for x in lines],
            [x.quantity for x in lines],
            [x.pool for x in lines],
            [str(x.week) for x in lines],
            [orjson.dumps(dict(x.options)).decode() for x in lines],
            [x.promised for x in lines],
        )

    async def add_slot(self, slot: SlotBooking) -> None:
        await self.conn.execute(
            """
            INSERT INTO production_slots (id, status, reference, created_at, expires_at)
            VALUES ($1, $2, $3, $4, $5)
            """,
            slot.id,
            slot.status.value,
            slot.reference,
            slot.created_at,
            slot.expires_at,
        )
        await self.add_lines(slot.lines, slot.id, None)

    async def slot(self, slot_id: str, *, lock: bool = False) -> SlotBooking | None:
        row = await self.conn.fetchrow(
            f"SELECT {SLOT_COLUMNS} FROM production_slots WHERE id = $1"
            + (" FOR UPDATE" if lock else ""),
            slot_id,
        )
        if row is None:
            return None
        return (await self._with_lines([row]))[0]

    async def close_slot(
        self, slot_id: str, status: SlotStatus, now: datetime, order_id: str | None = None
    ) -> None:
        done = await self.conn.execute(
            """
            UPDATE production_slots SET status = $2, closed_at = $3, order_id = $4
            WHERE id = $1 AND status = 'active'
            """,
            slot_id,
            status.value,
            now,
            order_id,
        )
        if done != "UPDATE 1":
            raise RuntimeError(f"slot booking {slot_id} was not active under lock")
        if order_id is not None:
            await self.conn.execute(
                "UPDATE production_lines SET order_id = $2 WHERE slot_id = $1", slot_id, order_id
            )

    async def set_slot_deadline(self, slot_id: str, expires_at: datetime) -> None:
        await self.conn.execute(
            "UPDATE production_slots SET expires_at = $2 WHERE id = $1", slot_id, expires_at
        )

    async def lock_due_slots(self, now: datetime, limit: int) -> list[SlotBooking]:
        found = await self.conn.fetch(
            f"""
            SELECT {SLOT_COLUMNS} FROM production_slots
            WHERE status = 'active' AND expires_at <= $1
            ORDER BY expires_at, id LIMIT $2
            FOR UPDATE SKIP LOCKED
            """,
            now,
            limit,
        )
        return await self._with_lines(found)

    async def produce(self, line_id: int, quantity: int) -> bool:
        done = await self.conn.execute(
            """
            UPDATE production_lines SET produced = produced + $2
            WHERE id = $1 AND order_id IS NOT NULL AND NOT cancelled
              AND produced + $2 <= quantity
            """,
            line_id,
            quantity,
        )
        return bool(done == "UPDATE 1")

    async def cancel_order_lines(self, order_id: str) -> list[ProductionLine]:
        lines = [x for x in await order_lines(self.conn, order_id) if not x.cancelled]
        await self.conn.execute(
            "UPDATE production_lines SET cancelled = true WHERE order_id = $1", order_id
        )
        return lines

    async def _with_lines(self, slots: Sequence[Row]) -> list[SlotBooking]:
        if not slots:
            return []
        lines = defaultdict(list)
        for r in await self.conn.fetch(
            LINES + " WHERE x.slot_id = ANY($1::text[]) ORDER BY x.slot_id, x.line_no",
            [s["id"] for s in slots],
        ):
            lines[r["slot_id"]].append(line_of(r))
        return [slot_of(s, lines[s["id"]]) for s in slots]
