"""Where each relay had got to, in `relay_cursors` (migration 0013)."""

from __future__ import annotations

import asyncpg


class PostgresRelayCursors:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def load(self, name: str) -> int:
        found = await self.pool.fetchval("SELECT seq FROM relay_cursors WHERE name = $1", name)
        return int(found or 0)

    async def save(self, name: str, seq: int) -> None:
        # Never backwards: a stale leader's late write cannot move it back.
        await self.pool.execute(
            "INSERT INTO relay_cursors (name, seq, updated_at) VALUES ($1, $2, now())"
            " ON CONFLICT (name) DO UPDATE SET seq = greatest(relay_cursors.seq, excluded.seq),"
            " updated_at = excluded.updated_at",
            name,
            seq,
        )
