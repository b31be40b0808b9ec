"""Group commit: concurrent reservations share a transaction, each keeping its
own all-or-nothing result, its own events and its own idempotency."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest

from stockd import errors
from stockd.adapters.clock import ManualClock
from stockd.bootstrap import Container, build
from stockd.config import Settings
from stockd.domain.adjustments import Change
from stockd.domain.commands import Adjust, LineRequest, Reserve
from stockd.domain.quantities import LevelKey, State
from stockd.domain.reservations import Reservation
from stockd.service.messagebus import Idempotency
from stockd.service.ports import StoredResponse
from stockd.service.queries import EventFilter
from tests.support import ADMIN, RESET, T0, seed


async def test_one_batch_many_outcomes(backend: Container) -> None:
    await seed(
        backend.bus,
        skus={"A": 0, "B": 0},
        locations={"x": 1, "y": 2},
        stock={("A", "x"): 5, ("B", "x"): 1},
    )
    commands = [
        Reserve((LineRequest("A", 2),)),  # fits
        Reserve((LineRequest("A", 2, "x"), LineRequest("B", 2, "x"))),  # B short: nothing held
        Reserve((LineRequest("NOPE", 1),)),  # unknown SKU
        Reserve((LineRequest("A", 1), LineRequest("A", 1))),  # duplicate lines
        Reserve((LineRequest("A", 3, "x"),)),  # fits exactly what is left
        Reserve((LineRequest("A", 1),)),  # nothing left
        Reserve((LineRequest("A", 1),), pickup_location="y"),  # y offers no pickup
    ]
    results = await asyncio.gather(
        *(backend.bus.handle(c, ADMIN) for c in commands), return_exceptions=True
    )
    kinds = [type(r).__name__ for r in results]
    assert kinds == [
        "Reservation",
        "InsufficientStock",
        "UnknownReference",
        "DuplicateLines",
        "Reservation",
        "InsufficientStock",
        "InvalidRequest",
    ]
    [a] = await backend.reads.levels(
        backend.clock.now(), sku="A", location="x", after=None, limit=1
    )
    [b] = await backend.reads.levels(
        backend.clock.now(), sku="B", location="x", after=None, limit=1
    )
    assert (a.quantities.reserved, a.available, b.quantities.reserved) == (5, 0, 0)
    assert (await backend.reads.verify()).discrepancies == ()


async def test_the_same_key_twice_in_one_batch_reserves_once(backend: Container) -> None:
    await seed(backend.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 10})
    idem = Idempotency("caller", "k", "fingerprint")

    def render(r: Reservation) -> StoredResponse:
        return StoredResponse(201, r.id.encode())

    cmd = Reserve((LineRequest("A", 4),))
    replies = await asyncio.gather(
        *(backend.bus.handle_idempotent(cmd, ADMIN, idem, render) for _ in range(3))
    )
    assert len({r.response.body for r in replies}) == 1
    assert sorted(r.replayed for r in replies) == [False, True, True]
    [a] = await backend.reads.levels(
        backend.clock.now(), sku="A", location="x", after=None, limit=1
    )
    assert a.quantities.reserved == 4


async def test_a_failed_request_in_a_batch_leaves_its_key_free(backend: Container) -> None:
    await seed(backend.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 1})
    idem = Idempotency("caller", "k2", "fingerprint")

    def render(r: Reservation) -> StoredResponse:
        return StoredResponse(201, r.id.encode())

    big = Reserve((LineRequest("A", 2),))
    small = Reserve((LineRequest("A", 1),))
    results = await asyncio.gather(
        backend.bus.handle_idempotent(big, ADMIN, idem, render),
        backend.bus.handle(small, ADMIN),
        return_exceptions=True,
    )
    assert isinstance(results[0], errors.InsufficientStock)
    assert isinstance(results[1], Reservation)
    await seed(backend.bus, stock={("A", "x"): 5})
    reply = await backend.bus.handle_idempotent(big, ADMIN, idem, render)
    assert not reply.replayed


async def test_every_hold_in_a_batch_moves_the_level_version(backend: Container) -> None:
    await seed(backend.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 10})
    [before] = await backend.reads.levels(
        backend.clock.now(), sku="A", location="x", after=None, limit=1
    )
    await asyncio.gather(
        *(backend.bus.handle(Reserve((LineRequest("A", 1),)), ADMIN) for _ in range(6))
    )
    [after] = await backend.reads.levels(
        backend.clock.now(), sku="A", location="x", after=None, limit=1
    )
    assert after.version == before.version + 6
    events = await backend.reads.events(0, 100, EventFilter(sku="A"))
    reserved_after = [
        e.event.after.reserved for e in events if e.event.type == "reservation.created"
    ]
    assert reserved_after == [1, 2, 3, 4, 5, 6]


async def _taken_behind_the_read(
    db: Container, monkeypatch: pytest.MonkeyPatch, units: int
) -> None:
    """Make the next unlocked read of levels stale: right after it, another
    transaction takes `units` of A at x (and commits)."""
    from stockd.adapters.postgres.levels import PostgresLevels

    read = PostgresLevels.read
    fired = False

    async def stale_read(self: PostgresLevels, *args: Any, **kwargs: Any) -> Any:
        nonlocal fired
        found = await read(self, *args, **kwargs)
        if not fired:
            fired = True
            change = Change(LevelKey("A", "x"), State.ON_HAND, "shrinkage", delta=-units)
            await db.bus.handle(Adjust((change,)), ADMIN)
        return found

    monkeypatch.setattr(PostgresLevels, "read", stale_read)


async def test_a_batch_decided_on_a_stale_read_writes_nothing_and_is_decided_again(
    db: Container, monkeypatch: pytest.MonkeyPatch, raw: asyncpg.Connection
) -> None:
    await seed(db.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 5})
    await _taken_behind_the_read(db, monkeypatch, units=4)
    # The read said 5 were free; by the write only 1 is: the one-statement
    # write refuses the whole batch, and under lock the request is short.
    with pytest.raises(errors.InsufficientStock):
        await db.bus.handle(Reserve((LineRequest("A", 3, "x"),)), ADMIN)
    assert await raw.fetchval("SELECT count(*) FROM reservations") == 0
    assert await raw.fetchval("SELECT reserved FROM levels WHERE sku = 'A'") == 0
    assert (await db.reads.verify()).discrepancies == ()


async def test_a_batch_that_still_fits_after_a_concurrent_change_is_written_once(
    db: Container, monkeypatch: pytest.MonkeyPatch, raw: asyncpg.Connection
) -> None:
    await seed(db.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 5})
    await _taken_behind_the_read(db, monkeypatch, units=2)
    held = await db.bus.handle(Reserve((LineRequest("A", 3, "x"),)), ADMIN)
    assert isinstance(held, Reservation)
    assert await raw.fetchval("SELECT count(*) FROM reservations") == 1
    level = await raw.fetchrow("SELECT on_hand, reserved FROM levels WHERE sku = 'A'")
    assert (level["on_hand"], level["reserved"]) == (3, 3)
    # The hold's event records the quantities as the locked row had them,
    # after the concurrent shrinkage, not as the stale read saw them.
    events = await db.reads.events(0, 100, EventFilter(sku="A"))
    created = [e.event for e in events if e.event.type == "reservation.created"]
    assert [(m.after.on_hand, m.after.reserved) for m in created] == [(3, 3)]
    assert (await db.reads.verify()).discrepancies == ()


async def test_a_level_locked_elsewhere_fails_only_the_holds_that_need_it(
    database_url: str, settings: Settings
) -> None:
    # One request of a batch waits on a level locked past the lock timeout:
    # the other holds are still written and answered, each on its own.
    quick = settings.model_copy(update={"lock_timeout_ms": 300})
    c = await build(quick, database_url, clock=ManualClock(T0))
    try:
        assert c.pool is not None
        await c.pool.execute(RESET)
        await seed(
            c.bus, skus={"A": 0, "B": 0}, locations={"x": 1}, stock={("A", "x"): 50, ("B", "x"): 5}
        )
        async with c.pool.acquire() as other, other.transaction():
            await other.execute("SELECT 1 FROM levels WHERE sku = 'B' FOR UPDATE")
            commands = [Reserve((LineRequest("A", 1, "x"),)) for _ in range(30)]
            commands.insert(7, Reserve((LineRequest("B", 1, "x"),)))
            results = await asyncio.gather(
                *(c.bus.handle(cmd, ADMIN) for cmd in commands), return_exceptions=True
            )
        held = [r for r in results if isinstance(r, Reservation)]
        assert len(held) == 30
        assert not isinstance(results[7], Reservation)
        [a] = await c.reads.levels(c.clock.now(), sku="A", location="x", after=None, limit=1)
        assert a.quantities.reserved == 30
        assert (await c.reads.verify()).discrepancies == ()
    finally:
        await c.close()
