"""Holds through sales channels: each takes its own pool, the shared pool,
then (waterfall) the pools of channels below it, never the pools of those
above; a hold through no channel takes the shared pool only. The counters
of units outstanding per channel follow the holds and orders, and `ledger
verify` replays them. On the fake and on PostgreSQL; races on PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import asyncpg
import pytest

from stockd import errors
from stockd.bootstrap import Container
from stockd.domain.allocation import OrderLine
from stockd.domain.channels import BYPASS, Channel, ChannelKind, PoolShare, SkuChannels, pooled
from stockd.domain.commands import (
    CancelOrder,
    CommitReservation,
    CreateChannel,
    LineRequest,
    PlaceOrder,
    RecordSale,
    ReleaseReservation,
    Reserve,
    SetChannelPools,
    ShipOrder,
    SkuQuantity,
    UpdateChannel,
)
from stockd.domain.events import Reserved
from stockd.domain.quantities import LevelKey, Quantities
from stockd.domain.reservations import HoldLine, Reservation, ReservationStatus
from stockd.service.planning import Placement
from stockd.service.pools import channel_availability
from stockd.service.ports import ChannelGuard
from stockd.service.queries import EventFilter
from stockd.service.quotes import quote
from tests.support import ADMIN, race, seed

WEB = Channel("web", "Own site", ChannelKind.WEB, priority=1)
AMAZON = Channel("amazon", "Amazon", ChannelKind.MARKETPLACE, priority=2)
STORES = Channel("stores", "Stores", ChannelKind.STORE, priority=3)


async def setup(backend: Container, total: int, pools: list[PoolShare]) -> None:
    await seed(backend.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): total})
    for channel in (WEB, AMAZON, STORES):
        await backend.bus.handle(CreateChannel(channel), ADMIN)
    await backend.bus.handle(SetChannelPools("A", tuple(pools)), ADMIN)


def hold(units: int, channel: str | None) -> Reserve:
    return Reserve((LineRequest("A", units, "x"),), channel=channel)


async def outstanding(backend: Container) -> dict[str, int]:
    [stock] = (await _stock(backend)).values()
    return dict(stock.outstanding)


async def _stock(backend: Container) -> dict[str, SkuChannels]:
    async with backend.bus.uow() as uow:
        return dict(await uow.channels.stock({"A"}))


async def test_a_channel_takes_its_pool_the_shared_pool_and_the_pools_below_never_above(
    backend: Container,
) -> None:
    # 100 units: web 50, amazon 20, stores 10, shared 20.
    await setup(
        backend,
        100,
        [PoolShare("web", 50), PoolShare("amazon", units=20), PoolShare("stores", 10)],
    )
    # Amazon: its 20, the shared 20, the stores' 10 — never the web's 50.
    await backend.bus.handle(hold(50, "amazon"), ADMIN)
    with pytest.raises(errors.ChannelShort) as short:
        await backend.bus.handle(hold(1, "amazon"), ADMIN)
    assert short.value.lines[0].room == 0
    # No channel: the shared pool only, and amazon has used it up.
    with pytest.raises(errors.ChannelShort, match="shared pool"):
        await backend.bus.handle(hold(1, None), ADMIN)
    # The stores are the least important: their pool is gone to amazon too.
    with pytest.raises(errors.ChannelShort):
        await backend.bus.handle(hold(1, "stores"), ADMIN)
    # The web keeps its 50, ring-fenced.
    await backend.bus.handle(hold(50, "web"), ADMIN)
    assert await outstanding(backend) == {"amazon": 50, "web": 50}
    assert (await backend.reads.verify()).clean


async def test_without_a_waterfall_a_channel_stops_at_the_shared_pool(
    backend: Container,
) -> None:
    await setup(backend, 100, [PoolShare("amazon", 30), PoolShare("stores", 30)])
    await backend.bus.handle(UpdateChannel("amazon", {"waterfall": False}), ADMIN)
    await backend.bus.handle(hold(70, "amazon"), ADMIN)  # 30 + shared 40
    with pytest.raises(errors.ChannelShort):
        await backend.bus.handle(hold(1, "amazon"), ADMIN)
    await backend.bus.handle(hold(30, "stores"), ADMIN)


async def test_admins_bypass_pools_with_a_star_and_unknown_or_inactive_channels_are_refused(
    backend: Container,
) -> None:
    await setup(backend, 10, [PoolShare("web", 100)])
    with pytest.raises(errors.ChannelShort):
        await backend.bus.handle(hold(1, None), ADMIN)
    held = await backend.bus.handle(hold(4, BYPASS), ADMIN)
    assert held.channel == BYPASS
    with pytest.raises(errors.UnknownReference, match="ebay"):
        await backend.bus.handle(hold(1, "ebay"), ADMIN)
    await backend.bus.handle(UpdateChannel("stores", {"active": False}), ADMIN)
    with pytest.raises(errors.InvalidRequest, match="not active"):
        await backend.bus.handle(hold(1, "stores"), ADMIN)
    # What the admin took is gone from the web's figure too: 6 left.
    with pytest.raises(errors.InsufficientStock):
        await backend.bus.handle(hold(7, "web"), ADMIN)
    await backend.bus.handle(hold(6, "web"), ADMIN)
    assert await outstanding(backend) == {"web": 6}
    assert (await backend.reads.verify()).clean


async def test_a_sku_without_pools_sells_to_every_channel_alike(backend: Container) -> None:
    await setup(backend, 5, [])
    await backend.bus.handle(hold(3, "amazon"), ADMIN)
    await backend.bus.handle(hold(2, None), ADMIN)
    with pytest.raises(errors.InsufficientStock):
        await backend.bus.handle(hold(1, "web"), ADMIN)
    assert await outstanding(backend) == {"amazon": 3}


async def test_the_counters_follow_a_hold_into_its_order_and_out_again(
    backend: Container,
) -> None:
    await setup(backend, 100, [PoolShare("amazon", 30)])
    first: Reservation = await backend.bus.handle(hold(5, "amazon"), ADMIN)
    second: Reservation = await backend.bus.handle(hold(7, "amazon"), ADMIN)
    await backend.bus.handle(ReleaseReservation(first.id), ADMIN)
    assert await outstanding(backend) == {"amazon": 7}
    await backend.bus.handle(CommitReservation(second.id, "O-1"), ADMIN)
    assert await outstanding(backend) == {"amazon": 7}  # held -> committed: still out
    order = await backend.reads.order("O-1")
    assert order is not None
    assert order.channel == "amazon"
    await backend.bus.handle(ShipOrder("O-1", "x", (SkuQuantity("A", 3),)), ADMIN)
    assert await outstanding(backend) == {"amazon": 4}
    await backend.bus.handle(CancelOrder("O-1"), ADMIN)
    assert await outstanding(backend) == {"amazon": 0}
    events = [
        r.event
        for r in await backend.reads.events(0, 100, EventFilter(families=frozenset({"order"})))
    ]
    assert events
    assert all(e.channel == "amazon" for e in events)
    assert (await backend.reads.verify()).clean


async def test_40_buyers_on_a_30_unit_marketplace_pool_while_the_web_sells(
    db: Container,
) -> None:
    await setup(db, 100, [PoolShare("web", 70), PoolShare("amazon", 30)])

    async def buy(i: int) -> Reservation:
        held: Reservation = await db.bus.handle(hold(1, "amazon" if i < 40 else "web"), ADMIN)
        return held

    results = await race(60, buy)
    amazon = [r for r in results[:40] if isinstance(r, Reservation)]
    web = [r for r in results[40:] if isinstance(r, Reservation)]
    assert len(amazon) == 30, results[:40]
    assert all(isinstance(r, errors.ChannelShort) for r in results[:40] if r not in amazon)
    assert len(web) == 20  # the web's pool was never touched
    assert await outstanding(db) == {"amazon": 30, "web": 20}
    assert (await db.reads.verify()).clean


async def test_a_batch_decided_without_a_lock_is_written_only_while_its_guard_holds(
    backend: Container,
) -> None:
    """The one-statement write of holds through channels: refused when more
    was held since than the room the batch left (or the units for sale
    changed), written with the counts otherwise."""
    await setup(backend, 100, [PoolShare("web", 50), PoolShare("amazon", 30)])
    await backend.bus.handle(hold(5, "web"), ADMIN)  # what the guards below did not read
    read = ChannelGuard("A", for_sale=100, held=0, outstanding={}, slack=4)

    async def place(guard: ChannelGuard) -> bool:
        now = backend.clock.now()
        reservation = Reservation(
            id=f"res_{guard.slack}_{guard.for_sale}",
            status=ReservationStatus.ACTIVE,
            lines=(HoldLine("A", "x", 2, 2),),
            created_at=now,
            expires_at=now + timedelta(minutes=5),
            channel="amazon",
        )
        movement = Reserved(
            key=LevelKey("A", "x"),
            delta=Quantities(reserved=2),
            after=Quantities(),
            at=now,
            actor="test",
            reservation_id=reservation.id,
            channel="amazon",
        )
        deltas = {LevelKey("A", "x"): (Quantities(reserved=2), 1)}
        async with backend.bus.uow(autocommit=True) as uow:
            placed = await uow.reservations.place([reservation], deltas, [movement], now, [guard])
            await uow.commit()
        return placed

    assert not await place(read)  # 5 held since, room left 4
    assert not await place(replace(read, slack=5, for_sale=99))
    assert await outstanding(backend) == {"web": 5}
    assert await place(replace(read, slack=5))
    assert await outstanding(backend) == {"web": 5, "amazon": 2}
    assert (await backend.reads.verify()).clean


async def test_holds_through_no_channel_race_for_the_shared_pool_only(db: Container) -> None:
    await setup(db, 100, [PoolShare("web", 90)])

    async def buy(i: int) -> Reservation:
        held: Reservation = await db.bus.handle(hold(1, None), ADMIN)
        return held

    results = await race(30, buy)
    assert sum(isinstance(r, Reservation) for r in results) == 10
    assert (await db.reads.verify()).clean


@pytest.mark.parametrize(
    ("own", "defaults", "active"),
    [
        ([], None, True),
        ([], 20, True),
        ([], 20, False),
        ([PoolShare("web", 0)], 20, True),
        ([PoolShare("web", units=5)], None, True),
        ([PoolShare("web", units=5)], None, False),
        ([PoolShare("web", 0)], None, True),
    ],
)
async def test_the_sql_and_the_domain_agree_on_which_skus_are_split_into_pools(
    db: Container,
    raw: asyncpg.Connection,
    own: list[PoolShare],
    defaults: int | None,
    active: bool,
) -> None:
    await seed(db.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 10})
    web = Channel("web", "W", ChannelKind.WEB, 1, default_share_pct=defaults, active=active)
    await db.bus.handle(CreateChannel(web), ADMIN)
    await db.bus.handle(SetChannelPools("A", tuple(own)), ADMIN)
    in_sql = await raw.fetchval("SELECT stockd_pooled(ARRAY[$1])", "A")
    assert in_sql == pooled(own, {"web": web})


async def test_a_channels_availability_says_what_it_may_sell_and_what_it_is_shown(
    backend: Container,
) -> None:
    # 100 units: web 50, amazon 20, stores 10, shared 20; amazon shows 10% less.
    await setup(
        backend,
        100,
        [PoolShare("web", 50), PoolShare("amazon", units=20), PoolShare("stores", 10)],
    )
    await backend.bus.handle(UpdateChannel("amazon", {"safety_buffer_pct": 10}), ADMIN)

    async def seen(channel: str) -> dict[str, object]:
        found = await channel_availability(backend.reads, backend.availability, channel, "A")
        return found.as_dict()

    assert await seen("amazon") == {
        "channel": "amazon",
        "sku": "A",
        "sellable": 50,
        "advertised": 45,
        "pool": {"units": 20, "outstanding": 0, "free": 20},
        "shared_free": 20,
        "borrowable": 10,
    }
    await backend.bus.handle(hold(25, "amazon"), ADMIN)  # its 20 and 5 of the shared
    amazon = await seen("amazon")
    assert (amazon["sellable"], amazon["pool"], amazon["shared_free"]) == (
        25,
        {"units": 20, "outstanding": 25, "free": 0},
        15,
    )
    web = await seen("web")
    assert (web["sellable"], web["advertised"], web["borrowable"]) == (75, 75, 10)
    # Holding what it says it may, and not one more.
    await backend.bus.handle(hold(25, "amazon"), ADMIN)
    assert (await seen("amazon"))["sellable"] == 0
    await backend.bus.handle(UpdateChannel("stores", {"active": False}), ADMIN)
    assert (await seen("stores"))["sellable"] == 0
    with pytest.raises(errors.NotFound):
        await channel_availability(backend.reads, backend.availability, "ebay", "A")
    with pytest.raises(errors.NotFound):
        await channel_availability(backend.reads, backend.availability, "web", "B")


async def test_without_pools_a_channel_may_sell_all_that_is_available(
    backend: Container,
) -> None:
    await setup(backend, 10, [])
    await backend.bus.handle(hold(4, None), ADMIN)
    found = await channel_availability(backend.reads, backend.availability, "amazon", "A")
    assert (found.sellable, found.advertised, found.allowance.shared_free) == (6, 6, 6)


async def test_orders_and_sales_through_a_channel_keep_to_its_pools(backend: Container) -> None:
    await setup(backend, 100, [PoolShare("web", 80), PoolShare("amazon", units=10)])
    # A direct order through amazon: its 10 and the shared 10, never the web's 80.
    with pytest.raises(errors.ChannelShort):
        await backend.bus.handle(
            PlaceOrder("O-1", "f1", (LineRequest("A", 21, "x"),), channel="amazon"), ADMIN
        )
    placed = await backend.bus.handle(
        PlaceOrder("O-1", "f1", (LineRequest("A", 20, "x"),), channel="amazon"), ADMIN
    )
    assert placed.order.channel == "amazon"
    assert await outstanding(backend) == {"amazon": 20}
    # A sale with no channel: the shared pool, which amazon's order used up.
    with pytest.raises(errors.ChannelShort):
        await backend.bus.handle(RecordSale("x", "R-1", (SkuQuantity("A", 1),), "f"), ADMIN)
    await backend.bus.handle(
        RecordSale("x", "R-1", (SkuQuantity("A", 5),), "f", channel="web"), ADMIN
    )
    # A sale moves no counter (nothing is held or committed), but carries its channel.
    assert await outstanding(backend) == {"amazon": 20}
    # An order from a hold sells through the hold's channel, not another.
    held: Reservation = await backend.bus.handle(hold(2, "web"), ADMIN)
    with pytest.raises(errors.InvalidRequest, match="web"):
        await backend.bus.handle(
            PlaceOrder("O-2", "f2", reservation_id=held.id, channel="amazon"), ADMIN
        )
    await backend.bus.handle(PlaceOrder("O-2", "f2", reservation_id=held.id), ADMIN)
    assert await outstanding(backend) == {"amazon": 20, "web": 2}
    assert (await backend.reads.verify()).clean


async def test_a_quote_through_a_channel_is_refused_as_the_hold_would_be(
    backend: Container,
) -> None:
    await setup(backend, 100, [PoolShare("web", 90)])
    now = backend.clock.now()
    lines = [OrderLine("A", 11)]
    with pytest.raises(errors.ChannelShort):
        await quote(backend.reads, now, lines, Placement(None, None), "priority", "amazon")
    planned = await quote(backend.reads, now, lines, Placement(None, None), "priority", "web")
    assert planned.plan.feasible
