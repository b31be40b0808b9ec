"""The store's figures monitoring reads (`adapters.postgres.figures`),
against real PostgreSQL."""

from __future__ import annotations

import secrets

import asyncpg
import pytest

from stockd.adapters.postgres.figures import OVERSOLD, PostgresFigures
from stockd.adapters.postgres.pool import create_pool
from stockd.bootstrap import Container
from tests.support import seed


class RolledBack(Exception):
    pass


async def oversell_around_stockd(raw: asyncpg.Connection) -> None:
    """Levels below their floors, seen and rolled back. stockd's writes
    cannot do this (the CHECK refuses it): only a change made around them
    can, which is what the figure is there to catch."""
    async with raw.transaction():
        await raw.execute("ALTER TABLE levels DROP CONSTRAINT levels_available_above_floor")
        await raw.execute("UPDATE levels SET reserved = 7 WHERE sku = 'D' AND location = 'x'")
        await raw.execute("UPDATE levels SET committed = 5 WHERE sku = 'B'")  # floor -3
        await raw.execute("UPDATE levels SET safety_stock = 2 WHERE location = 'y'")
        assert await raw.fetchval(OVERSOLD) == 2 + 1 + 1
        raise RolledBack


async def test_units_oversold_are_the_units_below_each_levels_floor(
    db: Container, raw: asyncpg.Connection
) -> None:
    await seed(
        db.bus,
        skus={"D": 0, "B": 3},
        locations={"x": 1, "y": 2},
        stock={("D", "x"): 5, ("D", "y"): 1, ("B", "x"): 1},
        backorder={"B": 3},
    )
    await raw.execute("UPDATE levels SET committed = 4 WHERE sku = 'B'")  # within its cap
    assert await raw.fetchval(OVERSOLD) == 0
    with pytest.raises(RolledBack):
        await oversell_around_stockd(raw)
    assert await raw.fetchval(OVERSOLD) == 0


async def test_figures_give_lags_deliveries_and_the_last_finished_reconciliation(
    db: Container, raw: asyncpg.Connection, database_url: str
) -> None:
    await seed(db.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 5})
    head = await raw.fetchval("SELECT max(seq) FROM ledger_events")
    assert db.pool is not None
    figures = await PostgresFigures(db.pool).figures()
    assert figures.ledger_head == head
    assert figures.discrepancy_rate is None, "no reconciliations table: no figure"
    assert figures.oversold_units == 0

    await raw.execute("INSERT INTO relay_cursors VALUES ('nats', $1 - 2, now())", head)
    # The reconciliations table belongs to another part of the issue: this
    # one lives in a schema of the test's own, found first on the search path.
    schema = "figures_" + secrets.token_hex(4)
    await raw.execute(
        f"""
        CREATE SCHEMA {schema};
        CREATE TABLE {schema}.reconciliations (discrepancy_rate numeric, finished_at timestamptz);
        INSERT INTO {schema}.reconciliations VALUES
            (0.5, now() - interval '2 hours'),
            (0.25, now() - interval '1 hour'),
            (NULL, NULL);
        """
    )
    pool = await create_pool(database_url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            await conn.execute(f"SET search_path = {schema}, public")
        figures = await PostgresFigures(pool).figures()
    finally:
        await pool.close()
        await raw.execute(f"DROP SCHEMA {schema} CASCADE")
        await raw.execute("DELETE FROM relay_cursors")
    assert figures.relay_cursors == {"nats": head - 2}
    assert figures.discrepancy_rate == 0.25, "the last finished one; one still running is not"
