"""Archiving SKUs and locations, on the in-memory fake and on PostgreSQL alike:
kept and readable, left out of lists, never used by new work, while what
already holds them is still served."""

from __future__ import annotations

import pytest

from stockd import errors
from stockd.bootstrap import Container
from stockd.domain.adjustments import Change
from stockd.domain.allocation import OrderLine
from stockd.domain.commands import (
    Adjust,
    ArchiveLocation,
    ArchiveSku,
    CancelOrder,
    CommitReservation,
    CreateTransfer,
    LineRequest,
    PlaceOrder,
    RecordSale,
    ReleaseReservation,
    Reserve,
    ReturnItems,
    ShipOrder,
    SkuQuantity,
    UpdateLocation,
    UpdateSku,
)
from stockd.domain.orders import OrderStatus
from stockd.domain.quantities import LevelKey, State
from stockd.domain.reservations import ReservationStatus
from stockd.service import planning, quotes
from stockd.service.queries import EventFilter
from tests.support import ADMIN, race, seed


async def setup(c: Container) -> None:
    await seed(
        c.bus,
        skus={"A": 0, "B": 0},
        locations={"x": 1, "y": 2},
        stock={("A", "x"): 10, ("A", "y"): 10, ("B", "x"): 10, ("B", "y"): 10},
    )


async def events_of(c: Container, only: EventFilter) -> list[str]:
    return [r.event.type for r in await c.reads.events(0, 1000, only)]


async def test_archiving_a_sku_keeps_it_readable_once_and_for_good(backend: Container) -> None:
    await setup(backend)
    before = await backend.reads.sku("A")
    assert before is not None
    assert not before.archived
    archived = await backend.bus.handle(ArchiveSku("A"), ADMIN)
    assert (archived.archived, archived.version) == (True, before.version + 1)
    assert await backend.reads.sku("A") == archived
    again = await backend.bus.handle(ArchiveSku("A", expected_version=before.version), ADMIN)
    assert again == archived  # a no-op, whatever the expected version
    assert (await events_of(backend, EventFilter(sku="A"))).count("sku.archived") == 1
    [record] = await backend.reads.events(0, 1000, EventFilter(types=frozenset({"sku.archived"})))
    assert record.event.version == archived.version  # type: ignore[attr-defined]
    levels = await backend.reads.levels(
        backend.clock.now(), sku="A", location=None, after=None, limit=10
    )
    assert [lvl.quantities.on_hand for lvl in levels] == [10, 10]


async def test_archiving_checks_if_match_and_names_what_is_missing(backend: Container) -> None:
    await setup(backend)
    with pytest.raises(errors.VersionConflict):
        await backend.bus.handle(ArchiveSku("A", expected_version=7), ADMIN)
    with pytest.raises(errors.VersionConflict):
        await backend.bus.handle(ArchiveLocation("x", expected_version=7), ADMIN)
    with pytest.raises(errors.NotFound):
        await backend.bus.handle(ArchiveSku("NOPE"), ADMIN)
    with pytest.raises(errors.NotFound):
        await backend.bus.handle(ArchiveLocation("nope"), ADMIN)
    assert not (await backend.reads.sku("A")).archived  # type: ignore[union-attr]


async def test_archived_ones_are_listed_only_when_asked_for(backend: Container) -> None:
    await setup(backend)
    await seed(backend.bus, skus={"C": 0}, locations={"z": 3})
    await backend.bus.handle(ArchiveSku("B"), ADMIN)
    await backend.bus.handle(ArchiveLocation("y"), ADMIN)
    assert [s.sku for s in await backend.reads.skus(None, 10)] == ["A", "C"]
    assert [s.sku for s in await backend.reads.skus(None, 10, archived=True)] == ["B"]
    assert [s.sku for s in await backend.reads.skus("A", 10)] == ["C"]
    assert [x.id for x in await backend.reads.locations(None, 10)] == ["x", "z"]
    assert [x.id for x in await backend.reads.locations(None, 10, archived=True)] == ["y"]


async def test_an_archived_sku_can_no_longer_be_held_ordered_or_sold(backend: Container) -> None:
    await setup(backend)
    await backend.bus.handle(ArchiveSku("A"), ADMIN)
    attempts = [
        Reserve((LineRequest("B", 1), LineRequest("A", 1))),
        Reserve((LineRequest("A", 1, "x"),)),
        PlaceOrder("O1", "f", lines=(LineRequest("A", 1),)),
        RecordSale("x", "R1", (SkuQuantity("A", 1),), "f"),
    ]
    for cmd in attempts:
        with pytest.raises(errors.InvalidRequest, match=r"SKU 'A' is archived") as caught:
            await backend.bus.handle(cmd, ADMIN)
        assert [e["field"] for e in caught.value.extra["errors"]] == [
            f"lines[{len(cmd.lines) - 1}].sku"  # type: ignore[attr-defined]
        ]
        assert not isinstance(caught.value, errors.UnknownReference)
    # Its stock may still be counted, moved and written off.
    await backend.bus.handle(
        Adjust((Change(LevelKey("A", "x"), State.ON_HAND, "write-off", delta=-2),)), ADMIN
    )
    await backend.bus.handle(CreateTransfer("x", "y", (SkuQuantity("A", 1),)), ADMIN)
    assert (await backend.reads.verify()).clean


async def test_holds_and_orders_of_a_sku_archived_since_are_still_served(
    backend: Container,
) -> None:
    await setup(backend)
    to_commit = await backend.bus.handle(Reserve((LineRequest("A", 2),)), ADMIN)
    to_order = await backend.bus.handle(Reserve((LineRequest("A", 1),)), ADMIN)
    to_release = await backend.bus.handle(Reserve((LineRequest("A", 1),)), ADMIN)
    await backend.bus.handle(PlaceOrder("OPEN", "f", lines=(LineRequest("A", 2, "x"),)), ADMIN)
    await backend.bus.handle(PlaceOrder("CANCEL", "f", lines=(LineRequest("A", 1, "y"),)), ADMIN)
    await backend.bus.handle(ArchiveSku("A"), ADMIN)

    committed = await backend.bus.handle(CommitReservation(to_commit.id, "FROM-HOLD"), ADMIN)
    assert committed.status is ReservationStatus.COMMITTED
    placed = await backend.bus.handle(PlaceOrder("PLACED", "f", reservation_id=to_order.id), ADMIN)
    assert placed.order.status is OrderStatus.OPEN
    released = await backend.bus.handle(ReleaseReservation(to_release.id), ADMIN)
    assert released.status is ReservationStatus.RELEASED
    await backend.bus.handle(ShipOrder("OPEN", "x", (SkuQuantity("A", 2),)), ADMIN)
    await backend.bus.handle(CancelOrder("CANCEL"), ADMIN)
    returned = await backend.bus.handle(
        ReturnItems("OPEN", "y", "resellable", (SkuQuantity("A", 1),)), ADMIN
    )
    assert returned.order_id == "OPEN"
    assert (await backend.reads.verify()).clean


async def test_an_archived_location_is_never_chosen_and_says_why(backend: Container) -> None:
    await setup(backend)
    await seed(backend.bus, locations={"z": 3}, stock={("A", "z"): 1})
    await backend.bus.handle(ArchiveLocation("x"), ADMIN)
    await backend.bus.handle(UpdateLocation("z", {"active": False}), ADMIN)
    held = await backend.bus.handle(Reserve((LineRequest("A", 3),)), ADMIN)
    assert [(x.location, x.quantity) for x in held.lines] == [("y", 3)]
    with pytest.raises(errors.InsufficientStock):
        await backend.bus.handle(Reserve((LineRequest("B", 11),)), ADMIN)
    for strategy in ("priority", "most_stock", "fewest_shipments"):
        planned = await quotes.quote(
            backend.reads,
            backend.clock.now(),
            [OrderLine("A", 1)],
            planning.Placement(strategy=strategy),
            "priority",
        )
        [line] = planned.plan.lines
        assert [a.location for a in line.allocations] == ["y"], strategy
        reasons = {r.location: r.reason for r in line.rejected}
        assert (reasons["x"], reasons["z"]) == ("archived", "inactive"), strategy


async def test_an_archived_location_cannot_be_named_in_new_work(backend: Container) -> None:
    await setup(backend)
    await seed(backend.bus, locations={"store": 5})
    await backend.bus.handle(UpdateLocation("store", {"pickup": True}), ADMIN)
    await backend.bus.handle(PlaceOrder("SHIPPED", "f", lines=(LineRequest("A", 2, "y"),)), ADMIN)
    await backend.bus.handle(ShipOrder("SHIPPED", "y", (SkuQuantity("A", 2),)), ADMIN)
    await backend.bus.handle(ArchiveLocation("x"), ADMIN)
    await backend.bus.handle(ArchiveLocation("store"), ADMIN)
    attempts = [
        Reserve((LineRequest("A", 1, "x"),)),
        Reserve((LineRequest("A", 1),), pickup_location="store"),
        PlaceOrder("O1", "f", lines=(LineRequest("A", 1, "x"),)),
        PlaceOrder("O2", "f", lines=(LineRequest("A", 1),), pickup_location="store"),
        CreateTransfer("x", "y", (SkuQuantity("A", 1),)),
        CreateTransfer("y", "x", (SkuQuantity("A", 1),)),
        ReturnItems("SHIPPED", "x", "resellable", (SkuQuantity("A", 1),)),
        RecordSale("x", "R1", (SkuQuantity("A", 1),), "f"),
    ]
    for cmd in attempts:
        with pytest.raises(errors.InvalidRequest, match="archived"):
            await backend.bus.handle(cmd, ADMIN)


async def test_holds_and_orders_at_a_location_archived_since_are_still_served(
    backend: Container,
) -> None:
    await setup(backend)
    held = await backend.bus.handle(Reserve((LineRequest("A", 2, "x"),)), ADMIN)
    kept = await backend.bus.handle(Reserve((LineRequest("B", 2, "x"),)), ADMIN)
    await backend.bus.handle(PlaceOrder("OPEN", "f", lines=(LineRequest("A", 3, "x"),)), ADMIN)
    await backend.bus.handle(ArchiveLocation("x"), ADMIN)
    # A line whose location the caller named never moves: the order is
    # placed where it is held, archived or not.
    placed = await backend.bus.handle(
        PlaceOrder("STAYED", "f", reservation_id=held.id, strategy="priority"), ADMIN
    )
    assert (placed.replanned, [x.location for x in placed.order.lines]) == (False, ["x"])
    committed = await backend.bus.handle(CommitReservation(kept.id, "KEPT"), ADMIN)
    assert committed.status is ReservationStatus.COMMITTED
    await backend.bus.handle(ShipOrder("OPEN", "x", (SkuQuantity("A", 3),)), ADMIN)
    await backend.bus.handle(ShipOrder("KEPT", "x", (SkuQuantity("B", 2),)), ADMIN)
    assert (await backend.reads.verify()).clean


async def test_a_sku_archived_elsewhere_changes_nothing_a_patch_does(backend: Container) -> None:
    await setup(backend)
    await backend.bus.handle(ArchiveSku("A"), ADMIN)
    renamed = await backend.bus.handle(UpdateSku("A", {"name": "Old A"}), ADMIN)
    assert (renamed.name, renamed.archived) == ("Old A", True)


async def test_archiving_at_once_from_many_callers_archives_once(db: Container) -> None:
    await setup(db)
    skus = await race(8, lambda _: db.bus.handle(ArchiveSku("A"), ADMIN))
    locations = await race(8, lambda _: db.bus.handle(ArchiveLocation("x"), ADMIN))
    assert {(s.archived, s.version) for s in skus} == {(True, 2)}  # type: ignore[union-attr]
    assert {(x.archived, x.version) for x in locations} == {(True, 2)}  # type: ignore[union-attr]
    assert await events_of(db, EventFilter(types=frozenset({"sku.archived"}))) == ["sku.archived"]
    archived = EventFilter(types=frozenset({"location.archived"}))
    assert await events_of(db, archived) == ["location.archived"]
