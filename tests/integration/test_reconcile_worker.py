"""The reconcile worker: its first run is due an interval after it starts,
the next an interval after the latest run (by anyone); two nodes that look
at once make one run between them (the advisory lock); it repairs only with
STOCKD_RECONCILE_APPLY."""

from __future__ import annotations

import dataclasses

import asyncpg

from stockd.adapters.clock import ManualClock
from stockd.bootstrap import Container
from stockd.entrypoints.workers.loops import reconcile_once
from tests.support import race, seed


def node(db: Container, apply: bool) -> Container:
    """Another node over the same database and clock."""
    settings = db.settings.model_copy(
        update={"reconcile_interval_seconds": 60.0, "reconcile_apply": apply}
    )
    return dataclasses.replace(db, settings=settings)


async def test_the_scheduled_run_is_one_at_a_time_and_repairs_only_when_set(
    db: Container, raw: asyncpg.Connection
) -> None:
    clock = db.clock
    assert isinstance(clock, ManualClock)
    await seed(db.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 5})
    await raw.execute("UPDATE levels SET on_hand = 6")
    reporting, repairing = node(db, apply=False), node(db, apply=True)

    assert await reconcile_once(reporting) == 0  # just started: not due
    clock.advance(60)
    assert await race(2, lambda i: reconcile_once(reporting)) in ([1, 0], [0, 1])
    assert await raw.fetchval("SELECT count(*) FROM reconciliations") == 1
    assert await raw.fetchval("SELECT on_hand FROM levels") == 6  # reported only

    clock.advance(30)
    assert await reconcile_once(repairing) == 0  # the latest run is 30 s old
    clock.advance(30)
    assert await reconcile_once(repairing) == 1
    assert await raw.fetchval("SELECT on_hand FROM levels") == 5
    latest = await raw.fetchrow(
        "SELECT apply, actor, discrepancy_rate FROM reconciliations"
        " WHERE finished_at IS NOT NULL ORDER BY finished_at DESC, id DESC LIMIT 1"
    )
    assert (latest["apply"], latest["actor"], latest["discrepancy_rate"]) == (
        True,
        "stockd:reconcile",
        1,
    )
    assert (await db.reads.verify()).clean
