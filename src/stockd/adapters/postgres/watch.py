"""Hearing that the ledger head moved, from PostgreSQL's LISTEN/NOTIFY.

Every statement that appends events notifies `stockd_ledger` with the highest
`seq` it wrote (migration 0004); PostgreSQL delivers the notification when
the transaction commits, to every listening session on the server. One
dedicated connection per process listens (LISTEN is session state, so not a
pooled connection), opened on first use and opened again after it drops; on
(re)connecting it reads the head, so nothing committed meanwhile is missed.
"""

from __future__ import annotations

import asyncio
import logging
import time

import asyncpg

log = logging.getLogger(__name__)

CHANNEL = "stockd_ledger"
APPLICATION = "stockd-watch"


class PostgresLedgerWatch:
    def __init__(self, url: str) -> None:
        self.url = url
        self.head = 0
        self._conn: asyncpg.Connection | None = None
        self._moved = asyncio.Event()
        self._connecting = asyncio.Lock()

    async def wait_past(self, seq: int, within: float) -> int:
        deadline = time.monotonic() + within
        await self._connected()
        while self.head <= seq:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self._moved.clear()
            try:
                await asyncio.wait_for(self._moved.wait(), left)
            except TimeoutError:
                break
            await self._connected()
        return self.head

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            await conn.close()
        self._moved.set()

    async def _connected(self) -> None:
        if self._conn is not None and not self._conn.is_closed():
            return
        async with self._connecting:
            if self._conn is not None and not self._conn.is_closed():
                return
            conn = await asyncpg.connect(
                self.url, server_settings={"application_name": APPLICATION}
            )
            # Listen first, then read the head: an event committing in
            # between is seen by one or the other.
            await conn.add_listener(CHANNEL, self._notified)
            conn.add_termination_listener(self._dropped)
            head = await conn.fetchval("SELECT coalesce(max(seq), 0) FROM ledger_events")
            self._conn = conn
            self._advance(int(head))

    def _notified(self, conn: object, pid: int, channel: str, payload: object) -> None:
        try:
            self._advance(int(str(payload)))
        except ValueError:
            log.warning("unexpected %s payload %r", channel, payload)

    def _dropped(self, conn: object) -> None:
        log.warning("the ledger watch lost its connection; it reconnects on next use")
        self._conn = None
        self._moved.set()  # waiters reconnect and read the head

    def _advance(self, head: int) -> None:
        if head > self.head:
            self.head = head
            self._moved.set()
