"""Connection pools for the PostgreSQL store."""

from __future__ import annotations

import asyncpg


async def create_pool(url: str, *, min_size: int = 2, max_size: int = 20) -> asyncpg.Pool:
    """A pool whose connections run in UTC and give up on a stuck lock rather
    than wait forever."""
    pool = await asyncpg.create_pool(
        url,
        min_size=min_size,
        max_size=max_size,
        server_settings={
            "timezone": "UTC",
            "application_name": "stockd",
            "lock_timeout": "10s",
            "idle_in_transaction_session_timeout": "60s",
        },
    )
    assert pool is not None
    return pool
