"""Backorders sell against inbound: every unit beyond stock is tied, first
come first served, to the earliest open inbound; an ETA slip or a cut
re-dates exactly the holds and orders tied to it. On the fake and
PostgreSQL, raced for real on PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from stockd import errors
from stockd.adapters.clock import ManualClock
from stockd.bootstrap import Container
from stockd.domain.commands import (
    CancelOrder,
    ChangePurchaseOrderEta,
    ChangeTransferEta,
    CommitReservation,
    CreatePurchaseOrder,
    CreateTransfer,
    CutPurchaseOrder,
    LineRequest,
    PlaceOrder,
    ReceivePurchaseOrder,
    ReleaseReservation,
    Reserve,
    SkuQuantity,
    UpdateSku,
)
from stockd.domain.events import InboundEtaChanged, PromiseChanged
from stockd.domain.promises import Holder, HolderKind, SupplyKind
from stockd.domain.quantities import LevelKey
from stockd.domain.reservations import Reservation
from stockd.service.handlers.orders import Placed
from tests.support import ADMIN, T0, race, seed

JAN = T0 + timedelta(days=10)
FEB = T0 + timedelta(days=40)
MAR = T0 + timedelta(days=70)
X = LevelKey("L", "x")


async def setup(c: Container, on_hand: int = 2, cap: int = 100) -> None:
    """Lamp L (backorder up to `cap`) with `on_hand` at x."""
    await seed(c.bus, skus={"L": 0}, locations={"x": 1}, stock={("L", "x"): on_hand})
    if cap:
        await c.bus.handle(UpdateSku("L", {"policy": "backorder", "backorder_cap": cap}), ADMIN)


async def purchase(c: Container, po_id: str, units: int, eta: datetime) -> None:
    await c.bus.handle(
        CreatePurchaseOrder(po_id, "ACME", "x", (SkuQuantity("L", units),), eta), ADMIN
    )


async def order(c: Container, order_id: str, units: int) -> Placed:
    placed: Placed = await c.bus.handle(
        PlaceOrder(order_id, order_id, lines=(LineRequest("L", units, "x"),)), ADMIN
    )
    return placed


async def hold(c: Container, units: int) -> Reservation:
    r: Reservation = await c.bus.handle(Reserve((LineRequest("L", units, "x"),)), ADMIN)
    return r


async def ties_of(c: Container, kind: HolderKind, holder_id: str) -> list[tuple[str, int]]:
    promises = await c.reads.promises(Holder(kind, holder_id))
    return [(f"{t.supply.value}:{t.supply_id}", t.quantity) for t in promises.ties]


async def changed(c: Container, after: int = 0) -> list[PromiseChanged]:
    return [
        r.event for r in await c.reads.events(after, 1000) if isinstance(r.event, PromiseChanged)
    ]


async def head(c: Container) -> int:
    records = await c.reads.events(0, 100_000)
    return records[-1].seq if records else 0


async def test_backorders_need_inbound_not_yet_promised(backend: Container) -> None:
    await setup(backend)
    with pytest.raises(errors.InsufficientStock) as caught:
        await order(backend, "O1", 3)  # 2 on hand, no inbound for the third
    assert caught.value.extra["lines"][0]["available"] == 0
    await purchase(backend, "PO-1", 5, JAN)
    await order(backend, "O1", 7)  # 2 on hand + 5 inbound
    assert await ties_of(backend, HolderKind.ORDER, "O1") == [("po:PO-1", 5)]
    with pytest.raises(errors.InsufficientStock):
        await hold(backend, 1)
    assert (await backend.reads.verify()).discrepancies == ()


async def test_backordered_units_tie_to_the_earliest_inbound_first(backend: Container) -> None:
    await setup(backend, on_hand=0)
    await purchase(backend, "PO-FEB", 4, FEB)
    await purchase(backend, "PO-JAN", 3, JAN)
    await order(backend, "O1", 5)
    assert await ties_of(backend, HolderKind.ORDER, "O1") == [("po:PO-JAN", 3), ("po:PO-FEB", 2)]
    got = await backend.reads.promises(Holder(HolderKind.ORDER, "O1"))
    assert got.promised == {X: FEB}
    held = await hold(backend, 2)
    assert await ties_of(backend, HolderKind.RESERVATION, held.id) == [("po:PO-FEB", 2)]
    with pytest.raises(errors.InsufficientStock):
        await hold(backend, 1)


async def test_ties_follow_the_hold_into_its_order_and_release_frees_them(
    backend: Container,
) -> None:
    await setup(backend, on_hand=0)
    await purchase(backend, "PO-1", 4, JAN)
    a = await hold(backend, 3)
    await backend.bus.handle(CommitReservation(a.id, "OA"), ADMIN)
    assert await ties_of(backend, HolderKind.RESERVATION, a.id) == []
    assert await ties_of(backend, HolderKind.ORDER, "OA") == [("po:PO-1", 3)]
    b = await hold(backend, 1)
    await backend.bus.handle(ReleaseReservation(b.id), ADMIN)
    assert await ties_of(backend, HolderKind.RESERVATION, b.id) == []
    await backend.bus.handle(CancelOrder("OA"), ADMIN)
    assert await ties_of(backend, HolderKind.ORDER, "OA") == []
    await order(backend, "OB", 4)  # all four inbound units are free again
    assert await ties_of(backend, HolderKind.ORDER, "OB") == [("po:PO-1", 4)]
    assert (await backend.reads.verify()).discrepancies == ()


async def test_a_slipped_eta_re_dates_exactly_the_orders_tied_to_it(backend: Container) -> None:
    await setup(backend, on_hand=0)
    await purchase(backend, "PO-JAN", 3, JAN)
    await purchase(backend, "PO-FEB", 3, FEB)
    await order(backend, "OA", 3)  # PO-JAN
    await order(backend, "OB", 3)  # PO-FEB
    since = await head(backend)
    await backend.bus.handle(ChangePurchaseOrderEta("PO-JAN", MAR), ADMIN)
    events = await changed(backend, since)
    assert [(e.order_id, e.previous, e.ready_at) for e in events] == [("OA", JAN, MAR)]
    assert await ties_of(backend, HolderKind.ORDER, "OB") == [("po:PO-FEB", 3)]
    at_risk = await backend.reads.at_risk(backend.clock.now(), None, 10)
    assert [(x.id, [(y.promised_ready_at, y.ready_at) for y in x.lines]) for x in at_risk] == [
        ("OA", [(JAN, MAR)])
    ]


async def test_a_transfer_that_slips_re_dates_exactly_the_orders_tied_to_it(
    backend: Container,
) -> None:
    await setup(backend, on_hand=0)
    await seed(backend.bus, locations={"y": 2}, stock={("L", "y"): 3})
    sent = await backend.bus.handle(
        CreateTransfer("y", "x", (SkuQuantity("L", 3),), expected_at=JAN), ADMIN
    )
    await purchase(backend, "PO-FEB", 3, FEB)
    await order(backend, "OA", 3)  # the transfer
    await order(backend, "OB", 3)  # PO-FEB
    assert await ties_of(backend, HolderKind.ORDER, "OA") == [(f"transfer:{sent.id}", 3)]
    since = await head(backend)
    moved = await backend.bus.handle(ChangeTransferEta(sent.id, MAR), ADMIN)
    assert (moved.expected_at, moved.version) == (MAR, 2)
    assert (await backend.reads.transfer(sent.id)).expected_at == MAR  # type: ignore[union-attr]
    events = [r.event for r in await backend.reads.events(since, 1000)]
    [eta] = [e for e in events if isinstance(e, InboundEtaChanged)]
    assert (eta.transfer_id, eta.purchase_order_id, eta.location) == (sent.id, None, "x")
    assert (eta.previous, eta.expected_at, eta.version) == (JAN, MAR, 2)
    changes = await changed(backend, since)
    assert [(e.order_id, e.previous, e.ready_at) for e in changes] == [("OA", JAN, MAR)]
    assert await ties_of(backend, HolderKind.ORDER, "OA") == [(f"transfer:{sent.id}", 3)]
    assert await ties_of(backend, HolderKind.ORDER, "OB") == [("po:PO-FEB", 3)]
    # Sooner again: the same holders, no one else, follow it back.
    since = await head(backend)
    await backend.bus.handle(ChangeTransferEta(sent.id, JAN, expected_version=2), ADMIN)
    changes = await changed(backend, since)
    assert [(e.order_id, e.previous, e.ready_at) for e in changes] == [("OA", MAR, JAN)]
    assert (await backend.reads.verify()).discrepancies == ()


async def test_a_cut_re_ties_the_last_promised_to_other_inbound_or_to_none(
    backend: Container,
) -> None:
    await setup(backend, on_hand=0)
    await purchase(backend, "PO-JAN", 4, JAN)
    await purchase(backend, "PO-FEB", 3, FEB)
    await order(backend, "OA", 2)  # PO-JAN 2
    await order(backend, "OB", 2)  # PO-JAN 2
    await order(backend, "OC", 2)  # PO-FEB 2
    since = await head(backend)
    await backend.bus.handle(CutPurchaseOrder("PO-JAN", (SkuQuantity("L", 3),)), ADMIN)
    # PO-JAN keeps 1 open: OA (first) keeps 1 of it, loses 1; OB loses both.
    # PO-FEB has 1 free: OA gets it (first come); OB has no inbound left.
    assert await ties_of(backend, HolderKind.ORDER, "OA") == [("po:PO-JAN", 1), ("po:PO-FEB", 1)]
    assert sorted(await ties_of(backend, HolderKind.ORDER, "OB")) == [("none:None", 2)]
    assert await ties_of(backend, HolderKind.ORDER, "OC") == [("po:PO-FEB", 2)]
    events = await changed(backend, since)
    assert [(e.order_id, e.previous, e.ready_at) for e in events] == [
        ("OA", JAN, FEB),
        ("OB", JAN, None),
    ]
    at_risk = await backend.reads.at_risk(backend.clock.now(), None, 10)
    assert {x.id for x in at_risk} == {"OA", "OB"}
    # New inbound dates the units left without one.
    await purchase(backend, "PO-MAR", 5, MAR)
    assert await ties_of(backend, HolderKind.ORDER, "OB") == [("po:PO-MAR", 2)]
    assert (await backend.reads.verify()).discrepancies == ()


async def test_receiving_turns_ties_into_stock_on_hand(backend: Container) -> None:
    await setup(backend, on_hand=0)
    await purchase(backend, "PO-1", 5, JAN)
    await order(backend, "OA", 2)
    await order(backend, "OB", 2)
    since = await head(backend)
    await backend.bus.handle(ReceivePurchaseOrder("PO-1", (SkuQuantity("L", 3),)), ADMIN)
    # First come first served: OA is covered in full, OB by one unit.
    assert await ties_of(backend, HolderKind.ORDER, "OA") == []
    assert await ties_of(backend, HolderKind.ORDER, "OB") == [("po:PO-1", 1)]
    assert [e.order_id for e in await changed(backend, since)] == ["OA"]
    await backend.bus.handle(ReceivePurchaseOrder("PO-1", (SkuQuantity("L", 2),)), ADMIN)
    assert await ties_of(backend, HolderKind.ORDER, "OB") == []
    assert (await backend.reads.verify()).discrepancies == ()


async def test_backorders_racing_for_the_last_inbound_units_never_over_promise(
    db: Container,
) -> None:
    """30 buyers, one unit each, for 10 inbound units and no stock: exactly
    10 win, and the inbound is promised exactly once per unit."""
    await setup(db, on_hand=0)
    await purchase(db, "PO-A", 6, JAN)
    await purchase(db, "PO-B", 4, FEB)

    async def buy(i: int) -> object:
        if i % 2:
            return await hold(db, 1)
        return await order(db, f"O{i}", 1)

    results = await race(30, buy)
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 10, lost
    assert all(isinstance(e, errors.InsufficientStock) for e in lost), lost
    assert db.pool is not None
    promised = await db.pool.fetch(
        "SELECT purchase_order_id, promised FROM purchase_order_lines ORDER BY 1"
    )
    assert [(r[0], r[1]) for r in promised] == [("PO-A", 6), ("PO-B", 4)]
    tied = await db.pool.fetchval("SELECT sum(quantity) FROM supply_ties")
    assert tied == 10
    [level] = await db.reads.levels(db.clock.now(), sku="L", location="x", after=None, limit=1)
    assert level.available == -10
    assert (await db.reads.verify()).discrepancies == ()


async def test_the_database_refuses_a_promise_beyond_open_units(db: Container) -> None:
    await setup(db, on_hand=0)
    await purchase(db, "PO-A", 2, JAN)
    assert db.pool is not None
    with pytest.raises(Exception, match="promised_within_open"):
        await db.pool.execute("UPDATE purchase_order_lines SET promised = 3")
    async with db.bus.uow() as uow:
        [inbound] = await uow.ties.inbound(X)
        assert (inbound.kind, inbound.free) == (SupplyKind.PURCHASE_ORDER, 2)
        assert not await uow.ties.add(Holder(HolderKind.ORDER, "X"), X, inbound, 3, T0)


async def test_preorders_sell_before_any_arrival_capped_in_total_until_their_end(
    backend: Container,
) -> None:
    until = T0 + timedelta(days=20)
    await seed(backend.bus, skus={"P": 0}, locations={"x": 1, "y": 2})
    await backend.bus.handle(
        UpdateSku("P", {"policy": "preorder", "preorder_cap": 3, "preorder_until": until}), ADMIN
    )
    assert (await backend.reads.sku("P")).policy.floor == -3  # type: ignore[union-attr]

    async def preorder(order_id: str, units: int, location: str) -> Placed:
        line = LineRequest("P", units, location)
        placed: Placed = await backend.bus.handle(
            PlaceOrder(order_id, order_id, lines=(line,)), ADMIN
        )
        return placed

    await preorder("PA", 2, "x")  # no level yet at x nor y: a preorder makes it
    await hold_of(backend, "P", 1, "y")
    assert await ties_of(backend, HolderKind.ORDER, "PA") == [("preorder:P", 2)]
    with pytest.raises(errors.InsufficientStock):  # 3 preordered over both levels: the cap
        await preorder("PC", 1, "x")
    with pytest.raises(errors.InsufficientStock):
        await hold_of(backend, "P", 1, "x")
    # Inbound at x: sold against it (dated) even with the allowance used up.
    await backend.bus.handle(
        CreatePurchaseOrder("PO-P", "ACME", "x", (SkuQuantity("P", 4),), JAN), ADMIN
    )
    await preorder("PC", 1, "x")
    assert await ties_of(backend, HolderKind.ORDER, "PC") == [("po:PO-P", 1)]
    # Arrivals cover the units tied to them, then the preorders, first come
    # first served, which frees the allowance.
    await backend.bus.handle(ReceivePurchaseOrder("PO-P", (SkuQuantity("P", 2),)), ADMIN)
    assert await ties_of(backend, HolderKind.ORDER, "PC") == []
    assert await ties_of(backend, HolderKind.ORDER, "PA") == [("preorder:P", 1)]
    await backend.bus.handle(ReceivePurchaseOrder("PO-P", (SkuQuantity("P", 1),)), ADMIN)
    assert await ties_of(backend, HolderKind.ORDER, "PA") == []
    await preorder("PD", 2, "y")  # the allowance PA freed
    assert (await backend.reads.verify()).discrepancies == ()
    # After its end the SKU sells as deny, inbound or not.
    assert isinstance(backend.clock, ManualClock)
    backend.clock.set(until + timedelta(seconds=1))
    with pytest.raises(errors.InsufficientStock, match="preorders ended"):
        await preorder("PE", 1, "x")


async def hold_of(c: Container, sku: str, units: int, location: str) -> Reservation:
    r: Reservation = await c.bus.handle(Reserve((LineRequest(sku, units, location),)), ADMIN)
    return r
