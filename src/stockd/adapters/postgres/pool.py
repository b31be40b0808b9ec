"""Connection pools for the PostgreSQL store."""

from __future__ import annotations

import asyncpg


async def _reset(conn: asyncpg.Connection) -> None:
    """What a connection needs before it goes back to the pool.

    asyncpg's default reset sends `SELECT pg_advisory_unlock_all(); CLOSE ALL;
    UNLISTEN *; RESET ALL` on every release: a round trip per query or unit of
    work (15% of an API worker's time on the read path, measured). stockd
    holds no session state (its advisory locks are transaction-level; it uses
    no cursors, LISTEN or SET), so only an unfinished transaction needs
    undoing."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


async def create_pool(
    url: str, *, min_size: int = 2, max_size: int = 20, lock_timeout_ms: int = 10_000
) -> asyncpg.Pool:
    """A pool whose connections run in UTC and give up on a stuck lock rather
    than wait forever."""
    pool = await asyncpg.create_pool(
        url,
        min_size=min_size,
        max_size=max_size,
        reset=_reset,
        server_settings={
            "timezone": "UTC",
            "application_name": "stockd",
            "lock_timeout": f"{lock_timeout_ms}ms",
            "idle_in_transaction_session_timeout": "60s",
        },
    )
    assert pool is not None
    return pool
