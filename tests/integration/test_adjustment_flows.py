"""Admin changes and catalog updates, on the fake and on PostgreSQL."""

from __future__ import annotations

import pytest

from stockd import errors
from stockd.bootstrap import Container
from stockd.domain.adjustments import Change
from stockd.domain.commands import Adjust, LineRequest, Reserve, UpdateSku
from stockd.domain.quantities import Level, LevelKey, Quantities, State
from stockd.service.queries import EventFilter
from tests.support import ADMIN, seed

AX = LevelKey("A", "x")


async def level(c: Container, key: LevelKey = AX) -> Level:
    found = await c.reads.levels(
        c.clock.now(), sku=key.sku, location=key.location, after=None, limit=1
    )
    return found[0]


async def adjust(c: Container, *changes: Change, atomic: bool = True) -> object:
    return await c.bus.handle(Adjust(changes, atomic=atomic), ADMIN)


async def test_receiving_creates_the_level_and_records_the_event(backend: Container) -> None:
    await seed(backend.bus, skus={"A": 0}, locations={"x": 1})
    await adjust(backend, Change(AX, State.ON_HAND, "PO-1", delta=10, reference="po-1"))
    assert (await level(backend)).quantities == Quantities(on_hand=10)
    [event] = await backend.reads.events(0, 10, EventFilter(families=frozenset({"stock"})))
    assert event.event.type == "stock.adjusted"
    assert (event.event.reason, event.event.reference) == ("PO-1", "po-1")
    assert event.event.after == Quantities(on_hand=10)


async def test_an_atomic_bulk_with_one_bad_change_applies_nothing(backend: Container) -> None:
    await seed(backend.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 5})
    with pytest.raises(errors.BulkRejected) as caught:
        await adjust(
            backend,
            Change(AX, State.ON_HAND, "ok", delta=5),
            Change(LevelKey("NOPE", "x"), State.ON_HAND, "bad", delta=1),
            Change(AX, State.ON_HAND, "too much", delta=-50),
        )
    assert [(e.index, e.code) for e in caught.value.items] == [
        (1, "unknown_reference"),
        (2, "invariant_violation"),
    ]
    assert caught.value.is_validation
    assert (await level(backend)).quantities == Quantities(on_hand=5)
    assert (await backend.reads.verify()).clean


async def test_a_non_atomic_bulk_applies_the_good_changes(backend: Container) -> None:
    await seed(backend.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 5})
    result = await adjust(
        backend,
        Change(AX, State.ON_HAND, "ok", delta=5),
        Change(AX, State.ON_HAND, "too much", delta=-50),
        Change(AX, State.SAFETY_STOCK, "buffer", delta=2),
        atomic=False,
    )
    outcomes = result.outcomes  # type: ignore[attr-defined]
    assert [o.error.code if o.error else "ok" for o in outcomes] == [
        "ok",
        "invariant_violation",
        "ok",
    ]
    assert (await level(backend)).quantities == Quantities(on_hand=10, safety_stock=2)
    assert (await backend.reads.verify()).clean


async def test_a_count_with_expected_is_compare_and_set(backend: Container) -> None:
    await seed(backend.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 5})
    await adjust(backend, Change(AX, State.ON_HAND, "count", set_to=4, expected=5))
    with pytest.raises(errors.BulkRejected) as caught:
        await adjust(backend, Change(AX, State.ON_HAND, "count", set_to=9, expected=5))
    assert caught.value.items[0].code == "version_conflict"
    assert not caught.value.is_validation
    assert (await level(backend)).quantities.on_hand == 4


async def test_expected_version_detects_a_lost_update(backend: Container) -> None:
    await seed(backend.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 5})
    version = (await level(backend)).version
    await adjust(backend, Change(AX, State.SAFETY_STOCK, "a", delta=1, expected_version=version))
    with pytest.raises(errors.BulkRejected):
        await adjust(
            backend, Change(AX, State.SAFETY_STOCK, "b", delta=1, expected_version=version)
        )


async def test_moving_units_to_damaged_is_one_change(backend: Container) -> None:
    await seed(backend.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 5})
    await adjust(backend, Change(AX, State.DAMAGED, "dropped", delta=2, from_state=State.ON_HAND))
    lvl = await level(backend)
    assert (lvl.quantities.on_hand, lvl.quantities.damaged, lvl.available) == (5, 2, 3)


async def test_shrinking_stock_below_what_is_held_is_refused(backend: Container) -> None:
    await seed(backend.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 5})
    await backend.bus.handle(Reserve((LineRequest("A", 4),)), ADMIN)
    with pytest.raises(errors.BulkRejected, match="nothing was applied") as caught:
        await adjust(backend, Change(AX, State.ON_HAND, "shrink", delta=-2))
    assert "available would be -1" in caught.value.items[0].detail


async def test_a_policy_change_that_would_strand_backorders_is_refused(
    backend: Container,
) -> None:
    await seed(
        backend.bus,
        skus={"B": 0},
        locations={"x": 1},
        stock={("B", "x"): 1},
        backorder={"B": 5},
        inbound={("B", "x"): 3},
    )
    await backend.bus.handle(Reserve((LineRequest("B", 4),)), ADMIN)
    with pytest.raises(errors.InvariantViolation):
        await backend.bus.handle(UpdateSku("B", {"policy": "deny"}), ADMIN)
    updated = await backend.bus.handle(UpdateSku("B", {"backorder_cap": 3}), ADMIN)
    assert updated.policy.backorder_cap == 3
    assert (await level(backend, LevelKey("B", "x"))).floor == -3


async def test_sku_updates_check_the_expected_version(backend: Container) -> None:
    await seed(backend.bus, skus={"A": 0})
    updated = await backend.bus.handle(UpdateSku("A", {"name": "New"}, expected_version=1), ADMIN)
    assert (updated.name, updated.version) == ("New", 2)
    with pytest.raises(errors.VersionConflict):
        await backend.bus.handle(UpdateSku("A", {"name": "Newer"}, expected_version=1), ADMIN)
