"""One PostgreSQL transaction behind the UnitOfWork port."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Self

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from stockd import errors
from stockd.adapters.postgres.capacity import PostgresCapacity
from stockd.adapters.postgres.catalog import PostgresCatalog
from stockd.adapters.postgres.channels import PostgresChannels
from stockd.adapters.postgres.corrections import PostgresCorrections
from stockd.adapters.postgres.idempotency import PostgresIdempotencyStore
from stockd.adapters.postgres.keys import PostgresApiKeys
from stockd.adapters.postgres.ledger import PostgresLedger
from stockd.adapters.postgres.levels import PostgresLevels
from stockd.adapters.postgres.orders import PostgresOrders
from stockd.adapters.postgres.purchase_orders import PostgresPurchaseOrders
from stockd.adapters.postgres.reservations import PostgresReservations
from stockd.adapters.postgres.ties import PostgresTies
from stockd.adapters.postgres.transfers import PostgresSales, PostgresTransfers
from stockd.adapters.postgres.webhooks import PostgresWebhooks
from stockd.domain.events import Event

_RETRYABLE = (asyncpg.DeadlockDetectedError, asyncpg.SerializationError)

OnCommit = Callable[[Sequence[Event]], None]
"""Told of the events a unit of work wrote, once it has committed."""


class PostgresUnitOfWork:
    """A transaction on a pooled connection; with `autocommit`, none: each
    statement commits by itself (for work written in one statement).
    `on_commit` is called with the events the work wrote once it has
    committed and its connection is back in the pool (stockd announces the
    ledger head then, and the read caches drop what the events changed);
    work that wrote no event does not call it."""

    catalog: PostgresCatalog
    levels: PostgresLevels
    reservations: PostgresReservations
    ledger: PostgresLedger
    idempotency: PostgresIdempotencyStore
    orders: PostgresOrders
    transfers: PostgresTransfers
    purchase_orders: PostgresPurchaseOrders
    ties: PostgresTies
    sales: PostgresSales
    keys: PostgresApiKeys
    channels: PostgresChannels
    webhooks: PostgresWebhooks
    corrections: PostgresCorrections
    capacity: PostgresCapacity

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        autocommit: bool = False,
        on_commit: OnCommit | None = None,
    ) -> None:
        self._pool = pool
        self._autocommit = autocommit
        self._on_commit = on_commit
        self._conn: PoolConnectionProxy | None = None
        self._tx: asyncpg.transaction.Transaction | None = None
        self._done = False

    async def __aenter__(self) -> Self:
        conn = await self._pool.acquire()
        self._conn = conn
        if not self._autocommit:
            self._tx = conn.transaction()
            await self._tx.start()
        self.catalog = PostgresCatalog(conn)
        self.levels = PostgresLevels(conn)
        self._written: list[Event] = []
        self.reservations = PostgresReservations(conn, self._written)
        self.ledger = PostgresLedger(conn, self._written)
        self.idempotency = PostgresIdempotencyStore(conn)
        self.orders = PostgresOrders(conn)
        self.transfers = PostgresTransfers(conn)
        self.purchase_orders = PostgresPurchaseOrders(conn)
        self.ties = PostgresTies(conn)
        self.sales = PostgresSales(conn)
        self.keys = PostgresApiKeys(conn)
        self.channels = PostgresChannels(conn)
        self.webhooks = PostgresWebhooks(conn)
        self.corrections = PostgresCorrections(conn)
        self.capacity = PostgresCapacity(conn)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._conn is not None
        try:
            if self._tx is not None and not self._done:
                await self._tx.rollback()
        finally:
            await self._pool.release(self._conn)
        committed = self._done or (self._autocommit and exc is None)
        if self._on_commit is not None and committed and self._written:
            self._on_commit(self._written)
        if isinstance(exc, _RETRYABLE):
            raise errors.TransientConflict(str(exc)) from exc
        if isinstance(exc, asyncpg.LockNotAvailableError):
            # lock_timeout passed: another transaction held a row this one
            # needs. Retrying here would only wait again; the caller may retry.
            raise errors.Busy(
                "a row this request needs stayed locked by another transaction"
                " past the lock timeout; retry shortly"
            ) from exc
        if isinstance(exc, asyncpg.CheckViolationError):
            raise errors.InvariantViolation(
                f"refused by the store: {exc.constraint_name or exc}"
            ) from exc
        if isinstance(exc, asyncpg.ForeignKeyViolationError):
            # A reference the handlers should have checked: still the caller's
            # mistake, never a 500.
            raise errors.UnknownReference(
                errors.Issue(f"refers to something that does not exist ({exc.constraint_name})")
            ) from exc

    async def commit(self) -> None:
        if self._tx is None and self.ledger.pending:
            # Each statement would be its own transaction: events written
            # apart from the change they record. Work in autocommit writes
            # its events in the statement that makes the change.
            raise RuntimeError("an autocommit unit of work cannot append to the ledger")
        await self.ledger.flush()
        if self._tx is not None:
            await self._tx.commit()
        self._done = True


class PostgresUnitOfWorkFactory:
    def __init__(self, pool: asyncpg.Pool, on_commit: OnCommit | None = None) -> None:
        self.pool = pool
        self.on_commit = on_commit

    def __call__(self, *, autocommit: bool = False) -> PostgresUnitOfWork:
        return PostgresUnitOfWork(self.pool, autocommit=autocommit, on_commit=self.on_commit)
