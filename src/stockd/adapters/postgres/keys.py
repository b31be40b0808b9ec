"""API keys in PostgreSQL (digests only)."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from stockd.adapters.postgres.rows import Row
from stockd.service.auth import ApiKey, Scope


class PostgresApiKeyStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def add(self, key: ApiKey, digest: bytes) -> None:
        await self.pool.execute(
            """
            INSERT INTO api_keys (id, name, digest, scopes, created_at)
            VALUES ($1, $2, $3, $4, $5)
            """,
            key.id,
            key.name,
            digest,
            sorted(s.value for s in key.scopes),
            key.created_at,
        )

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

    async def revoke(self, key_id: str, now: datetime) -> bool:
        status = await self.pool.execute(
            "UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL", key_id, now
        )
        return bool(status == "UPDATE 1")

    async def count_active(self) -> int:
        count: int = await self.pool.fetchval(
            "SELECT count(*) FROM api_keys WHERE revoked_at IS NULL"
        )
        return count


def _key(row: Row) -> ApiKey:
    return ApiKey(
        id=row["id"],
        name=row["name"],
        scopes=frozenset(Scope(s) for s in row["scopes"]),
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )
