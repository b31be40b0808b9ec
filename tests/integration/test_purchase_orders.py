"""Purchase orders: inbound units raise `incoming`, arrive into `on_hand`,
or are cut; bad requests write nothing. On the fake and PostgreSQL alike."""

from __future__ import annotations

from datetime import timedelta

import pytest

from stockd import errors
from stockd.bootstrap import Container
from stockd.domain.adjustments import Change
from stockd.domain.commands import (
    Adjust,
    ChangePurchaseOrderEta,
    ChangeTransferEta,
    CreatePurchaseOrder,
    CreateTransfer,
    CutPurchaseOrder,
    ReceivePurchaseOrder,
    ReceiveTransfer,
    SkuQuantity,
)
from stockd.domain.inbound import PurchaseOrderStatus
from stockd.domain.quantities import LevelKey, Quantities, State
from tests.support import ADMIN, T0, seed

ETA = T0 + timedelta(days=14)


def po(
    po_id: str = "PO-1",
    lines: tuple[SkuQuantity, ...] = (SkuQuantity("A", 10), SkuQuantity("B", 4)),
    *,
    location: str = "x",
    eta: object = ETA,
) -> CreatePurchaseOrder:
    return CreatePurchaseOrder(po_id, "ACME", location, lines, eta)  # type: ignore[arg-type]


async def level(c: Container, sku: str, location: str = "x") -> Quantities:
    found = await c.reads.levels(c.clock.now(), sku=sku, location=location, after=None, limit=1)
    return found[0].quantities if found else Quantities()


async def event_types(c: Container) -> list[str]:
    return [r.event.type for r in await c.reads.events(0, 1000)]


async def setup(c: Container) -> None:
    await seed(c.bus, skus={"A": 0, "B": 0}, locations={"x": 1, "y": 2}, stock={("A", "x"): 3})


async def test_a_purchase_order_raises_incoming_and_is_read_back(backend: Container) -> None:
    await setup(backend)
    created = await backend.bus.handle(po(), ADMIN)
    assert created.status is PurchaseOrderStatus.OPEN
    assert [(x.sku, x.quantity, x.open) for x in created.lines] == [("A", 10, 10), ("B", 4, 4)]
    assert (await level(backend, "A")).incoming == 10
    assert (await level(backend, "B")).incoming == 4
    assert (await level(backend, "A")).on_hand == 3
    found = await backend.reads.purchase_order("PO-1")
    assert found is not None
    assert (found.expected_at, found.supplier) == (ETA, "ACME")
    types = await event_types(backend)
    assert types[-3:] == ["inbound.ordered", "inbound.created", "inbound.created"]
    assert (await backend.reads.verify()).discrepancies == ()


@pytest.mark.parametrize(
    ("cmd", "error"),
    [
        (po(eta=T0 - timedelta(days=1)), errors.InvalidRequest),
        (po(lines=(SkuQuantity("NOPE", 1),)), errors.UnknownReference),
        (po(location="nowhere"), errors.UnknownReference),
        (po(lines=(SkuQuantity("A", 1), SkuQuantity("A", 2))), errors.DuplicateLines),
    ],
    ids=["eta before today", "unknown sku", "unknown location", "same sku twice"],
)
async def test_bad_purchase_orders_are_refused_and_write_nothing(
    backend: Container, cmd: CreatePurchaseOrder, error: type[errors.StockdError]
) -> None:
    await setup(backend)
    before = await event_types(backend)
    with pytest.raises(error) as caught:
        await backend.bus.handle(cmd, ADMIN)
    if error is errors.InvalidRequest:
        assert "before today" in caught.value.detail
        assert caught.value.extra["errors"][0]["field"] == "expected_at"
    assert await event_types(backend) == before
    assert await backend.reads.purchase_order("PO-1") is None
    assert (await level(backend, "A")).incoming == 0


async def test_an_eta_later_today_is_accepted_and_a_taken_id_is_refused(
    backend: Container,
) -> None:
    await setup(backend)
    await backend.bus.handle(po(eta=T0 - timedelta(hours=1)), ADMIN)  # same UTC day
    with pytest.raises(errors.AlreadyExists):
        await backend.bus.handle(po(lines=(SkuQuantity("A", 1),)), ADMIN)
    assert (await level(backend, "A")).incoming == 10


async def test_partial_receipts_move_units_to_on_hand_until_received(
    backend: Container,
) -> None:
    await setup(backend)
    await backend.bus.handle(po(), ADMIN)
    after = await backend.bus.handle(ReceivePurchaseOrder("PO-1", (SkuQuantity("A", 4),)), ADMIN)
    assert after.status is PurchaseOrderStatus.PARTIALLY_RECEIVED
    assert after.line("A").open == 6  # type: ignore[union-attr]
    a = await level(backend, "A")
    assert (a.on_hand, a.incoming) == (7, 6)
    done = await backend.bus.handle(
        ReceivePurchaseOrder("PO-1", (SkuQuantity("A", 6), SkuQuantity("B", 4))), ADMIN
    )
    assert done.status is PurchaseOrderStatus.RECEIVED
    assert (await level(backend, "B")).on_hand == 4
    assert (await backend.reads.verify()).discrepancies == ()


async def test_receiving_more_than_open_names_the_line_and_receives_nothing(
    backend: Container,
) -> None:
    await setup(backend)
    await seed(backend.bus, skus={"C": 0})
    await backend.bus.handle(po(), ADMIN)
    lines = (SkuQuantity("A", 2), SkuQuantity("B", 5))
    with pytest.raises(errors.BeyondRecorded) as caught:
        await backend.bus.handle(ReceivePurchaseOrder("PO-1", lines), ADMIN)
    assert [(i.index, i.code) for i in caught.value.items] == [(1, "exceeds_open")]
    before = await event_types(backend)
    with pytest.raises(errors.BeyondRecorded) as caught:
        await backend.bus.handle(ReceivePurchaseOrder("PO-1", (SkuQuantity("C", 1),)), ADMIN)
    assert [(i.index, i.code) for i in caught.value.items] == [(0, "not_in_purchase_order")]
    with pytest.raises(errors.UnknownReference):
        await backend.bus.handle(ReceivePurchaseOrder("PO-1", (SkuQuantity("Z", 1),)), ADMIN)
    with pytest.raises(errors.NotFound):
        await backend.bus.handle(ReceivePurchaseOrder("PO-9", (SkuQuantity("A", 1),)), ADMIN)
    assert await event_types(backend) == before
    assert (await level(backend, "A")).on_hand == 3


async def test_cutting_lowers_incoming_and_cancelling_cuts_every_open_unit(
    backend: Container,
) -> None:
    await setup(backend)
    await backend.bus.handle(po(), ADMIN)
    cut = await backend.bus.handle(CutPurchaseOrder("PO-1", (SkuQuantity("A", 3),)), ADMIN)
    assert cut.line("A").cut == 3  # type: ignore[union-attr]
    assert (await level(backend, "A")).incoming == 7
    cancelled = await backend.bus.handle(CutPurchaseOrder("PO-1", reason="supplier gone"), ADMIN)
    assert cancelled.status is PurchaseOrderStatus.CANCELLED
    assert ((await level(backend, "A")).incoming, (await level(backend, "B")).incoming) == (0, 0)
    with pytest.raises(errors.BeyondRecorded) as caught:
        await backend.bus.handle(CutPurchaseOrder("PO-1"), ADMIN)
    assert caught.value.items[0].code == "nothing_open"
    assert (await backend.reads.verify()).discrepancies == ()


async def test_a_new_eta_is_an_event_and_the_same_one_changes_nothing(
    backend: Container,
) -> None:
    await setup(backend)
    await backend.bus.handle(po(), ADMIN)
    later = ETA + timedelta(days=7)
    moved = await backend.bus.handle(ChangePurchaseOrderEta("PO-1", later), ADMIN)
    assert (moved.expected_at, moved.version) == (later, 2)
    [record] = [
        r for r in await backend.reads.events(0, 100) if r.event.type == "inbound.eta_changed"
    ]
    assert (record.event.previous, record.event.expected_at) == (ETA, later)  # type: ignore[attr-defined]
    count = len(await event_types(backend))
    assert (await backend.bus.handle(ChangePurchaseOrderEta("PO-1", later), ADMIN)).version == 2
    assert len(await event_types(backend)) == count
    with pytest.raises(errors.VersionConflict):
        await backend.bus.handle(ChangePurchaseOrderEta("PO-1", ETA, expected_version=1), ADMIN)
    with pytest.raises(errors.InvalidRequest):
        await backend.bus.handle(ChangePurchaseOrderEta("PO-1", T0 - timedelta(days=2)), ADMIN)


async def test_incoming_owed_to_a_purchase_order_cannot_be_adjusted_away(
    backend: Container,
) -> None:
    await setup(backend)
    await backend.bus.handle(po(), ADMIN)
    change = Change(LevelKey("A", "x"), State.INCOMING, "count", set_to=2)
    with pytest.raises(errors.BulkRejected) as caught:
        await backend.bus.handle(Adjust((change,)), ADMIN)
    assert "10 units on their way" in caught.value.items[0].detail


async def test_a_transfer_keeps_its_eta_defaulting_to_the_configured_transit(
    backend: Container,
) -> None:
    await setup(backend)
    await seed(backend.bus, stock={("A", "y"): 5})
    t = await backend.bus.handle(CreateTransfer("y", "x", (SkuQuantity("A", 2),)), ADMIN)
    assert t.expected_at == T0 + timedelta(days=7)
    eta = T0 + timedelta(days=2)
    t2 = await backend.bus.handle(
        CreateTransfer("y", "x", (SkuQuantity("A", 1),), expected_at=eta), ADMIN
    )
    assert (await backend.reads.transfer(t2.id)).expected_at == eta  # type: ignore[union-attr]
    with pytest.raises(errors.InvalidRequest):
        await backend.bus.handle(
            CreateTransfer("y", "x", (SkuQuantity("A", 1),), expected_at=T0 - timedelta(days=3)),
            ADMIN,
        )


async def test_a_transfer_in_flight_takes_a_new_eta_and_bad_changes_write_nothing(
    backend: Container,
) -> None:
    await setup(backend)
    await seed(backend.bus, stock={("A", "y"): 5})
    t = await backend.bus.handle(
        CreateTransfer("y", "x", (SkuQuantity("A", 2),), expected_at=ETA), ADMIN
    )
    assert t.version == 1
    later = ETA + timedelta(days=3)
    moved = await backend.bus.handle(ChangeTransferEta(t.id, later), ADMIN)
    assert (moved.expected_at, moved.version) == (later, 2)
    count = len(await event_types(backend))
    assert (await backend.bus.handle(ChangeTransferEta(t.id, later), ADMIN)).version == 2
    refused: list[tuple[ChangeTransferEta, type[errors.StockdError]]] = [
        (ChangeTransferEta(t.id, T0 - timedelta(days=2)), errors.InvalidRequest),
        (ChangeTransferEta(t.id, ETA, expected_version=1), errors.VersionConflict),
        (ChangeTransferEta("trf-nope", ETA), errors.NotFound),
    ]
    for cmd, error in refused:
        with pytest.raises(error):
            await backend.bus.handle(cmd, ADMIN)
    assert len(await event_types(backend)) == count
    await backend.bus.handle(ReceiveTransfer(t.id), ADMIN)
    count = len(await event_types(backend))
    with pytest.raises(errors.NothingInTransit) as caught:
        await backend.bus.handle(ChangeTransferEta(t.id, ETA), ADMIN)
    assert caught.value.extra["transfer_status"] == "received"
    assert len(await event_types(backend)) == count
    assert (await backend.reads.transfer(t.id)).expected_at == later  # type: ignore[union-attr]
