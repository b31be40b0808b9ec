"""Repairs race real clients: holds taken and released on the very levels
being repaired, started together with the repair by one barrier. Nothing
is lost: every hold that was answered is counted, the drift is gone, and
`stockd ledger verify` and a second run are clean."""

from __future__ import annotations

import asyncpg

from stockd.bootstrap import Container, reconciler
from stockd.domain.channels import Channel, ChannelKind, PoolShare
from stockd.domain.commands import (
    CreateChannel,
    LineRequest,
    ReleaseReservation,
    Reserve,
    SetChannelPools,
)
from stockd.domain.reservations import Reservation
from tests.support import ADMIN, race, seed

BUYERS = 40


async def test_repairs_while_holds_come_and_go_lose_nothing(
    db: Container, raw: asyncpg.Connection
) -> None:
    await seed(db.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 500})
    await db.bus.handle(CreateChannel(Channel("web", "Web", ChannelKind.WEB, 1)), ADMIN)
    await db.bus.handle(SetChannelPools("A", (PoolShare("web", 100),)), ADMIN)
    lost = await db.bus.handle(Reserve((LineRequest("A", 7, "x"),), channel="web"), ADMIN)
    # Three kinds of drift on the one level the buyers hit.
    await raw.execute("UPDATE reservations SET status = 'released' WHERE id = $1", lost.id)
    await raw.execute("UPDATE levels SET on_hand = on_hand + 9 WHERE sku = 'A'")
    await raw.execute("UPDATE channel_stock SET outstanding = outstanding + 2")
    the_reconciler = reconciler(db)
    assert the_reconciler is not None
    released: list[str] = []

    async def work(i: int) -> object:
        if i == 0:
            run, _ = await the_reconciler.run(apply=True, actor="test")
            return run
        hold: Reservation = await db.bus.handle(
            Reserve((LineRequest("A", 1 + i % 3, "x"),), channel="web"), ADMIN
        )
        if i % 4 == 0:
            await db.bus.handle(ReleaseReservation(hold.id), ADMIN)
            released.append(hold.id)
        return hold

    results = await race(BUYERS + 1, work)
    failures = [r for r in results if isinstance(r, BaseException)]
    assert failures == []
    held = sum(
        line.quantity
        for r in results
        if isinstance(r, Reservation) and r.id not in released
        for line in r.lines
    )
    level = await raw.fetchrow("SELECT on_hand, reserved FROM levels WHERE sku = 'A'")
    assert (level["on_hand"], level["reserved"]) == (500, held)
    assert await raw.fetchval("SELECT outstanding FROM channel_stock") == held
    assert (await db.reads.verify()).discrepancies == ()
    again, _ = await the_reconciler.run(apply=False, actor="test")
    assert again.clean


async def test_two_runs_repairing_the_same_drift_at_once_correct_it_once(
    db: Container, raw: asyncpg.Connection
) -> None:
    """Each repair looks again under the level's lock: the run that comes
    second finds nothing left to repair (a repair from its own, older
    report would take the units away twice)."""
    await seed(db.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 50})
    await db.bus.handle(CreateChannel(Channel("web", "Web", ChannelKind.WEB, 1)), ADMIN)
    await db.bus.handle(SetChannelPools("A", (PoolShare("web", 100),)), ADMIN)
    lost = await db.bus.handle(Reserve((LineRequest("A", 7, "x"),), channel="web"), ADMIN)
    await raw.execute("UPDATE reservations SET status = 'released' WHERE id = $1", lost.id)
    await raw.execute("UPDATE levels SET on_hand = on_hand + 9 WHERE sku = 'A'")
    the_reconciler = reconciler(db)
    assert the_reconciler is not None

    async def examined_together(i: int) -> object:
        run, _ = await the_reconciler.run(apply=True, actor=f"run {i}")
        return run

    runs = await race(2, examined_together)
    assert all(not isinstance(r, BaseException) for r in runs), runs
    level = await raw.fetchrow("SELECT on_hand, reserved FROM levels WHERE sku = 'A'")
    assert (level["on_hand"], level["reserved"]) == (50, 0)
    corrections = await raw.fetch(
        "SELECT d_on_hand, d_reserved FROM ledger_events WHERE type = 'reconcile.corrected'"
    )
    assert sorted((c["d_on_hand"], c["d_reserved"]) for c in corrections) == [(-9, 0), (0, -7)]
    assert (await db.reads.verify()).discrepancies == ()
