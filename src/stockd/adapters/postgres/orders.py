"""Orders and returns in PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from asyncpg import Record
from asyncpg.pool import PoolConnectionProxy

from stockd.adapters.postgres import capacity
from stockd.domain.geo import Point
from stockd.domain.orders import Order, OrderLine, OrderStatus
from stockd.service.ports import OrderLineChange, ReturnRecord

COLUMNS = (
    "id, status, fingerprint, reservation_id, strategy, ship_to_lat, ship_to_lon,"
    " ship_to_region, pickup_location, created_at, channel, deliver_by"
)
LINE_COLUMNS = "sku, location, ordered, committed, shipped, cancelled, returned"


def order_of(row: Record, lines: Sequence[OrderLine]) -> Order:
    """An order from its row (`COLUMNS`) and its lines."""
    lat, lon = row["ship_to_lat"], row["ship_to_lon"]
    return Order(
        id=row["id"],
        status=OrderStatus(row["status"]),
        lines=tuple(lines),
        created_at=row["created_at"],
        fingerprint=row["fingerprint"],
        reservation_id=row["reservation_id"],
        strategy=row["strategy"],
        ship_to=None if lat is None else Point(lat, lon),
        region=row["ship_to_region"],
        pickup_location=row["pickup_location"],
        channel=row["channel"],
        deliver_by=row["deliver_by"],
    )


class PostgresOrders:
    def __init__(self, conn: PoolConnectionProxy) -> None:
        self.conn = conn

    async def add(self, order: Order) -> bool:
        point = order.ship_to
        inserted = await self.conn.execute(
            """
            INSERT INTO orders (id, status, fingerprint, reservation_id, strategy, ship_to_lat,
                ship_to_lon, ship_to_region, pickup_location, created_at, updated_at, channel,
                deliver_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12)
            ON CONFLICT (id) DO NOTHING
            """,
            order.id,
            order.status.value,
            order.fingerprint,
            order.reservation_id,
            order.strategy,
            point.lat if point else None,
            point.lon if point else None,
            order.region,
            order.pickup_location,
            order.created_at,
            order.channel,
            order.deliver_by,
        )
        if inserted != "INSERT 0 1":
            return False
        await self.conn.execute(
            """
            INSERT INTO order_lines (order_id, sku, location, ordered, committed)
            SELECT $1, sku, location, ordered, ordered
            FROM unnest($2::text[], $3::text[], $4::bigint[]) AS l (sku, location, ordered)
            """,
            order.id,
            [x.sku for x in order.lines],
            [x.location for x in order.lines],
            [x.ordered for x in order.lines],
        )
        return True

    async def get(self, order_id: str, *, lock: bool = False) -> Order | None:
        row = await self.conn.fetchrow(
            f"SELECT {COLUMNS} FROM orders WHERE id = $1" + (" FOR UPDATE" if lock else ""),
            order_id,
        )
        if row is None:
            return None
        lines = await self.conn.fetch(
            f"SELECT {LINE_COLUMNS} FROM order_lines WHERE order_id = $1 ORDER BY sku, location",
            order_id,
        )
        order = order_of(row, [OrderLine(**dict(x)) for x in lines])
        return replace(order, production=tuple(await capacity.order_lines(self.conn, order_id)))

    async def change_line(
        self, order_id: str, sku: str, location: str, change: OrderLineChange
    ) -> bool:
        done = await self.conn.execute(
            """
            UPDATE order_lines SET committed = committed + $4, shipped = shipped + $5,
                cancelled = cancelled + $6, returned = returned + $7
            WHERE order_id = $1 AND sku = $2 AND location = $3
              AND committed + $4 >= 0 AND shipped + $5 >= 0 AND cancelled + $6 >= 0
              AND returned + $7 >= 0 AND returned + $7 <= shipped + $5
              AND $4 + $5 + $6 = 0
            """,
            order_id,
            sku,
            location,
            change.committed,
            change.shipped,
            change.cancelled,
            change.returned,
        )
        return bool(done == "UPDATE 1")

    async def set_status(self, order_id: str, status: OrderStatus, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE orders SET status = $2, updated_at = $3 WHERE id = $1",
            order_id,
            status.value,
            now,
        )

    async def add_produced(self, order_id: str, sku: str, location: str, quantity: int) -> None:
        await self.conn.execute(
            """
            INSERT INTO order_lines AS l (order_id, sku, location, ordered, committed)
            VALUES ($1, $2, $3, $4, $4)
            ON CONFLICT (order_id, sku, location) DO UPDATE
            SET ordered = l.ordered + excluded.ordered, committed = l.committed + excluded.committed
            """,
            order_id,
            sku,
            location,
            quantity,
        )

    async def add_return(self, record: ReturnRecord) -> None:
        await self.conn.execute(
            """
            WITH r AS (
                INSERT INTO order_returns (id, order_id, location, condition, created_at)
                VALUES ($1, $2, $3, $4, $5)
            )
            INSERT INTO order_return_lines (return_id, sku, quantity)
            SELECT $1, * FROM unnest($6::text[], $7::bigint[])
            """,
            record.id,
            record.order_id,
            record.location,
            record.condition.value,
            record.created_at,
            [x.sku for x in record.lines],
            [x.quantity for x in record.lines],
        )
