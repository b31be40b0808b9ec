"""Reservation use cases, run on the in-memory fake and on PostgreSQL alike."""

from __future__ import annotations

import asyncio

import pytest

from stockd import errors
from stockd.adapters.clock import ManualClock
from stockd.bootstrap import Container
from stockd.domain.commands import (
    CommitReservation,
    ExtendReservation,
    LineRequest,
    ReleaseReservation,
    Reserve,
    UpdateLocation,
)
from stockd.domain.reservations import Reservation, ReservationStatus
from stockd.entrypoints.workers.loops import expire_once
from stockd.service.queries import EventFilter
from tests.support import ADMIN, seed


async def available(c: Container, sku: str) -> dict[str, int]:
    levels = await c.reads.levels(c.clock.now(), sku=sku, location=None, after=None, limit=100)
    return {lvl.key.location: lvl.available for lvl in levels}


async def reserve(c: Container, *lines: LineRequest, ttl: int | None = None) -> Reservation:
    result: Reservation = await c.bus.handle(Reserve(tuple(lines), ttl_seconds=ttl), ADMIN)
    return result


def clock(c: Container) -> ManualClock:
    assert isinstance(c.clock, ManualClock)
    return c.clock


async def verify_clean(c: Container) -> None:
    report = await c.reads.verify()
    assert report.discrepancies == ()


async def test_a_line_with_a_location_is_held_there(backend: Container) -> None:
    await seed(backend.bus, skus={"A": 0}, locations={"x": 1, "y": 2}, stock={("A", "y"): 5})
    r = await reserve(backend, LineRequest("A", 2, "y"))
    assert r.status is ReservationStatus.ACTIVE
    assert [(x.location, x.quantity) for x in r.lines] == [("y", 2)]
    assert await available(backend, "A") == {"y": 3}
    await verify_clean(backend)


async def test_a_line_without_location_goes_to_the_preferred_one(backend: Container) -> None:
    await seed(
        backend.bus,
        skus={"A": 0},
        locations={"far": 5, "near": 1},
        stock={("A", "far"): 50, ("A", "near"): 3},
    )
    r = await reserve(backend, LineRequest("A", 3))
    assert [(x.location, x.quantity) for x in r.lines] == [("near", 3)]


async def test_a_line_is_split_when_no_single_location_can_fill_it(backend: Container) -> None:
    await seed(
        backend.bus,
        skus={"A": 0},
        locations={"x": 1, "y": 2},
        stock={("A", "x"): 3, ("A", "y"): 4},
    )
    r = await reserve(backend, LineRequest("A", 6))
    assert sorted((x.location, x.quantity) for x in r.lines) == [("x", 3), ("y", 3)]
    assert await available(backend, "A") == {"x": 0, "y": 1}
    await verify_clean(backend)


async def test_inactive_locations_are_never_chosen(backend: Container) -> None:
    await seed(
        backend.bus, skus={"A": 0}, locations={"x": 1, "y": 2}, stock={("A", "x"): 9, ("A", "y"): 1}
    )
    await backend.bus.handle(UpdateLocation("x", {"active": False}), ADMIN)
    with pytest.raises(errors.InsufficientStock):
        await reserve(backend, LineRequest("A", 2))
    with pytest.raises(errors.InvalidRequest, match="inactive"):
        await reserve(backend, LineRequest("A", 1, "x"))


async def test_a_shortfall_holds_nothing_and_names_the_short_lines(backend: Container) -> None:
    await seed(
        backend.bus, skus={"A": 0, "B": 0}, locations={"x": 1}, stock={("A", "x"): 5, ("B", "x"): 1}
    )
    with pytest.raises(errors.InsufficientStock) as caught:
        await reserve(backend, LineRequest("A", 2, "x"), LineRequest("B", 2, "x"))
    assert caught.value.extra["lines"] == [
        {"sku": "B", "location": "x", "requested": 2, "available": 1, "short": 1}
    ]
    assert await available(backend, "A") == {"x": 5}
    assert await available(backend, "B") == {"x": 1}
    await verify_clean(backend)


async def test_duplicate_lines_are_refused(backend: Container) -> None:
    await seed(backend.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 5})
    with pytest.raises(errors.DuplicateLines):
        await reserve(backend, LineRequest("A", 1), LineRequest("A", 2))


async def test_unknown_skus_and_locations_are_named(backend: Container) -> None:
    await seed(backend.bus, skus={"A": 0}, locations={"x": 1})
    with pytest.raises(errors.UnknownReference) as caught:
        await reserve(backend, LineRequest("A", 1, "nowhere"), LineRequest("NOPE", 1))
    assert "unknown location 'nowhere'" in caught.value.detail
    assert "unknown SKU 'NOPE'" in caught.value.detail


async def test_release_gives_the_units_back(backend: Container) -> None:
    await seed(backend.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 5})
    r = await reserve(backend, LineRequest("A", 5))
    released = await backend.bus.handle(ReleaseReservation(r.id), ADMIN)
    assert released.status is ReservationStatus.RELEASED
    assert await available(backend, "A") == {"x": 5}
    with pytest.raises(errors.ReservationNotActive):
        await backend.bus.handle(ReleaseReservation(r.id), ADMIN)
    await verify_clean(backend)


async def test_commit_moves_held_units_to_committed(backend: Container) -> None:
    await seed(backend.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 5})
    r = await reserve(backend, LineRequest("A", 2))
    done = await backend.bus.handle(CommitReservation(r.id, "ORDER-1"), ADMIN)
    assert done.status is ReservationStatus.COMMITTED
    assert done.order_id == "ORDER-1"
    [level] = await backend.reads.levels(
        backend.clock.now(), sku="A", location="x", after=None, limit=1
    )
    assert (level.quantities.reserved, level.quantities.committed, level.available) == (0, 2, 3)
    await verify_clean(backend)


async def test_an_overdue_hold_no_longer_counts_even_before_the_worker_runs(
    backend: Container,
) -> None:
    await seed(backend.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 5})
    r = await reserve(backend, LineRequest("A", 5), ttl=60)
    clock(backend).advance(60)
    assert await available(backend, "A") == {"x": 5}
    found = await backend.reads.reservation(r.id)
    assert found is not None
    assert found.status_at(backend.clock.now()) is ReservationStatus.EXPIRED


async def test_an_overdue_hold_cannot_be_committed_and_is_expired_on_the_spot(
    backend: Container,
) -> None:
    await seed(backend.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 5})
    r = await reserve(backend, LineRequest("A", 3), ttl=60)
    clock(backend).advance(61)
    with pytest.raises(errors.ReservationExpired):
        await backend.bus.handle(CommitReservation(r.id, "LATE"), ADMIN)
    found = await backend.reads.reservation(r.id)
    assert found is not None
    assert found.status is ReservationStatus.EXPIRED
    await verify_clean(backend)


async def test_using_an_overdue_hold_expires_that_hold_and_no_other(backend: Container) -> None:
    await seed(backend.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 5})
    late = await reserve(backend, LineRequest("A", 1), ttl=60)
    other = await reserve(backend, LineRequest("A", 1), ttl=60)
    clock(backend).advance(61)
    with pytest.raises(errors.ReservationExpired):
        await backend.bus.handle(CommitReservation(late.id, "LATE"), ADMIN)
    statuses = [await backend.reads.reservation(r.id) for r in (late, other)]
    assert [r.status for r in statuses if r] == [
        ReservationStatus.EXPIRED,
        ReservationStatus.ACTIVE,  # overdue, on the same SKU, left to the worker
    ]
    await verify_clean(backend)


async def test_touching_an_already_expired_hold_sweeps_nothing(backend: Container) -> None:
    await seed(backend.bus, skus={"A": 0, "B": 0}, locations={"x": 1}, stock={("A", "x"): 5})
    await seed(backend.bus, stock={("B", "x"): 5})
    gone = await reserve(backend, LineRequest("A", 1), ttl=30)
    clock(backend).advance(30)
    assert await expire_once(backend) == 1
    overdue = await reserve(backend, LineRequest("B", 1), ttl=30)
    clock(backend).advance(30)
    for cmd in (
        CommitReservation(gone.id, "O"),
        ReleaseReservation(gone.id),
        ExtendReservation(gone.id, 60),
    ):
        with pytest.raises(errors.ReservationExpired):
            await backend.bus.handle(cmd, ADMIN)
    found = await backend.reads.reservation(overdue.id)
    assert found is not None
    assert found.status is ReservationStatus.ACTIVE  # still the worker's to expire


async def test_the_expiry_worker_expires_due_holds_and_only_those(backend: Container) -> None:
    await seed(backend.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 10})
    short = await reserve(backend, LineRequest("A", 2), ttl=30)
    long = await reserve(backend, LineRequest("A", 3), ttl=300)
    clock(backend).advance(30)
    assert await expire_once(backend) == 1
    statuses = {
        r.id: r.status
        for r in [
            await backend.reads.reservation(short.id),
            await backend.reads.reservation(long.id),
        ]
        if r is not None
    }
    assert statuses == {short.id: ReservationStatus.EXPIRED, long.id: ReservationStatus.ACTIVE}
    assert await available(backend, "A") == {"x": 7}
    events = await backend.reads.events(0, 100, EventFilter(sku="A"))
    assert [e.event.type for e in events][-1] == "reservation.expired"
    await verify_clean(backend)


async def test_stock_held_by_an_overdue_hold_can_be_reserved_at_once(backend: Container) -> None:
    await seed(backend.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 1})
    first = await reserve(backend, LineRequest("A", 1), ttl=10)
    clock(backend).advance(10)
    second = await reserve(backend, LineRequest("A", 1, "x"))
    assert second.status is ReservationStatus.ACTIVE
    gone = await backend.reads.reservation(first.id)
    assert gone is not None
    assert gone.status is ReservationStatus.EXPIRED
    await verify_clean(backend)


async def test_extend_pushes_the_deadline_and_keeps_the_hold(backend: Container) -> None:
    await seed(backend.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 1})
    r = await reserve(backend, LineRequest("A", 1), ttl=60)
    clock(backend).advance(50)
    extended = await backend.bus.handle(ExtendReservation(r.id, 120), ADMIN)
    assert (extended.expires_at - backend.clock.now()).total_seconds() == 120
    clock(backend).advance(100)
    assert await expire_once(backend) == 0
    done = await backend.bus.handle(CommitReservation(r.id, "O"), ADMIN)
    assert done.status is ReservationStatus.COMMITTED
    await verify_clean(backend)


async def test_extending_an_expired_hold_is_refused(backend: Container) -> None:
    await seed(backend.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 1})
    r = await reserve(backend, LineRequest("A", 1), ttl=60)
    clock(backend).advance(60)
    with pytest.raises(errors.ReservationExpired):
        await backend.bus.handle(ExtendReservation(r.id, 120), ADMIN)


async def test_ttl_beyond_the_maximum_is_refused(backend: Container) -> None:
    await seed(backend.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 1})
    with pytest.raises(errors.InvalidRequest, match="ttl_seconds"):
        await reserve(backend, LineRequest("A", 1), ttl=10**7)


async def test_backorder_sells_below_zero_down_to_the_cap_and_no_further(
    backend: Container,
) -> None:
    await seed(
        backend.bus,
        skus={"B": 0},
        locations={"x": 1},
        stock={("B", "x"): 2},
        backorder={"B": 3},
        inbound={("B", "x"): 10},
    )
    r = await reserve(backend, LineRequest("B", 5))
    assert [(x.location, x.quantity) for x in r.lines] == [("x", 5)]
    assert await available(backend, "B") == {"x": -3}
    with pytest.raises(errors.InsufficientStock):
        await reserve(backend, LineRequest("B", 1))
    await verify_clean(backend)


async def test_unknown_reservations_are_not_found(backend: Container) -> None:
    with pytest.raises(errors.NotFound):
        await backend.bus.handle(ReleaseReservation("res_nope"), ADMIN)


async def test_a_commit_that_waited_for_the_lock_past_the_deadline_finds_the_hold_expired(
    db: Container,
) -> None:
    # A commit decided on a clock read before it got the hold's lock could
    # finish after the deadline while reads already call the hold expired.
    await seed(db.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 5})
    r = await reserve(db, LineRequest("A", 2), ttl=60)
    clock(db).advance(30)
    assert db.pool is not None
    async with db.pool.acquire() as other, other.transaction():
        await other.execute("SELECT 1 FROM reservations WHERE id = $1 FOR UPDATE", r.id)
        commit = asyncio.create_task(db.bus.handle(CommitReservation(r.id, "SLOW"), ADMIN))
        await asyncio.sleep(0.3)  # the commit is waiting for the lock
        clock(db).advance(60)  # meanwhile the deadline passes
    with pytest.raises(errors.ReservationExpired):
        await commit
    found = await db.reads.reservation(r.id)
    assert found is not None
    assert found.status is ReservationStatus.EXPIRED
    await verify_clean(db)
