"""Purchase orders in PostgreSQL: a line's received and cut units change
only by conditional updates the table's CHECK backs (never beyond what
was ordered)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

import asyncpg
from asyncpg import Record
from asyncpg.pool import PoolConnectionProxy

from stockd.domain.inbound import PurchaseOrder, PurchaseOrderLine, PurchaseOrderStatus
from stockd.domain.quantities import LevelKey

COLUMNS = "id, supplier, location, status, expected_at, reference, version, created_at"
LINE_COLUMNS = ("sku", "quantity", "received", "cut")


def purchase_order_of(row: Record, lines: Sequence[PurchaseOrderLine]) -> PurchaseOrder:
    """A purchase order from its row (`COLUMNS`) and its lines."""
    return PurchaseOrder(
        id=row["id"],
        supplier=row["supplier"],
        location=row["location"],
        status=PurchaseOrderStatus(row["status"]),
        expected_at=row["expected_at"],
        lines=tuple(lines),
        created_at=row["created_at"],
        reference=row["reference"],
        version=row["version"],
    )


class PostgresPurchaseOrders:
    def __init__(self, conn: PoolConnectionProxy | asyncpg.Connection) -> None:
        self.conn = conn

    async def add(self, order: PurchaseOrder) -> bool:
        # A concurrent order with the same id waits here on the key.
        inserted = await self.conn.fetchval(
            """
            WITH po AS (
                INSERT INTO purchase_orders (id, supplier, location, status, expected_at,
                                             reference, created_at, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
                ON CONFLICT (id) DO NOTHING
                RETURNING id
            ), lines AS (
                INSERT INTO purchase_order_lines (purchase_order_id, sku, quantity)
                SELECT po.id, l.sku, l.quantity
                FROM po, unnest($8::text[], $9::bigint[]) AS l (sku, quantity)
            )
            SELECT count(*) FROM po
            """,
            order.id,
            order.supplier,
            order.location,
            order.status.value,
            order.expected_at,
            order.reference,
            order.created_at,
            [x.sku for x in order.lines],
            [x.quantity for x in order.lines],
        )
        return bool(inserted)

    async def get(self, purchase_order_id: str, *, lock: bool = False) -> PurchaseOrder | None:
        row = await self.conn.fetchrow(
            f"SELECT {COLUMNS} FROM purchase_orders WHERE id = $1"
            + (" FOR UPDATE" if lock else ""),
            purchase_order_id,
        )
        if row is None:
            return None
        lines = await self.conn.fetch(
            f"SELECT {', '.join(LINE_COLUMNS)} FROM purchase_order_lines"
            " WHERE purchase_order_id = $1 ORDER BY sku",
            purchase_order_id,
        )
        return purchase_order_of(row, [PurchaseOrderLine(**dict(x)) for x in lines])

    async def receive(self, purchase_order_id: str, sku: str, quantity: int) -> bool:
        return await self._take(purchase_order_id, sku, quantity, "received")

    async def cut(self, purchase_order_id: str, sku: str, quantity: int) -> bool:
        return await self._take(purchase_order_id, sku, quantity, "cut")

    async def _take(self, purchase_order_id: str, sku: str, quantity: int, column: str) -> bool:
        done = await self.conn.execute(
            f"""
            UPDATE purchase_order_lines SET {column} = {column} + $3
            WHERE purchase_order_id = $1 AND sku = $2 AND received + cut + $3 <= quantity
            """,
            purchase_order_id,
            sku,
            quantity,
        )
        return bool(done == "UPDATE 1")

    async def open_to(self, keys: Collection[LevelKey]) -> dict[LevelKey, int]:
        rows = await self.conn.fetch(
            """
            SELECT l.sku, p.location, sum(l.quantity - l.received - l.cut)::bigint AS owed
            FROM purchase_orders p JOIN purchase_order_lines l ON l.purchase_order_id = p.id
            WHERE p.status IN ('open', 'partially_received') AND p.location = ANY($2::text[])
              AND l.sku = ANY($1::text[]) AND l.received + l.cut < l.quantity
            GROUP BY l.sku, p.location
            """,
            list({k.sku for k in keys}),
            list({k.location for k in keys}),
        )
        wanted = set(keys)
        found = {LevelKey(r["sku"], r["location"]): r["owed"] for r in rows}
        return {k: q for k, q in found.items() if k in wanted}

    async def set_status(
        self, purchase_order_id: str, status: PurchaseOrderStatus, now: datetime
    ) -> None:
        await self.conn.execute(
            "UPDATE purchase_orders SET status = $2, updated_at = $3 WHERE id = $1",
            purchase_order_id,
            status.value,
            now,
        )

    async def set_eta(self, purchase_order_id: str, expected_at: datetime, now: datetime) -> int:
        version: int = await self.conn.fetchval(
            """
            UPDATE purchase_orders SET expected_at = $2, version = version + 1, updated_at = $3
            WHERE id = $1 RETURNING version
            """,
            purchase_order_id,
            expected_at,
            now,
        )
        return version
