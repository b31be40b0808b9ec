"""`incoming` that open transfers still owe a level cannot be adjusted away:
the units left the source, and a receipt must find them expected. On the fake
and PostgreSQL alike, and raced for real on PostgreSQL."""

from __future__ import annotations

import pytest

from stockd import errors
from stockd.bootstrap import Container
from stockd.domain.adjustments import Change
from stockd.domain.commands import Adjust, CreateTransfer, ReceiveTransfer, SkuQuantity
from stockd.domain.quantities import LevelKey, Quantities, State
from stockd.domain.transfers import TransferStatus
from tests.support import ADMIN, race, seed

X = LevelKey("A", "x")


async def setup(c: Container) -> str:
    """A 6-unit transfer from y to x, in transit."""
    await seed(c.bus, skus={"A": 0}, locations={"x": 1, "y": 2}, stock={("A", "y"): 20})
    transfer = await c.bus.handle(CreateTransfer("y", "x", (SkuQuantity("A", 6),)), ADMIN)
    return str(transfer.id)


def incoming(*, delta: int | None = None, set_to: int | None = None) -> Change:
    return Change(X, State.INCOMING, "po", delta=delta, set_to=set_to)


async def at_x(c: Container) -> Quantities:
    [level] = await c.reads.levels(c.clock.now(), sku="A", location="x", after=None, limit=1)
    return level.quantities


async def test_incoming_owed_to_open_transfers_cannot_be_adjusted_or_counted_away(
    backend: Container,
) -> None:
    transfer = await setup(backend)
    for change in (incoming(set_to=0), incoming(delta=-1), incoming(set_to=5)):
        with pytest.raises(errors.BulkRejected) as caught:
            await backend.bus.handle(Adjust((change,)), ADMIN)
        [item] = caught.value.items
        assert item.code == "invariant_violation"
        assert "6 units on their way" in item.detail
    result = await backend.bus.handle(Adjust((incoming(set_to=0),), atomic=False), ADMIN)
    assert result.applied == 0
    assert (await at_x(backend)).incoming == 6

    # Incoming beyond what is in transit (a purchase order) comes and goes freely.
    await backend.bus.handle(Adjust((incoming(delta=4),)), ADMIN)
    await backend.bus.handle(Adjust((incoming(delta=-3), incoming(set_to=6))), ADMIN)
    assert (await at_x(backend)).incoming == 6

    received = await backend.bus.handle(ReceiveTransfer(transfer), ADMIN)
    assert received.status is TransferStatus.RECEIVED
    assert (await at_x(backend)).incoming == 0
    await backend.bus.handle(Adjust((incoming(delta=2), incoming(delta=-2))), ADMIN)
    assert (await backend.reads.verify()).discrepancies == ()


async def test_a_partial_receipt_frees_only_what_arrived(backend: Container) -> None:
    transfer = await setup(backend)
    await backend.bus.handle(ReceiveTransfer(transfer, (SkuQuantity("A", 4),)), ADMIN)
    with pytest.raises(errors.BulkRejected):
        await backend.bus.handle(Adjust((incoming(set_to=1),)), ADMIN)
    await backend.bus.handle(Adjust((incoming(set_to=2),)), ADMIN)
    assert (await backend.bus.handle(ReceiveTransfer(transfer), ADMIN)).lines[0].in_transit == 0


async def test_a_count_racing_a_transfer_never_strands_it(db: Container) -> None:
    """A count of zero `incoming` and a new transfer to the same level, started
    together, round after round: whichever commits first, the transfer is
    still owed its unit and can be received."""
    await seed(db.bus, skus={"A": 0}, locations={"x": 1, "y": 2}, stock={("A", "y"): 100})
    for round_ in range(20):
        await db.bus.handle(Adjust((incoming(delta=1),)), ADMIN)  # a purchase order

        async def work(i: int) -> object:
            if i == 0:
                return await db.bus.handle(Adjust((incoming(set_to=0),)), ADMIN)
            return await db.bus.handle(CreateTransfer("y", "x", (SkuQuantity("A", 1),)), ADMIN)

        count, transfer = await race(2, work)
        assert not isinstance(transfer, BaseException), transfer
        counted = not isinstance(count, BaseException)
        if not counted:
            assert isinstance(count, errors.BulkRejected), count
        assert (await at_x(db)).incoming == (1 if counted else 2), round_
        received = await db.bus.handle(ReceiveTransfer(transfer.id), ADMIN)  # type: ignore[attr-defined]
        assert received.status is TransferStatus.RECEIVED
        await db.bus.handle(Adjust((incoming(set_to=0),)), ADMIN)
    assert (await db.reads.verify()).discrepancies == ()
