"""SKUs and locations in PostgreSQL."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import orjson
from asyncpg.pool import PoolConnectionProxy

from stockd.adapters.postgres import rows
from stockd.domain.catalog import Location, Sku


def _production(sku: Sku) -> tuple[str, str | None, str]:
    """The made-to-order columns: inventory_type, capacity_pool, option_pools."""
    pools = orjson.dumps([p.as_dict() for p in sku.option_pools]).decode()
    return sku.inventory_type.value, sku.capacity_pool, pools


_SET_CHANNEL_CAPS = """
WITH given AS (
    SELECT * FROM unnest($2::text[], $3::bigint[]) AS g (channel, cap)
), dropped AS (
    DELETE FROM sku_preorder_channels c
    WHERE c.sku = $1 AND c.channel <> ALL ($2::text[])
)
INSERT INTO sku_preorder_channels (sku, channel, cap, preordered)
SELECT $1, g.channel, g.cap,
       (SELECT coalesce(sum(t.quantity), 0) FROM supply_ties t
        WHERE t.supply = 'preorder' AND t.sku = $1 AND t.channel = g.channel)
FROM given g
ON CONFLICT (sku, channel) DO UPDATE SET cap = excluded.cap
"""
"""Replace a SKU's channel caps. A channel capped anew counts the units
already preordered through it (its ties); one still capped keeps its count.
Run under the SKU's row lock (`lock_sku`), which every writer of its
preorder counters takes first: no tie moves meanwhile."""


class PostgresCatalog:
    def __init__(self, conn: PoolConnectionProxy) -> None:
        self.conn = conn

    async def skus(self, codes: Collection[str]) -> dict[str, Sku]:
        if not codes:
            return {}
        found = await self.conn.fetch(
            f"SELECT {rows.SKU_COLUMNS} FROM skus WHERE sku = ANY($1::text[])", list(codes)
        )
        return {r["sku"]: rows.sku(r) for r in found}

    async def add_sku(self, sku: Sku, now: datetime) -> bool:
        status = await self.conn.execute(
            """
            INSERT INTO skus (sku, product_id, name, policy, backorder_cap, created_at, updated_at,
                inventory_type, capacity_pool, option_pools, preorder_cap, preorder_until)
            VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10, $11) ON CONFLICT (sku) DO NOTHING
            """,
            sku.sku,
            sku.product_id,
            sku.name,
            sku.policy.kind.value,
            sku.policy.backorder_cap,
            now,
            *_production(sku),
            sku.policy.preorder_cap,
            sku.policy.preorder_until,
        )
        if status != "INSERT 0 1":
            return False
        if sku.policy.preorder_channel_caps:
            await self._set_channel_caps(sku)
        return True

    async def _set_channel_caps(self, sku: Sku) -> None:
        caps = sku.policy.preorder_channel_caps
        await self.conn.execute(
            _SET_CHANNEL_CAPS, sku.sku, [c.channel for c in caps], [c.cap for c in caps]
        )

    async def lock_sku(self, code: str) -> Sku | None:
        row = await self.conn.fetchrow(
            f"SELECT {rows.SKU_COLUMNS} FROM skus WHERE sku = $1 FOR UPDATE", code
        )
        return None if row is None else rows.sku(row)

    async def save_sku(self, sku: Sku, now: datetime) -> Sku:
        await self._set_channel_caps(sku)  # first: the row read back shows them
        row = await self.conn.fetchrow(
            f"""
            UPDATE skus SET product_id = $2, name = $3, policy = $4, backorder_cap = $5,
                version = version + 1, updated_at = $6, archived = $7,
                inventory_type = $8, capacity_pool = $9, option_pools = $10, preorder_cap = $11,
                preorder_until = $12
            WHERE sku = $1 RETURNING {rows.SKU_COLUMNS}
            """,
            sku.sku,
            sku.product_id,
            sku.name,
            sku.policy.kind.value,
            sku.policy.backorder_cap,
            now,
            sku.archived,
            *_production(sku),
            sku.policy.preorder_cap,
            sku.policy.preorder_until,
        )
        assert row is not None
        return rows.sku(row)

    async def locations(self, ids: Collection[str]) -> dict[str, Location]:
        if not ids:
            return {}
        found = await self.conn.fetch(
            f"SELECT {rows.LOCATION_COLUMNS} FROM locations WHERE id = ANY($1::text[])", list(ids)
        )
        return {r["id"]: rows.location(r) for r in found}

    async def add_location(self, location: Location, now: datetime) -> bool:
        status = await self.conn.execute(
            """
            INSERT INTO locations
                (id, name, type, region, lat, lon, priority, active, created_at, updated_at,
                 ships, pickup, shipping_fixed_cost, shipping_cost_per_km_unit, timezone)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12, $13, $14)
            ON CONFLICT (id) DO NOTHING
            """,
            location.id,
            location.name,
            location.type.value,
            location.region,
            location.lat,
            location.lon,
            location.priority,
            location.active,
            now,
            location.ships,
            location.pickup,
            location.shipping_cost.fixed,
            location.shipping_cost.per_km_unit,
            location.timezone,
        )
        return bool(status == "INSERT 0 1")

    async def lock_location(self, location_id: str) -> Location | None:
        row = await self.conn.fetchrow(
            f"SELECT {rows.LOCATION_COLUMNS} FROM locations WHERE id = $1 FOR UPDATE", location_id
        )
        return None if row is None else rows.location(row)

    async def save_location(self, location: Location, now: datetime) -> Location:
        row = await self.conn.fetchrow(
            f"""
            UPDATE locations SET name = $2, type = $3, region = $4, lat = $5, lon = $6,
                priority = $7, active = $8, version = version + 1, updated_at = $9,
                ships = $10, pickup = $11, shipping_fixed_cost = $12,
                shipping_cost_per_km_unit = $13, archived = $14, timezone = $15
            WHERE id = $1 RETURNING {rows.LOCATION_COLUMNS}
            """,
            location.id,
            location.name,
            location.type.value,
            location.region,
            location.lat,
            location.lon,
            location.priority,
            location.active,
            now,
            location.ships,
            location.pickup,
            location.shipping_cost.fixed,
            location.shipping_cost.per_km_unit,
            location.archived,
            location.timezone,
        )
        assert row is not None
        return rows.location(row)
