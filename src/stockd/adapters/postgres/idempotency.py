"""Stored responses of idempotent requests, in the same transaction as their change."""

from __future__ import annotations

from datetime import datetime

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from stockd import errors
from stockd.service.ports import StoredResponse


class PostgresIdempotencyStore:
    def __init__(self, conn: PoolConnectionProxy) -> None:
        self.conn = conn

    async def claim(
        self, scope: str, key: str, fingerprint: str, now: datetime
    ) -> StoredResponse | None:
        # A concurrent request with the same key blocks here on the primary
        # key until the first one commits (then we replay it) or rolls back
        # (then we proceed as the first).
        inserted = await self.conn.execute(
            """
            INSERT INTO idempotency_keys (scope, key, fingerprint, created_at)
            VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING
            """,
            scope,
            key,
            fingerprint,
            now,
        )
        if inserted == "INSERT 0 1":
            return None
        row = await self.conn.fetchrow(
            "SELECT fingerprint, status, body FROM idempotency_keys WHERE scope = $1 AND key = $2",
            scope,
            key,
        )
        assert row is not None
        if row["fingerprint"] != fingerprint:
            raise errors.IdempotencyKeyReused(
                f"Idempotency-Key {key!r} was already used for a different request"
            )
        return StoredResponse(row["status"], bytes(row["body"]))

    async def release(self, scope: str, key: str) -> None:
        await self.conn.execute(
            "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2", scope, key
        )

    async def save(self, scope: str, key: str, response: StoredResponse) -> None:
        await self.conn.execute(
            "UPDATE idempotency_keys SET status = $3, body = $4 WHERE scope = $1 AND key = $2",
            scope,
            key,
            response.status,
            response.body,
        )


async def forget_before(pool: asyncpg.Pool, before: datetime) -> int:
    """Drop stored responses older than `before`; how many."""
    status = await pool.execute("DELETE FROM idempotency_keys WHERE created_at < $1", before)
    return int(status.split()[-1])
