"""Preorder caps per channel: a preorder through a capped channel counts
against the channel's cap and the SKU's total; untying gives both back. On
the fake and PostgreSQL, raced for real on PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from stockd import errors
from stockd.adapters.postgres import rows
from stockd.adapters.postgres.channels import PostgresChannels
from stockd.adapters.postgres.levels import PostgresLevels
from stockd.adapters.postgres.ties import PostgresTies
from stockd.bootstrap import Container
from stockd.domain.catalog import ChannelPreorderCap, Sku
from stockd.domain.channels import Channel
from stockd.domain.commands import (
    CancelOrder,
    CreateChannel,
    CreatePurchaseOrder,
    ExpireDueReservations,
    LineRequest,
    PlaceOrder,
    ReceivePurchaseOrder,
    ReleaseReservation,
    Reserve,
    SkuQuantity,
    UpdateSku,
)
from stockd.domain.reservations import Reservation
from tests.support import ADMIN, T0, race, seed


async def setup(c: Container, total: int = 25, caps: dict[str, int] | None = None) -> None:
    """SKU P preorders up to `total`, web capped at 10 (unless `caps`);
    channels web and app; locations x and y, no stock."""
    await seed(c.bus, skus={"P": 0}, locations={"x": 1, "y": 2})
    for channel in ("web", "app"):
        await c.bus.handle(CreateChannel(Channel(channel, channel)), ADMIN)
    capped = [{"channel": k, "cap": v} for k, v in (caps or {"web": 10}).items()]
    await c.bus.handle(
        UpdateSku(
            "P",
            {
                "policy": "preorder",
                "preorder_cap": total,
                "preorder_channel_caps": tuple(
                    ChannelPreorderCap(x["channel"], x["cap"]) for x in capped
                ),
            },
        ),
        ADMIN,
    )


async def hold(c: Container, units: int, channel: str | None, location: str = "x") -> Reservation:
    r: Reservation = await c.bus.handle(
        Reserve((LineRequest("P", units, location),), channel=channel), ADMIN
    )
    return r


async def order(c: Container, order_id: str, units: int, channel: str | None) -> None:
    await c.bus.handle(
        PlaceOrder(order_id, order_id, lines=(LineRequest("P", units, "y"),), channel=channel),
        ADMIN,
    )


async def levels_made(c: Container) -> None:
    """Make the levels x and y (a preorder makes its level): the races are
    then about the caps alone."""
    for location in ("x", "y"):
        made = await hold(c, 1, None, location)
        await c.bus.handle(ReleaseReservation(made.id), ADMIN)


async def counts(c: Container) -> tuple[int, dict[str, int]]:
    """What the SKU shows: units preordered through each capped channel."""
    sku = await c.reads.sku("P")
    assert isinstance(sku, Sku)
    room = await _room(c)
    return room, {x.channel: x.preordered for x in sku.policy.preorder_channel_caps}


async def _room(c: Container) -> int:
    async with c.bus.uow() as uow:
        return (await uow.ties.preorder_room("P")).total


async def test_a_channel_preorders_up_to_its_cap_others_up_to_the_total(
    backend: Container,
) -> None:
    await setup(backend)
    web = [await hold(backend, 4, "web"), await hold(backend, 6, "web", "y")]  # both levels
    with pytest.raises(errors.InsufficientStock, match="preorder cap of channel 'web'"):
        await hold(backend, 1, "web")
    await order(backend, "A1", 9, "app")  # app has no cap: the total only
    await hold(backend, 5, None)  # nor has a hold through no channel
    assert await counts(backend) == (1, {"web": 10})
    with pytest.raises(errors.InsufficientStock):
        await hold(backend, 2, "app")  # 1 left of the total
    await hold(backend, 1, "*")  # an admin's bypass: the total only
    with pytest.raises(errors.InsufficientStock):
        await hold(backend, 1, None)

    # Release gives back to the channel and the total; so does cancelling.
    await backend.bus.handle(ReleaseReservation(web[0].id), ADMIN)
    assert await counts(backend) == (4, {"web": 6})
    await hold(backend, 4, "web")
    with pytest.raises(errors.InsufficientStock):
        await hold(backend, 1, "web")
    await backend.bus.handle(CancelOrder("A1"), ADMIN)
    assert await counts(backend) == (9, {"web": 10})
    assert (await backend.reads.verify()).discrepancies == ()


async def test_expiry_and_arrivals_give_a_channel_its_room_back(backend: Container) -> None:
    await setup(backend, total=25, caps={"web": 3})
    short = await backend.bus.handle(
        Reserve((LineRequest("P", 2, "x"),), ttl_seconds=60, channel="web"), ADMIN
    )
    await order(backend, "W1", 1, "web")
    assert (await counts(backend))[1] == {"web": 3}
    backend.clock.set(T0 + timedelta(minutes=5))  # type: ignore[attr-defined]
    await backend.bus.handle(ExpireDueReservations(), ADMIN)
    assert (await backend.reads.reservation(short.id)).status.value == "expired"  # type: ignore[union-attr]
    assert await counts(backend) == (24, {"web": 1})

    # The first arrival at y covers W1's preorder: the channel's unit is back.
    await backend.bus.handle(
        CreatePurchaseOrder("PO", "ACME", "y", (SkuQuantity("P", 1),), T0 + timedelta(days=9)),
        ADMIN,
    )
    await backend.bus.handle(ReceivePurchaseOrder("PO", (SkuQuantity("P", 1),)), ADMIN)
    assert await counts(backend) == (25, {"web": 0})
    await hold(backend, 3, "web")
    assert (await backend.reads.verify()).discrepancies == ()


async def test_channel_caps_are_checked_and_follow_the_policy(backend: Container) -> None:
    await setup(backend)
    caps = (ChannelPreorderCap("web", 5), ChannelPreorderCap("nowhere", 1))
    with pytest.raises(errors.UnknownReference) as unknown:
        await backend.bus.handle(UpdateSku("P", {"preorder_channel_caps": caps}), ADMIN)
    assert "preorder_channel_caps[1].channel" in str(unknown.value.extra)
    twice = (ChannelPreorderCap("web", 5), ChannelPreorderCap("web", 1))
    with pytest.raises(errors.InvalidRequest, match="given twice"):
        await backend.bus.handle(UpdateSku("P", {"preorder_channel_caps": twice}), ADMIN)

    # Lowering a cap below what the channel has preordered keeps those
    # preorders; the channel takes no new one until it is back under it.
    await hold(backend, 4, "web")
    lower = (ChannelPreorderCap("web", 2), ChannelPreorderCap("app", 3))
    await backend.bus.handle(UpdateSku("P", {"preorder_channel_caps": lower}), ADMIN)
    assert await counts(backend) == (21, {"app": 0, "web": 4})
    with pytest.raises(errors.InsufficientStock):
        await hold(backend, 1, "web")
    # A cap dropped and given again counts the channel's preorders anew.
    await backend.bus.handle(UpdateSku("P", {"preorder_channel_caps": ()}), ADMIN)
    await hold(backend, 1, "web")
    again = (ChannelPreorderCap("web", 6),)
    await backend.bus.handle(UpdateSku("P", {"preorder_channel_caps": again}), ADMIN)
    assert await counts(backend) == (20, {"web": 5})
    assert (await backend.reads.verify()).discrepancies == ()

    # Only with policy preorder: given otherwise, refused; switching away drops them.
    with pytest.raises(errors.InvalidRequest, match="need policy 'preorder'") as refused:
        await backend.bus.handle(
            UpdateSku("P", {"policy": "deny", "preorder_channel_caps": again}), ADMIN
        )
    assert refused.value.extra["errors"][0]["field"] == "preorder_channel_caps"


async def test_switching_a_preorder_sku_to_deny_drops_its_channel_caps(
    backend: Container,
) -> None:
    await setup(backend)
    await backend.bus.handle(UpdateSku("P", {"policy": "deny"}), ADMIN)
    sku = await backend.reads.sku("P")
    assert sku is not None
    assert sku.policy.preorder_channel_caps == ()
    assert sku.as_dict()["preorder_channel_caps"] == []


async def test_30_web_and_30_app_buyers_race_for_a_web_cap_of_10_and_a_total_of_25(
    db: Container,
) -> None:
    """Each holds one unit at x or y, all at once: exactly 25 win (the
    total), at most 10 of them through web; the counters match the ties."""
    await setup(db)
    await levels_made(db)

    async def buy(i: int) -> object:
        return await hold(db, 1, "web" if i % 2 else "app", "x" if i % 3 else "y")

    results = await race(60, buy)
    won = [i for i, r in enumerate(results) if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert all(isinstance(e, errors.InsufficientStock) for e in lost), lost
    web = len([i for i in won if i % 2])
    assert len(won) == 25
    assert web <= 10
    assert db.pool is not None
    row = await db.pool.fetchrow(
        "SELECT s.preordered, c.preordered AS web FROM skus s"
        " JOIN sku_preorder_channels c ON c.sku = s.sku AND c.channel = 'web' WHERE s.sku = 'P'"
    )
    assert (row["preordered"], row["web"]) == (25, web)
    assert (await db.reads.verify()).discrepancies == ()


async def test_20_web_orders_race_for_a_cap_of_5_beside_20_through_no_channel(
    db: Container,
) -> None:
    """All at once: exactly 12 win (the total), at most 5 of them through web."""
    await setup(db, total=12, caps={"web": 5})
    await levels_made(db)

    async def buy(i: int) -> object:
        return await order(db, f"O{i}", 1, "web" if i % 2 else None)

    results = await race(40, buy)
    won = [i for i, r in enumerate(results) if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert all(isinstance(e, errors.InsufficientStock) for e in lost), lost
    web = len([i for i in won if i % 2])
    assert len(won) == 12
    assert web <= 5
    assert await counts(db) == (0, {"web": web})
    assert (await db.reads.verify()).discrepancies == ()


async def test_30_web_buyers_race_for_a_cap_of_10_then_the_rest_of_the_total(
    db: Container,
) -> None:
    """30 web buyers at once: exactly 10 win; then 30 buyers through no
    channel: exactly the 15 left of the total win."""
    await setup(db)
    results = await race(30, lambda i: hold(db, 1, "web"))
    assert len([r for r in results if not isinstance(r, BaseException)]) == 10
    results = await race(30, lambda i: hold(db, 1, None))
    assert len([r for r in results if not isinstance(r, BaseException)]) == 15
    assert await counts(db) == (0, {"web": 10})
    assert (await db.reads.verify()).discrepancies == ()


async def test_a_hold_of_an_ordinary_sku_reads_no_preorder_figures(
    db: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hold path pays nothing for preorder caps unless the SKU takes
    preorders: no room read, no tie, and the SKU's caps subquery never runs."""
    await setup(db)
    await seed(db.bus, skus={"A": 0}, stock={("A", "x"): 5})
    called: list[str] = []
    for name in ("preorder_room", "add_preorder", "inbound"):
        original = getattr(PostgresTies, name)

        def spy(self: PostgresTies, *args: object, _n: str = name, _f: object = original) -> object:
            called.append(_n)
            return _f(self, *args)  # type: ignore[operator]

        monkeypatch.setattr(PostgresTies, name, spy)
    await db.bus.handle(Reserve((LineRequest("A", 2, "x"),), channel="web"), ADMIN)
    assert called == []
    await hold(db, 1, "web")  # a preorder reads its room and ties
    assert called == ["inbound", "preorder_room", "inbound", "add_preorder"]

    assert db.pool is not None
    for sku, loops in (("A", 0), ("P", 1)):
        plan = await db.pool.fetchval(
            f"EXPLAIN (ANALYZE, FORMAT JSON) SELECT {rows.SKU_COLUMNS} FROM skus WHERE sku = $1",
            sku,
        )
        subplans = [
            p for p in _nodes(json.loads(plan)[0]["Plan"]) if "SubPlan" in p.get("Subplan Name", "")
        ]
        assert [p["Actual Loops"] for p in subplans] == [loops], sku


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(n for child in plan.get("Plans", []) for n in _nodes(child))]


async def test_an_order_through_channels_locks_its_levels_before_the_skus_rows(
    db: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch of holds locks its levels, then the channels' book (the SKUs'
    rows). An order (or a hold decided alone) must take them in the same
    order, else the two can each hold what the other waits for: the order
    locks its levels before it reads the book under lock."""
    await setup(db)
    await levels_made(db)
    taken: list[str] = []
    lock, stock = PostgresLevels.lock, PostgresChannels.stock

    async def levels(self: PostgresLevels, *args: Any, **kw: Any) -> Any:
        taken.append("levels")
        return await lock(self, *args, **kw)

    async def book(self: PostgresChannels, *args: Any, lock: bool = False) -> Any:
        if lock:
            taken.append("skus")
        return await stock(self, *args, lock=lock)

    monkeypatch.setattr(PostgresLevels, "lock", levels)
    monkeypatch.setattr(PostgresChannels, "stock", book)
    await order(db, "O1", 1, "web")
    assert taken[:2] == ["levels", "skus"], taken
    taken.clear()
    await hold(db, 1, "web", "y")
    assert taken[:2] == ["levels", "skus"], taken
