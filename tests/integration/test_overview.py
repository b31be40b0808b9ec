"""The overview (counts, out-of-stock and low-stock SKUs) reads the same on
the in-memory fake and on PostgreSQL: live quantities, archived SKUs left
out, a SKU without levels out of stock, lowest first, capped."""

from __future__ import annotations

from stockd.adapters.clock import ManualClock
from stockd.bootstrap import Container
from stockd.domain.commands import ArchiveSku, LineRequest, Reserve, UpdateLocation
from stockd.service.queries import SkuStock
from tests.support import ADMIN, T0, seed


async def stocked(c: Container) -> None:
    """E: none anywhere; D: 0 left; L1 and L3 low; OK plenty; GONE archived."""
    await seed(
        c.bus,
        skus=dict.fromkeys(("E", "D", "L1", "L3", "OK", "GONE"), 0),
        locations={"x": 1, "y": 2},
        stock={
            ("D", "x"): 2,
            ("L1", "x"): 1,
            ("L3", "x"): 2,
            ("L3", "y"): 1,
            ("OK", "x"): 50,
            ("GONE", "x"): 1,
        },
    )
    await c.bus.handle(Reserve((LineRequest("D", 2, "x"),), ttl_seconds=60), ADMIN)
    await c.bus.handle(ArchiveSku("GONE"), ADMIN)


async def test_counts_and_both_lists_lowest_first(backend: Container) -> None:
    await stocked(backend)
    found = await backend.reads.overview(T0, 5, 20)
    assert (found.skus, found.locations, found.active_reservations) == (5, 2, 1)
    assert found.ledger_head == await backend.reads.ledger_head()
    assert found.out_of_stock == (SkuStock("D", "D", 0, 1), SkuStock("E", "E", 0, 0))
    assert found.low_stock == (SkuStock("L1", "L1", 1, 1), SkuStock("L3", "L3", 3, 2))
    assert (found.out_of_stock_count, found.low_stock_count) == (2, 2)


async def test_the_threshold_and_the_cap(backend: Container) -> None:
    await stocked(backend)
    found = await backend.reads.overview(T0, 3, 1)
    assert [s.sku for s in found.out_of_stock] == ["D"]
    assert [s.sku for s in found.low_stock] == ["L1"]  # L3 has 3: not below 3
    assert (found.out_of_stock_count, found.low_stock_count) == (2, 1)
    nothing_low = await backend.reads.overview(T0, 1, 20)
    assert (nothing_low.low_stock, nothing_low.low_stock_count) == ((), 0)
    assert nothing_low.out_of_stock_count == 2


async def test_stock_at_an_inactive_location_is_not_available(backend: Container) -> None:
    await stocked(backend)
    await backend.bus.handle(UpdateLocation("y", {"active": False}), ADMIN)
    found = await backend.reads.overview(T0, 5, 20)
    assert found.low_stock == (SkuStock("L1", "L1", 1, 1), SkuStock("L3", "L3", 2, 1))


async def test_a_hold_past_its_deadline_no_longer_counts(backend: Container) -> None:
    await stocked(backend)
    clock = backend.clock
    assert isinstance(clock, ManualClock)
    later = clock.advance(61)  # the expiry worker has not run: the hold is still active
    found = await backend.reads.overview(later, 5, 20)
    assert found.active_reservations == 0
    assert [(s.sku, s.available) for s in found.out_of_stock] == [("E", 0)]
    assert [(s.sku, s.available) for s in found.low_stock] == [("L1", 1), ("D", 2), ("L3", 3)]
