"""The Python client against a real `stockd serve`: every resource, errors,
paging, If-Match, and a POST whose answer is lost on the way back."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from stockd.client import (
    AsyncStockdClient,
    BeyondRecorded,
    Forbidden,
    InsufficientStock,
    InvalidRequest,
    NotFound,
    OrderClosed,
    ReservationNotActive,
    ShortLine,
    StockdClient,
    Unauthorized,
    UnknownReference,
    ValidationFailed,
    VersionConflict,
)
from stockd.client.inputs import ChangeIn, ShipTo
from tests.e2e.server import LiveServer, cli_env, stockd


@pytest.fixture
def client(live: LiveServer) -> Iterator[StockdClient]:
    with StockdClient(live.url, live.admin_key) as c:
        yield c


@pytest_asyncio.fixture
async def aclient(live: LiveServer) -> AsyncIterator[AsyncStockdClient]:
    async with AsyncStockdClient(live.url, live.admin_key) as c:
        yield c


def receive(sku: str, location: str, units: int, reason: str = "received") -> ChangeIn:
    return {"sku": sku, "location": location, "state": "on_hand", "delta": units, "reason": reason}


def stocked(client: StockdClient, code: str, *stock: tuple[str, int]) -> str:
    """SKU `code` with the given units at new locations named `{code}-{suffix}`."""
    client.skus.create(code, "P", code)
    for suffix, units in stock:
        client.locations.create(f"{code}-{suffix}", suffix)
        if units:
            client.adjustments.create([receive(code, f"{code}-{suffix}", units)])
    return code


class LoseFirstAnswer(httpx.BaseTransport):
    """Delivers every request to the real server but loses the answer to the
    first POST, as a dropped connection would: the server applied it, the
    caller never heard."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.posts: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method == "POST":
            self.posts.append(request)
            if len(self.posts) == 1:
                response.read()
                response.close()
                raise httpx.ReadError("connection reset before the answer", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


def test_a_post_sent_again_after_its_answer_was_lost_applies_once(
    live: LiveServer, client: StockdClient, unique: str
) -> None:
    sku = stocked(client, f"LOST-{unique}", ("x", 1))
    lossy = LoseFirstAnswer()
    with StockdClient(live.url, live.admin_key, transport=lossy) as flaky:
        result = flaky.adjustments.create([receive(sku, f"{sku}-x", 5)])
    assert result.results[0].level is not None
    assert result.results[0].level.on_hand == 6
    first, second = (r.headers["Idempotency-Key"] for r in lossy.posts)
    assert first == second
    (level,) = client.levels.iter(sku=sku)
    assert level.on_hand == 6
    adjusted = [e for e in client.events.iter(sku=sku) if e.idempotency_key == first]
    assert len(adjusted) == 1


def test_a_shortfall_raises_insufficient_stock_with_its_lines_and_holds_nothing(
    client: StockdClient, unique: str
) -> None:
    sku = stocked(client, f"SHORT-{unique}", ("x", 3))
    with pytest.raises(InsufficientStock) as caught:
        client.reservations.create([{"sku": sku, "quantity": 5}])
    error = caught.value
    assert (error.status, error.code) == (409, "insufficient_stock")
    assert error.lines == (ShortLine(sku, None, 5, 3, short=2),)
    assert error.problem["instance"] == "/v1/reservations"
    assert client.availability.get(sku).reserved == 0


def test_a_hold_is_extended_committed_and_then_refuses_to_be_released(
    client: StockdClient, unique: str
) -> None:
    sku = stocked(client, f"HOLD-{unique}", ("x", 10))
    hold = client.reservations.create(
        [{"sku": sku, "quantity": 2, "location": f"{sku}-x"}], ttl_seconds=60, reference="cart"
    )
    assert (hold.status, hold.reference) == ("active", "cart")
    extended = client.reservations.extend(hold.id, 3600)
    assert extended.expires_at > hold.expires_at
    committed = client.reservations.commit(hold.id, f"ORDER-{unique}")
    assert (committed.status, committed.order_id) == ("committed", f"ORDER-{unique}")
    with pytest.raises(ReservationNotActive) as caught:
        client.reservations.release(hold.id)
    assert caught.value.reservation_status == "committed"
    other = client.reservations.create([{"sku": sku, "quantity": 1}])
    assert client.reservations.release(other.id).status == "released"
    assert client.reservations.get(other.id).closed_at is not None
    assert client.orders.get(f"ORDER-{unique}").status == "open"


def test_archiving_through_the_client(client: StockdClient, unique: str) -> None:
    sku = stocked(client, f"ARC-{unique}", ("a", 5))
    location = client.locations.get(f"{sku}-a")
    with pytest.raises(VersionConflict):
        client.skus.archive(sku, if_match=99)
    archived = client.skus.archive(sku, if_match=1)
    assert (archived.archived, archived.version) == (True, 2)
    assert client.skus.archive(sku) == archived
    assert sku in {x.sku for x in client.skus.iter(archived=True)}
    assert sku not in {x.sku for x in client.skus.iter()}
    with pytest.raises(InvalidRequest) as caught:
        client.reservations.create([{"sku": sku, "quantity": 1}])
    assert [i.field for i in caught.value.issues] == ["lines[0].sku"]
    gone = client.locations.archive(location.id, if_match=location.version)
    assert gone.archived
    assert location.id in {x.id for x in client.locations.iter(archived=True)}


def test_if_match_applies_a_patch_only_to_the_version_read(
    client: StockdClient, unique: str
) -> None:
    sku = client.skus.create(f"PATCH-{unique}", "P", "before")
    renamed = client.skus.update(sku.sku, {"name": "after"}, if_match=sku.version)
    assert (renamed.name, renamed.version) == ("after", sku.version + 1)
    with pytest.raises(VersionConflict) as caught:
        client.skus.update(sku.sku, {"name": "lost"}, if_match=sku.version)
    assert caught.value.current_version == renamed.version
    assert client.skus.get(sku.sku).name == "after"

    location = client.locations.create(f"PATCH-{unique}", "store", type="store", lat=1, lon=2)
    moved = client.locations.update(
        location.id, {"lat": None, "lon": None, "priority": 3}, if_match=location.version
    )
    assert (moved.lat, moved.lon, moved.priority, moved.pickup) == (None, None, 3, True)


def test_iteration_walks_every_page_of_every_list(client: StockdClient, unique: str) -> None:
    sku = stocked(client, f"PAGE-{unique}", ("a", 1), ("b", 2), ("c", 3))
    codes = {f"PAGE-{unique}-{c}" for c in "abc"}
    assert {x.location for x in client.levels.iter(sku=sku, limit=1)} == codes
    assert codes <= {x.id for x in client.locations.iter(limit=2)}
    skus = [x.sku for x in client.skus.iter(limit=2)]
    assert sku in skus
    assert skus == sorted(skus)
    events = list(client.events.iter(sku=sku, type="stock.*", limit=2))
    assert [e.after["on_hand"] for e in events if e.after] == [1, 2, 3]
    assert [e.seq for e in events] == sorted(e.seq for e in events)
    first = client.skus.list(limit=1)
    assert len(first.items) == 1
    assert first.next_cursor is not None


def test_iteration_walks_the_newest_first_lists_with_their_filters(
    client: StockdClient, unique: str
) -> None:
    sku = stocked(client, f"LIST-{unique}", ("a", 10), ("b", 10))
    a, b = f"{sku}-a", f"{sku}-b"
    for i in range(3):
        order = f"{sku}-O{i}"
        client.orders.create(order, lines=[{"sku": sku, "quantity": 1, "location": a}])
        client.orders.ship(order, a, [{"sku": sku, "quantity": 1}])
        client.returns.create(order, b, "resellable", [{"sku": sku, "quantity": 1}])
        client.transfers.create(a, b, [{"sku": sku, "quantity": 1}])
        client.sales.create(b, f"{sku}-R{i}", [{"sku": sku, "quantity": 1}])
        client.reservations.create([{"sku": sku, "quantity": 1, "location": b}], reference=order)
    orders = [o.order_id for o in client.orders.iter(sku=sku, status="shipped", limit=2)]
    assert orders == [f"{sku}-O{i}" for i in (2, 1, 0)]
    holds = list(client.reservations.iter(sku=sku, status="active", limit=1))
    assert [r.reference for r in holds] == orders
    assert len(list(client.transfers.iter(sku=sku, source=a, destination=b, limit=2))) == 3
    sales = list(client.sales.iter(sku=sku, location=b, limit=2))
    assert [x.external_id for x in sales] == [f"{sku}-R{i}" for i in (2, 1, 0)]
    assert {x.replayed for x in sales} == {None}
    assert [r.order_id for r in client.returns.iter(order_id=orders[0])] == [orders[0]]
    assert list(client.orders.iter(sku=sku, created_before="2000-01-01T00:00:00Z")) == []


async def test_the_async_client_walks_pages_too(
    client: StockdClient, aclient: AsyncStockdClient, unique: str
) -> None:
    sku = stocked(client, f"APAGE-{unique}", ("a", 4), ("b", 5))
    levels = [x async for x in aclient.levels.iter(sku=sku, limit=1)]
    assert [x.on_hand for x in levels] == [4, 5]
    events = [e async for e in aclient.events.iter(sku=sku, type="stock.*", limit=1)]
    assert [e.type for e in events] == ["stock.adjusted", "stock.adjusted"]


async def test_the_async_client_places_ships_cancels_and_returns_an_order(
    client: StockdClient, aclient: AsyncStockdClient, unique: str
) -> None:
    sku = stocked(client, f"ORD-{unique}", ("near", 3), ("far", 10))
    near, far = f"{sku}-near", f"{sku}-far"
    await aclient.locations.update(near, {"lat": 53.55, "lon": 9.99})
    await aclient.locations.update(far, {"lat": 48.14, "lon": 11.58})
    hamburg: ShipTo = {"lat": 53.57, "lon": 10.02}
    plan = await aclient.allocations.quote(
        [{"sku": sku, "quantity": 5}], ship_to=hamburg, strategy="nearest"
    )
    assert plan.feasible
    assert [(a.location, a.quantity) for a in plan.lines[0].allocations] == [(near, 3), (far, 2)]

    order_id = f"ORDER-{unique}"
    order = await aclient.orders.create(
        order_id, lines=[{"sku": sku, "quantity": 5}], ship_to=hamburg, strategy="nearest"
    )
    assert order.plan is not None
    assert order.status == "open"
    shipped = await aclient.orders.ship(order_id, near, [{"sku": sku, "quantity": 3}])
    assert shipped.status == "partially_shipped"
    with pytest.raises(BeyondRecorded) as caught:
        await aclient.orders.ship(order_id, near, [{"sku": sku, "quantity": 1}])
    assert [e.code for e in caught.value.errors] == ["exceeds_committed"]
    cancelled = await aclient.orders.cancel(order_id, reason="customer changed their mind")
    assert cancelled.status == "cancelled"
    with pytest.raises(OrderClosed):
        await aclient.orders.cancel(order_id)
    returned = await aclient.returns.create(
        order_id, near, "damaged", [{"sku": sku, "quantity": 1}]
    )
    assert returned.condition == "damaged"
    final = await aclient.orders.get(order_id)
    assert final.events is not None
    assert [e.type for e in final.events][-1] == "order.returned"


async def test_the_async_client_transfers_and_records_store_sales(
    client: StockdClient, aclient: AsyncStockdClient, unique: str
) -> None:
    sku = stocked(client, f"TRF-{unique}", ("dc", 10), ("shop", 0))
    dc, shop = f"{sku}-dc", f"{sku}-shop"
    transfer = await aclient.transfers.create(dc, shop, [{"sku": sku, "quantity": 4}])
    assert (transfer.source, transfer.destination, transfer.status) == (dc, shop, "in_transit")
    partly = await aclient.transfers.receive(transfer.id, [{"sku": sku, "quantity": 1}])
    assert partly.status == "partially_received"
    done = await aclient.transfers.receive(transfer.id)
    assert (await aclient.transfers.get(transfer.id)).status == done.status == "received"

    sale = await aclient.sales.create(shop, f"RCPT-{unique}", [{"sku": sku, "quantity": 2}])
    again = await aclient.sales.create(shop, f"RCPT-{unique}", [{"sku": sku, "quantity": 2}])
    assert (sale.replayed, again.replayed) == (False, True)
    levels = {x.location: x.on_hand async for x in aclient.levels.iter(sku=sku)}
    assert levels == {dc: 6, shop: 2}


def test_refusals_raise_the_exception_of_their_kind(
    live: LiveServer, client: StockdClient, unique: str, tmp_path: Path
) -> None:
    with pytest.raises(NotFound):
        client.skus.get(f"NOPE-{unique}")
    with pytest.raises(UnknownReference):
        client.reservations.create([{"sku": f"NOPE-{unique}", "quantity": 1}])
    with pytest.raises(ValidationFailed) as caught:
        client.reservations.create([{"sku": "A", "quantity": 0}])
    assert [e.field for e in caught.value.errors] == ["body.lines[0].quantity"]
    with StockdClient(live.url, "sk_unknown") as stranger, pytest.raises(Unauthorized):
        stranger.skus.list()
    created = stockd("keys", "create", "--scope", "read", env=cli_env(live.database_url, tmp_path))
    assert created.returncode == 0, created.stderr
    with StockdClient(live.url, created.stdout.strip()) as reader:
        reader.skus.list(limit=1)
        with pytest.raises(Forbidden):
            reader.skus.create(f"RO-{unique}", "P", "read only")


def test_atp_and_a_promise_through_the_client(client: StockdClient, unique: str) -> None:
    sku = stocked(client, f"ATP-{unique}", ("x", 4), ("y", 0))
    client.transfers.create(f"{sku}-x", f"{sku}-y", [{"sku": sku, "quantity": 1}])
    atp = client.promises.atp(sku)
    assert [(s.source, s.location, s.quantity, s.cumulative) for s in atp.steps] == [
        ("on_hand", f"{sku}-x", 3, 3),
        ("inbound", f"{sku}-y", 1, 4),
    ]
    assert isinstance(atp.steps[0].ready_on, date)
    assert client.promises.atp(sku, location=f"{sku}-y").total == 1
    made = client.promises.promise([{"sku": sku, "quantity": 2}], {"lat": 52.5, "lon": 13.4})
    [line] = made.lines
    [leg] = line.shipments
    assert (leg.location, leg.source, leg.quantity, leg.transit_basis) == (
        f"{sku}-x",
        "on_hand",
        2,
        "default",  # the location has no coordinates
    )
    assert line.deliver_by == leg.ready_on + timedelta(
        days=leg.handling_days
        + leg.transit_days
        + leg.delivery_window_days
        + leg.safety_buffer_days
    )
    with pytest.raises(InsufficientStock) as caught:
        client.promises.promise([{"sku": sku, "quantity": 9}], {"lat": 52.5, "lon": 13.4})
    assert caught.value.lines == (ShortLine(sku, None, 9, 4, short=5),)


def test_preorder_channel_caps_round_trip_with_their_counts(
    client: StockdClient, unique: str
) -> None:
    channel = f"pre-{unique}".lower()
    client.channels.create(channel, "Preorders")
    client.locations.create(f"PRE-{unique}", "preorders")
    sku = client.skus.create(
        f"PRE-{unique}",
        "P",
        "preordered",
        policy="preorder",
        preorder_cap=3,
        preorder_channel_caps=[{"channel": channel, "cap": 1}],
    )
    assert [(c.channel, c.cap, c.preordered) for c in sku.preorder_channel_caps] == [
        (channel, 1, 0)
    ]
    client.reservations.create(
        [{"sku": sku.sku, "quantity": 1, "location": f"PRE-{unique}"}], channel=channel
    )
    with pytest.raises(InsufficientStock):
        client.reservations.create(
            [{"sku": sku.sku, "quantity": 1, "location": f"PRE-{unique}"}], channel=channel
        )
    shown = client.skus.get(sku.sku).preorder_channel_caps
    assert [(c.channel, c.cap, c.preordered) for c in shown] == [(channel, 1, 1)]
    changed = client.skus.update(sku.sku, {"preorder_channel_caps": []})
    assert changed.preorder_channel_caps == ()
