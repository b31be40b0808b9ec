"""Ties of backordered units to inbound, in PostgreSQL.

An inbound line's `promised` counts the units tied to it; a tie is written
in the same statement as the conditional update of that counter, and the
line's CHECK keeps it within the units still open, so no inbound unit is
promised twice whatever runs concurrently.

Preordered units count on their SKU (`skus.preordered`, within
`preorder_cap`) and, when sold through a channel with a cap, on that
channel (`sku_preorder_channels`): both counters move in the statement
that writes or shrinks the tie, the SKU's row first, so every writer of a
SKU's preorder counters waits on that row in the same order."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

import asyncpg
from asyncpg import Record
from asyncpg.pool import PoolConnectionProxy

from stockd.domain.promises import (
    Holder,
    HolderKind,
    Inbound,
    PreorderRoom,
    SupplyKind,
    TiedUnits,
)
from stockd.domain.quantities import LevelKey

_TIES = """
SELECT t.id, t.holder, t.holder_id, t.sku, t.location, t.supply, t.supply_id, t.quantity,
       t.since, t.channel,
       CASE t.supply
           WHEN 'po' THEN (SELECT p.expected_at FROM purchase_orders p WHERE p.id = t.supply_id)
           WHEN 'transfer' THEN (SELECT x.expected_at FROM transfers x WHERE x.id = t.supply_id)
       END AS ready_at
FROM supply_ties t
"""

_PROMISE = {
    SupplyKind.PURCHASE_ORDER: """
        UPDATE purchase_order_lines SET promised = promised + $7
        WHERE purchase_order_id = $6 AND sku = $3 AND promised + $7 <= quantity - received - cut
        RETURNING 1
    """,
    SupplyKind.TRANSFER: """
        UPDATE transfer_lines SET promised = promised + $7
        WHERE transfer_id = $6 AND sku = $3 AND promised + $7 <= quantity - received
        RETURNING 1
    """,
}

_UNPROMISE = {
    SupplyKind.PURCHASE_ORDER: "UPDATE purchase_order_lines SET promised = promised - $3"
    " WHERE purchase_order_id = $1 AND sku = $2",
    SupplyKind.TRANSFER: "UPDATE transfer_lines SET promised = promised - $3"
    " WHERE transfer_id = $1 AND sku = $2",
}

_UNPREORDER = """
    WITH total AS (
        UPDATE skus SET preordered = preordered - $2 WHERE sku = $1 RETURNING 1
    )
    UPDATE sku_preorder_channels SET preordered = preordered - $2
    WHERE sku = $1 AND channel = $3 AND EXISTS (SELECT FROM total)
"""


def tie_of(r: Record) -> TiedUnits:
    return TiedUnits(
        id=r["id"],
        holder=Holder(HolderKind(r["holder"]), r["holder_id"]),
        key=LevelKey(r["sku"], r["location"]),
        supply=SupplyKind(r["supply"]),
        supply_id=r["supply_id"],
        quantity=r["quantity"],
        since=r["since"],
        ready_at=r["ready_at"],
        channel=r["channel"],
    )


_PO_FREE = "l.quantity - l.received - l.cut - l.promised"
"""A purchase order line's units open and not yet promised (alias `l`)."""
_TRANSFER_FREE = "l.quantity - l.received - l.promised"
"""A transfer line's units in transit and not yet promised (alias `l`)."""


class PostgresTies:
    def __init__(self, conn: PoolConnectionProxy | asyncpg.Connection) -> None:
        self.conn = conn

    async def inbound(self, key: LevelKey) -> list[Inbound]:
        orders = await self.conn.fetch(
            f"""
            SELECT p.id, p.expected_at, {_PO_FREE} AS free
            FROM purchase_order_lines l JOIN purchase_orders p ON p.id = l.purchase_order_id
            WHERE l.sku = $1 AND p.location = $2 AND {_PO_FREE} > 0
            ORDER BY p.id
            FOR UPDATE OF l
            """,
            key.sku,
            key.location,
        )
        transfers = await self.conn.fetch(
            f"""
            SELECT t.id, t.expected_at, {_TRANSFER_FREE} AS free
            FROM transfer_lines l JOIN transfers t ON t.id = l.transfer_id
            WHERE l.sku = $1 AND t.destination = $2 AND {_TRANSFER_FREE} > 0
            ORDER BY t.id
            FOR UPDATE OF l
            """,
            key.sku,
            key.location,
        )
        return [
            Inbound(SupplyKind.PURCHASE_ORDER, r["id"], r["expected_at"], r["free"]) for r in orders
        ] + [Inbound(SupplyKind.TRANSFER, r["id"], r["expected_at"], r["free"]) for r in transfers]

    async def add(
        self, holder: Holder, key: LevelKey, inbound: Inbound | None, units: int, since: datetime
    ) -> bool:
        insert = """
            INSERT INTO supply_ties
                (holder, holder_id, sku, location, supply, supply_id, quantity, since)
            SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::bigint,
                   $8::timestamptz
        """
        if inbound is None:
            await self.conn.execute(
                insert,
                holder.kind.value,
                holder.id,
                key.sku,
                key.location,
                SupplyKind.NONE.value,
                None,
                units,
                since,
            )
            return True
        done = await self.conn.execute(
            f"WITH promised AS ({_PROMISE[inbound.kind]}) {insert} FROM promised",
            holder.kind.value,
            holder.id,
            key.sku,
            key.location,
            inbound.kind.value,
            inbound.id,
            units,
            since,
        )
        return bool(done == "INSERT 0 1")

    async def add_preorder(
        self, holder: Holder, key: LevelKey, units: int, since: datetime, channel: str | None
    ) -> bool:
        # The SKU's total first (`capped` needs `room`): its row is where
        # every writer of the SKU's preorder counters queues. A channel
        # without a cap row is limited by the total only.
        done = await self.conn.execute(
            """
            WITH room AS (
                UPDATE skus SET preordered = preordered + $5
                WHERE sku = $3 AND preordered + $5 <= preorder_cap
                RETURNING 1
            ), capped AS (
                UPDATE sku_preorder_channels SET preordered = preordered + $5
                WHERE sku = $3 AND channel = $7 AND preordered + $5 <= cap
                  AND EXISTS (SELECT FROM room)
                RETURNING 1
            )
            INSERT INTO supply_ties
                (holder, holder_id, sku, location, supply, supply_id, quantity, since, channel)
            SELECT $1::text, $2::text, $3::text, $4::text, 'preorder', $3::text, $5::bigint,
                   $6::timestamptz, $7::text
            FROM room
            WHERE EXISTS (SELECT FROM capped)
               OR NOT EXISTS (SELECT FROM sku_preorder_channels WHERE sku = $3 AND channel = $7)
            """,
            holder.kind.value,
            holder.id,
            key.sku,
            key.location,
            units,
            since,
            channel,
        )
        return bool(done == "INSERT 0 1")

    async def unpromised(self, keys: Collection[LevelKey]) -> dict[LevelKey, int]:
        if not keys:
            return {}
        found = await self.conn.fetch(
            f"""
            WITH k (sku, location) AS (SELECT * FROM unnest($1::text[], $2::text[]))
            SELECT sku, location, sum(free)::bigint AS free FROM (
                SELECT l.sku, p.location, {_PO_FREE} AS free
                FROM k JOIN purchase_order_lines l ON l.sku = k.sku
                JOIN purchase_orders p ON p.id = l.purchase_order_id AND p.location = k.location
                UNION ALL
                SELECT l.sku, t.destination, {_TRANSFER_FREE}
                FROM k JOIN transfer_lines l ON l.sku = k.sku
                JOIN transfers t ON t.id = l.transfer_id AND t.destination = k.location
            ) open_lines
            WHERE free > 0
            GROUP BY sku, location
            """,
            [k.sku for k in keys],
            [k.location for k in keys],
        )
        return {LevelKey(r["sku"], r["location"]): r["free"] for r in found}

    async def preorder_room(self, sku: str) -> PreorderRoom:
        row = await self.conn.fetchrow(
            """
            SELECT s.preorder_cap - s.preordered AS total,
                   coalesce(array_agg(c.channel) FILTER (WHERE c.channel IS NOT NULL), '{}')
                       AS channels,
                   coalesce(array_agg(c.cap - c.preordered) FILTER (WHERE c.channel IS NOT NULL),
                            '{}') AS rooms
            FROM skus s LEFT JOIN sku_preorder_channels c ON c.sku = s.sku
            WHERE s.sku = $1
            GROUP BY s.sku
            """,
            sku,
        )
        if row is None:
            return PreorderRoom(0)
        return PreorderRoom(row["total"], dict(zip(row["channels"], row["rooms"], strict=True)))

    async def reduce(self, tie: TiedUnits, units: int) -> None:
        if units >= tie.quantity:
            await self.conn.execute("DELETE FROM supply_ties WHERE id = $1", tie.id)
        else:
            await self.conn.execute(
                "UPDATE supply_ties SET quantity = quantity - $2 WHERE id = $1", tie.id, units
            )
        if tie.supply is SupplyKind.PREORDER:
            await self.conn.execute(_UNPREORDER, tie.key.sku, min(units, tie.quantity), tie.channel)
        elif tie.supply is not SupplyKind.NONE:
            await self.conn.execute(
                _UNPROMISE[tie.supply], tie.supply_id, tie.key.sku, min(units, tie.quantity)
            )

    async def of_holders(self, holders: Collection[Holder]) -> list[TiedUnits]:
        if not holders:
            return []
        found = await self.conn.fetch(
            _TIES
            + """
            JOIN unnest($1::text[], $2::text[]) AS h (holder, holder_id)
              ON h.holder = t.holder AND h.holder_id = t.holder_id
            ORDER BY t.since, t.id
            """,
            [h.kind.value for h in holders],
            [h.id for h in holders],
        )
        return [tie_of(r) for r in found]

    async def of_level(self, key: LevelKey) -> list[TiedUnits]:
        found = await self.conn.fetch(
            _TIES + " WHERE t.sku = $1 AND t.location = $2 ORDER BY t.since, t.id",
            key.sku,
            key.location,
        )
        return [tie_of(r) for r in found]

    async def of_supply(
        self, kind: SupplyKind, supply_id: str, sku: str | None = None
    ) -> list[TiedUnits]:
        found = await self.conn.fetch(
            _TIES + " WHERE t.supply = $1 AND t.supply_id = $2 AND ($3::text IS NULL OR t.sku = $3)"
            " ORDER BY t.since, t.id",
            kind.value,
            supply_id,
            sku,
        )
        return [tie_of(r) for r in found]

    async def hand_over(self, source: Holder, target: Holder) -> bool:
        done = await self.conn.execute(
            "UPDATE supply_ties SET holder = $3, holder_id = $4"
            " WHERE holder = $1 AND holder_id = $2",
            source.kind.value,
            source.id,
            target.kind.value,
            target.id,
        )
        return bool(done != "UPDATE 0")

    async def set_promised(self, order_id: str, ready: Mapping[LevelKey, datetime]) -> None:
        if not ready:
            return
        keys = sorted(ready)
        await self.conn.execute(
            """
            UPDATE order_lines l SET promised_ready_at = d.ready
            FROM unnest($2::text[], $3::text[], $4::timestamptz[]) AS d (sku, location, ready)
            WHERE l.order_id = $1 AND l.sku = d.sku AND l.location = d.location
            """,
            order_id,
            [k.sku for k in keys],
            [k.location for k in keys],
            [ready[k] for k in keys],
        )
