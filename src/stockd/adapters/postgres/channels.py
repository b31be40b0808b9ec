"""Sales channels in PostgreSQL."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from stockd.adapters.postgres import rows
from stockd.domain.channels import Channel, PoolShare


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

    async def pools(self, sku: str) -> list[PoolShare]:
        return await pools_of(self.conn, sku)

    async def set_pools(self, sku: str, pools: Sequence[PoolShare], now: datetime) -> None:
        await self.conn.execute("DELETE FROM channel_pools WHERE sku = $1", sku)
        await self.conn.executemany(
            "INSERT INTO channel_pools (sku, channel, share_pct, units, updated_at)"
            " VALUES ($1, $2, $3, $4, $5)",
            [(sku, p.channel, p.share_pct, p.units, now) for p in pools],
        )


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


async def pools_of(conn: PoolConnectionProxy | asyncpg.Pool, sku: str) -> list[PoolShare]:
    found = await conn.fetch(
        "SELECT channel, share_pct, units FROM channel_pools WHERE sku = $1 ORDER BY channel",
        sku,
    )
    return [PoolShare(r["channel"], r["share_pct"], r["units"]) for r in found]
