"""Leadership through PostgreSQL: a session advisory lock, held on a
connection of its own.

PostgreSQL lets go of a session's advisory locks when the session ends, so
a leader that dies (a crash, SIGKILL, a lost network) frees the lead as soon
as its server notices: at once when the process dies (its socket closes),
within the TCP keepalive settings below when the network goes. `held` asks
the server on that connection, so a leader that lost it stops before its
next page.
"""

from __future__ import annotations

import logging
import os
import socket

import asyncpg

log = logging.getLogger(__name__)

RELAY_LOCK = 0x73746F636B64_01
"""The relay's advisory lock key ("stockd" + 1); no other stockd lock uses it."""
RECONCILE_LOCK = 0x73746F636B64_52
"""The reconcile worker's advisory lock key ("stockd" + "R")."""
ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)
KEEPALIVES = {
    # Notice a dead peer within about 20 s instead of the kernel's two hours.
    "tcp_keepalives_idle": "10",
    "tcp_keepalives_interval": "5",
    "tcp_keepalives_count": "2",
}


class PostgresLeadership:
    def __init__(self, url: str, key: int = RELAY_LOCK, name: str | None = None) -> None:
        self.url = url
        self.key = key
        # Which process leads, as pg_stat_activity shows it (docs/operations.md).
        self.name = name or f"stockd-relay {socket.gethostname()} pid {os.getpid()}"[:63]
        self._conn: asyncpg.Connection | None = None

    async def acquire(self) -> bool:
        if await self.held():
            return True
        await self.release()
        try:
            self._conn = await asyncpg.connect(
                self.url,
                timeout=5,
                server_settings={"application_name": self.name, **KEEPALIVES},
            )
            if await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", self.key):
                return True
        except ERRORS as e:
            log.warning("%s: cannot reach PostgreSQL to take the lead: %s", self.name, e)
        await self.release()
        return False

    async def held(self) -> bool:
        conn = self._conn
        if conn is None or conn.is_closed():
            return False
        try:
            await conn.fetchval("SELECT 1", timeout=5)
        except ERRORS:
            await self.release()
            return False
        return True

    async def release(self) -> None:
        """Let go (closing the session frees the lock)."""
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            try:
                await conn.close(timeout=2)
            except ERRORS:
                conn.terminate()
