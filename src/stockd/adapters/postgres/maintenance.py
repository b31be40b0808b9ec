"""Housekeeping for the PostgreSQL store."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from stockd.adapters.postgres.idempotency import forget_before


class PostgresMaintenance:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def forget_idempotency_keys(self, before: datetime) -> int:
        return await forget_before(self.pool, before)

    async def ping(self) -> None:
        await self.pool.fetchval("SELECT 1")
