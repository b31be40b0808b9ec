"""Holds through sales channels: each takes its own pool, the shared pool,
then (waterfall) the pools of channels below it, never the pools of those
above; a hold through no channel takes the shared pool only. The counters
of units outstanding per channel follow the holds and orders, and `ledger
verify` replays them. On the fake and on PostgreSQL; races on PostgreSQL."""

from __future__ import annotations

import asyncpg
import pytest

from stockd import errors
from stockd.adapters.postgres.channels import POOLED_SQL
from stockd.bootstrap import Container
from stockd.domain.channels import BYPASS, Channel, ChannelKind, PoolShare, SkuChannels, pooled
from stockd.domain.commands import (
    CancelOrder,
    CommitReservation,
    CreateChannel,
    LineRequest,
    ReleaseReservation,
    Reserve,
    SetChannelPools,
    ShipOrder,
    SkuQuantity,
    UpdateChannel,
)
from stockd.domain.reservations import Reservation
from stockd.service.queries import EventFilter
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
    in_sql = await raw.fetchval(f"SELECT {POOLED_SQL.format(sku='$1')}", "A")
    assert in_sql == pooled(own, {"web": web})
