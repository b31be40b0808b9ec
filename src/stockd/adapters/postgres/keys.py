"""API keys in PostgreSQL (digests only): read from the pool, written in a
unit of work (with the event that records the change)."""

from __future__ import annotations

from datetime import datetime

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from stockd.adapters.postgres.rows import Row
from stockd.service.auth import ApiKey, Scope


class PostgresApiKeyStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def find(self, digest: bytes, *, include_revoked: bool = False) -> ApiKey | None:
        row = await self.pool.fetchrow(
            "SELECT * FROM api_keys WHERE digest = $1 AND (revoked_at IS NULL OR $2)",
            digest,
            include_revoked,
        )
        return None if row is None else _key(row)

    async def all(self) -> list[ApiKey]:
        return [
            _key(r) for r in await self.pool.fetch("SELECT * FROM api_keys ORDER BY created_at")
        ]

    async def count_active(self) -> int:
        count: int = await self.pool.fetchval(
            "SELECT count(*) FROM api_keys WHERE revoked_at IS NULL"
        )
        return count


class PostgresApiKeys:
    def __init__(self, conn: PoolConnectionProxy) -> None:
        self.conn = conn

    async def add(self, key: ApiKey, digest: bytes) -> bool:
        status = await self.conn.execute(
            """
            INSERT INTO api_keys (id, name, digest, scopes, created_at)
            VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING
            """,
            key.id,
            key.name,
            digest,
            sorted(s.value for s in key.scopes),
            key.created_at,
        )
        return bool(status == "INSERT 0 1")

    async def lock_active(self) -> list[ApiKey]:
        found = await self.conn.fetch(
            "SELECT * FROM api_keys WHERE revoked_at IS NULL ORDER BY id FOR UPDATE"
        )
        return [_key(r) for r in found]

    async def revoke(self, key_id: str, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL", key_id, now
        )


def _key(row: Row) -> ApiKey:
    return ApiKey(
        id=row["id"],
        name=row["name"],
        scopes=frozenset(Scope(s) for s in row["scopes"]),
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )
