"""Telling and hearing that the ledger head moved: PostgreSQL's LISTEN/NOTIFY.

`PostgresLedgerAnnouncer`: after a unit of work commits, the writing process
notifies `stockd_ledger` with the ledger head (`max(seq)`, read after the
commit, so never ahead of what a reader can see). It notifies from a
connection of its own, outside the writing transaction, and coalesces: one
notification in flight per process, and at most one more for every commit
that lands meanwhile. PostgreSQL serialises the commits of all transactions
that notify (a global lock, held through the commit's flush): a NOTIFY inside
every hold batch (a trigger, at first) halved the flash-sale rate
(docs/benchmarks.md); this costs one small statement per burst of commits.

`PostgresLedgerWatch`: one dedicated connection per process listens (LISTEN
is session state, so not a pooled connection), opened on first use and opened
again after it drops; on (re)connecting it reads the head, so nothing
committed meanwhile is missed. While anyone waits it also reads the head
every `RECHECK_SECONDS`, for commits no announcement followed: a writer that
died between its commit and its notification, or one outside stockd.
"""

from __future__ import annotations

import asyncio
import logging
import time

import asyncpg

log = logging.getLogger(__name__)

CHANNEL = "stockd_ledger"
APPLICATION = "stockd-watch"
ANNOUNCER = "stockd-announce"
RECHECK_SECONDS = 1.0
HEAD = "SELECT coalesce(max(seq), 0) FROM ledger_events"


class PostgresLedgerAnnouncer:
    """Notifies `stockd_ledger` of the head after commits (`committed`)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self._closed = False

    def committed(self) -> None:
        """A unit of work committed (it may have appended events)."""
        if self._closed:
            return  # shutting down: listeners find the head by their recheck
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._announce())
        else:
            self._again = True  # the notification in flight may precede it

    async def close(self) -> None:
        """Send what is pending, then close."""
        self._closed = True
        if self._task is not None:
            await self._task
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            await conn.close()

    async def _announce(self) -> None:
        while True:
            self._again = False
            try:
                if self._conn is None or self._conn.is_closed():
                    self._conn = await asyncpg.connect(
                        self.url,
                        server_settings={
                            "application_name": ANNOUNCER,
                            # A notification is not worth a flush to disk.
                            "synchronous_commit": "off",
                        },
                    )
                await self._conn.execute(f"SELECT pg_notify('{CHANNEL}', ({HEAD})::text)")
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                # Listeners find the head by their own recheck.
                log.warning("could not announce the ledger head: %s", exc)
                self._conn = None
                return
            if not self._again:
                return


class PostgresLedgerWatch:
    def __init__(self, url: str) -> None:
        self.url = url
        self.head = 0
        self._conn: asyncpg.Connection | None = None
        self._moved = asyncio.Event()
        self._connecting = asyncio.Lock()
        self._rechecking = False

    async def wait_past(self, seq: int, within: float) -> int:
        deadline = time.monotonic() + within
        await self._connected()
        while self.head <= seq:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self._moved.clear()
            try:
                await asyncio.wait_for(self._moved.wait(), min(left, RECHECK_SECONDS))
            except TimeoutError:
                await self._recheck()
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
            head = await conn.fetchval(HEAD)
            self._conn = conn
            self._advance(int(head))

    async def _recheck(self) -> None:
        """Read the head (one waiter at a time: the others hear of it)."""
        conn = self._conn
        if conn is None or conn.is_closed() or self._rechecking:
            return  # the next _connected reads it, or a recheck is on its way
        self._rechecking = True
        try:
            self._advance(int(await conn.fetchval(HEAD)))
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return  # dropped: _dropped has been or will be told
        finally:
            self._rechecking = False

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
