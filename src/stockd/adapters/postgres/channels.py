"""Sales channels in PostgreSQL."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

import asyncpg
import orjson
from asyncpg.pool import PoolConnectionProxy

from stockd.adapters.postgres import rows
from stockd.adapters.postgres.plans import sized_alike
from stockd.domain.channels import Channel, PoolShare, SkuChannels
from stockd.domain.quantities import FOR_SALE
from stockd.service.ports import ChannelSnapshot

_STOCK = f"""
WITH s AS (
    SELECT sku, archived FROM skus WHERE sku = ANY($1::text[]) ORDER BY sku LOCK
)
SELECT s.sku, s.archived,
    coalesce(t.for_sale, 0)::bigint AS for_sale, coalesce(t.held, 0)::bigint AS held,
    coalesce(p.channels, '{{}}') AS channels, coalesce(p.share_pcts, '{{}}') AS share_pcts,
    coalesce(p.units, '{{}}') AS units,
    coalesce(o.counted, '{{}}') AS counted, coalesce(o.outstanding, '{{}}') AS outstanding
FROM s LEFT JOIN LATERAL (
    SELECT sum({FOR_SALE.sql(lambda c: "l." + c)})
               FILTER (WHERE loc.active AND NOT loc.archived) AS for_sale,
           sum(l.reserved + l.committed) AS held
    FROM levels l JOIN locations loc ON loc.id = l.location
    WHERE l.sku = s.sku
) t ON true LEFT JOIN LATERAL (
    SELECT array_agg(p.channel ORDER BY p.channel) AS channels,
           array_agg(p.share_pct ORDER BY p.channel) AS share_pcts,
           array_agg(p.units ORDER BY p.channel) AS units
    FROM channel_pools p WHERE p.sku = s.sku
) p ON true LEFT JOIN LATERAL (
    SELECT array_agg(o.channel ORDER BY o.channel) AS counted,
           array_agg(o.outstanding ORDER BY o.channel) AS outstanding
    FROM channel_stock o WHERE o.sku = s.sku
) o ON true
"""
"""Each SKU's stock as the channels see it (`SkuChannels`): sellable units
at its usable locations, units held anywhere, its pools, its counters."""
_STOCK_READ = _STOCK.replace("LOCK", "")
_BOOK = (
    sized_alike(_STOCK_READ)
    .replace("SELECT sku, archived FROM skus", f"SELECT {rows.SKU_COLUMNS} FROM skus")
    .replace(
        "SELECT s.sku, s.archived,",
        f"SELECT {', '.join('s.' + c for c in rows.SKU_NAMES)},"
        " (SELECT coalesce(json_agg(c), '[]') FROM"
        f" (SELECT {rows.CHANNEL_COLUMNS} FROM channels) c) AS every_channel,",
    )
)
"""`_STOCK_READ` with the SKUs' own columns and every channel (the same for
each row): what a group commit's batch through channels reads, in one round
trip."""
_STOCK_LOCKED = _STOCK.replace("LOCK", "FOR NO KEY UPDATE")


class PostgresChannels:
    def __init__(self, conn: PoolConnectionProxy) -> None:
        self.conn = conn

    async def add(self, channel: Channel, now: datetime) -> bool:
        status = await self.conn.execute(
            """
            INSERT INTO channels (id, name, kind, priority, safety_buffer_pct,
                default_share_pct, waterfall, active, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) ON CONFLICT (id) DO NOTHING
            """,
            *_settings(channel),
            now,
        )
        return bool(status == "INSERT 0 1")

    async def lock(self, channel_id: str) -> Channel | None:
        row = await self.conn.fetchrow(
            f"SELECT {rows.CHANNEL_COLUMNS} FROM channels WHERE id = $1 FOR UPDATE", channel_id
        )
        return None if row is None else rows.channel(row)

    async def save(self, channel: Channel, now: datetime) -> Channel:
        row = await self.conn.fetchrow(
            f"""
            UPDATE channels SET name = $2, kind = $3, priority = $4, safety_buffer_pct = $5,
                default_share_pct = $6, waterfall = $7, active = $8,
                version = version + 1, updated_at = $9
            WHERE id = $1 RETURNING {rows.CHANNEL_COLUMNS}
            """,
            *_settings(channel),
            now,
        )
        assert row is not None
        return rows.channel(row)

    async def get_many(self, ids: Collection[str]) -> dict[str, Channel]:
        if not ids:
            return {}
        found = await self.conn.fetch(
            f"SELECT {rows.CHANNEL_COLUMNS} FROM channels WHERE id = ANY($1::text[])", list(ids)
        )
        return {r["id"]: rows.channel(r) for r in found}

    async def all(self) -> dict[str, Channel]:
        found = await self.conn.fetch(f"SELECT {rows.CHANNEL_COLUMNS} FROM channels")
        return {r["id"]: rows.channel(r) for r in found}

    async def stock(self, skus: Collection[str], *, lock: bool = False) -> dict[str, SkuChannels]:
        found = await self.conn.fetch(_STOCK_LOCKED if lock else _STOCK_READ, sorted(skus))
        return _stock(found)

    async def book(self, skus: Collection[str]) -> ChannelSnapshot:
        found = await self.conn.fetch(_BOOK, sorted(skus))
        if not found:
            return ChannelSnapshot(await self.all(), {}, {})
        channels = [rows.channel(c) for c in orjson.loads(found[0]["every_channel"])]
        return ChannelSnapshot(
            {c.id: c for c in channels}, _stock(found), {r["sku"]: rows.sku(r) for r in found}
        )

    async def pools(self, sku: str) -> list[PoolShare]:
        return await pools_of(self.conn, sku)

    async def set_pools(self, sku: str, pools: Sequence[PoolShare], now: datetime) -> None:
        await self.conn.execute("DELETE FROM channel_pools WHERE sku = $1", sku)
        await self.conn.executemany(
            "INSERT INTO channel_pools (sku, channel, share_pct, units, updated_at)"
            " VALUES ($1, $2, $3, $4, $5)",
            [(sku, p.channel, p.share_pct, p.units, now) for p in pools],
        )

    async def share_pooled(self) -> list[str]:
        return await share_pooled_of(self.conn)

    async def sales(self, skus: Collection[str], since: datetime) -> dict[tuple[str, str], int]:
        found = await self.conn.fetch(_SALES, list(skus), since)
        return {(r["sku"], r["channel"]): r["sold"] for r in found}


def _stock(found: list[asyncpg.Record]) -> dict[str, SkuChannels]:
    return {
        r["sku"]: SkuChannels(
            r["sku"],
            r["for_sale"],
            r["held"],
            [
                PoolShare(c, p, u)
                for c, p, u in zip(r["channels"], r["share_pcts"], r["units"], strict=True)
            ],
            dict(zip(r["counted"], r["outstanding"], strict=True)),
            r["archived"],
        )
        for r in found
    }


_SALES = """
SELECT sku, channel, sum(CASE WHEN type = 'sale.recorded' THEN -d_on_hand
                              ELSE d_committed END)::bigint AS sold
FROM ledger_events
WHERE sku = ANY($1::text[]) AND channel IS NOT NULL AND channel <> '*' AND at >= $2
  AND type IN ('reservation.committed', 'order.allocated', 'sale.recorded')
GROUP BY sku, channel
"""
"""Units sold per SKU and channel since a time, by the index
`ledger_events_channel_sales` (migration 0012), whose condition is this
query's: only the events counted here are indexed."""


def _settings(channel: Channel) -> tuple[object, ...]:
    """The channel's columns but its version, in table order ($1 to $8)."""
    return (
        channel.id,
        channel.name,
        channel.kind.value,
        channel.priority,
        channel.safety_buffer_pct,
        channel.default_share_pct,
        channel.waterfall,
        channel.active,
    )


async def share_pooled_of(
    conn: PoolConnectionProxy | asyncpg.Pool, after: str | None = None, limit: int | None = None
) -> list[str]:
    """SKUs split into percentage pools (the ones rebalancing moves), in
    code order: after `after`, at most `limit` (every one without)."""
    found = await conn.fetch(
        "SELECT DISTINCT sku FROM channel_pools WHERE share_pct IS NOT NULL AND sku > $1"
        " ORDER BY sku LIMIT $2",
        after or "",
        limit,
    )
    return [r["sku"] for r in found]


async def pools_of(conn: PoolConnectionProxy | asyncpg.Pool, sku: str) -> list[PoolShare]:
    found = await conn.fetch(
        "SELECT channel, share_pct, units FROM channel_pools WHERE sku = $1 ORDER BY channel",
        sku,
    )
    return [PoolShare(r["channel"], r["share_pct"], r["units"]) for r in found]
