"""Readiness probes of the servers stockd talks to (`service.readiness`)."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import asyncpg

from stockd.adapters.redis_cache import RedisSharedCache
from stockd.service.ports import SharedCacheDown
from stockd.service.readiness import Probe


def database(pool: asyncpg.Pool) -> Probe:
    async def probe() -> str:
        async with pool.acquire() as conn:
            version = await conn.fetchval("SHOW server_version")
        return f"PostgreSQL {version}"

    return probe


def redis(cache: RedisSharedCache) -> Probe:
    async def probe() -> str:
        if not await cache.ping():
            raise SharedCacheDown("PING got no answer (reads fall back to the database)")
        return "PONG"

    return probe


def nats(url: str) -> Probe:
    """A NATS server answers a connection with an `INFO` line: the first of
    the (comma-separated) servers that does is enough."""

    async def probe() -> str:
        failures = []
        for server in (s.strip() for s in url.split(",") if s.strip()):
            parts = urlsplit(server if "://" in server else f"nats://{server}")
            host, port = parts.hostname or "127.0.0.1", parts.port or 4222
            try:
                reader, writer = await asyncio.open_connection(host, port)
                try:
                    line = await reader.readline()
                finally:
                    writer.close()
            except OSError as e:
                failures.append(f"{host}:{port}: {e.strerror or type(e).__name__}")
                continue
            if line.startswith(b"INFO"):
                return f"{host}:{port} answers"
            failures.append(f"{host}:{port}: not a NATS server")
        raise ConnectionError("; ".join(failures) or "no server in STOCKD_NATS_URL")

    return probe
