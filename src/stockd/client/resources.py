"""Every endpoint of the API, declared once for both clients.

One class per resource; one decorated method per endpoint, mapping its typed
arguments to query, body and headers (see `stockd.client.endpoints`). A POST
takes `idempotency_key` (a fresh one is made when it is None); a PATCH or a
DELETE takes `if_match`, the version from a read. Lists are `list` (one
page) and `iter` (every item, lazily).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from stockd.client.calls import Args
from stockd.client.endpoints import Resource, T, by_cursor, by_seq, endpoint
from stockd.client.inputs import (
    ChangeIn,
    ChannelPreorderCapIn,
    ChannelUpdate,
    Condition,
    CountLineIn,
    LineIn,
    LocationUpdate,
    OptionPoolIn,
    OrderLineIn,
    PoolIn,
    ProductionLineIn,
    ReportLineIn,
    ShippingCostIn,
    ShipTo,
    SkuUpdate,
    Strategy,
    UnitsIn,
    WebhookUpdate,
    WeekIn,
)
from stockd.client.models import (
    AdjustmentResults,
    AtpRead,
    AtRiskPage,
    AvailabilityList,
    AvailabilityRead,
    CapacityPoolPage,
    CapacityPoolRead,
    CapacityWeeksRead,
    ChannelAvailabilityRead,
    ChannelDriftPage,
    ChannelKind,
    ChannelPage,
    ChannelRead,
    CountRead,
    DeliveryPage,
    EventPage,
    FeedPage,
    InventoryType,
    LevelPage,
    LocationPage,
    LocationRead,
    LocationType,
    OrderPage,
    OrderRead,
    OrderStatus,
    OverviewRead,
    PlanRead,
    Policy,
    PoolsRead,
    PromiseRead,
    PurchaseOrderPage,
    PurchaseOrderRead,
    PurchaseOrderStatus,
    RebalanceReport,
    Replayed,
    ReportPolicy,
    ReportPolicyRead,
    ReservationPage,
    ReservationRead,
    ReservationStatus,
    ReturnPage,
    ReturnRead,
    SalePage,
    SaleRead,
    SkuPage,
    SkuRead,
    SlotRead,
    SourceList,
    SourceRead,
    StockReportRead,
    TransferPage,
    TransferRead,
    TransferStatus,
    WebhookCreated,
    WebhookPage,
    WebhookRead,
    WebhookSecret,
)


def instant(at: datetime | str | None) -> str | None:
    """A time for the query string: RFC 3339 with its offset. A naive
    `datetime` is taken as UTC (stockd refuses times without an offset); a
    string is sent as it is."""
    if at is None or isinstance(at, str):
        return at
    return (at if at.tzinfo is not None else at.replace(tzinfo=UTC)).isoformat()


def given(**members: Any) -> dict[str, Any]:
    """A request body without the members left at None: absent and null mean
    the same to every create endpoint, and the server's default applies."""
    return {k: v for k, v in members.items() if v is not None}


class Skus(Resource[T]):
    @endpoint("POST", "/v1/skus", SkuRead)
    def create(
        self,
        sku: str,
        product_id: str,
        name: str,
        *,
        policy: Policy | None = None,
        backorder_cap: int | None = None,
        inventory_type: InventoryType | None = None,
        capacity_pool: str | None = None,
        option_pools: Sequence[OptionPoolIn] | None = None,
        preorder_cap: int | None = None,
        preorder_until: datetime | str | None = None,
        preorder_channel_caps: Sequence[ChannelPreorderCapIn] | None = None,
        idempotency_key: str | None = None,
    ) -> Args:
        body = given(
            sku=sku,
            product_id=product_id,
            name=name,
            policy=policy,
            backorder_cap=backorder_cap,
            inventory_type=inventory_type,
            capacity_pool=capacity_pool,
            option_pools=None if option_pools is None else list(option_pools),
            preorder_cap=preorder_cap,
            preorder_until=None if preorder_until is None else _instant(preorder_until),
            preorder_channel_caps=(
                None if preorder_channel_caps is None else list(preorder_channel_caps)
            ),
        )
        return Args(json=body, idempotency_key=idempotency_key)

    @endpoint("GET", "/v1/skus/{sku}", SkuRead)
    def get(self, sku: str) -> Args:
        return Args()

    @endpoint("PATCH", "/v1/skus/{sku}", SkuRead)
    def update(self, sku: str, changes: SkuUpdate, *, if_match: int | None = None) -> Args:
        return Args(json=changes, if_match=if_match)

    @endpoint("DELETE", "/v1/skus/{sku}", SkuRead)
    def archive(self, sku: str, *, if_match: int | None = None) -> Args:
        """Archive the SKU (kept, no longer sold nor listed); again is a no-op."""
        return Args(if_match=if_match)

    @endpoint("GET", "/v1/skus", SkuPage)
    def list(
        self, *, archived: bool | None = None, limit: int | None = None, cursor: str | None = None
    ) -> Args:
        """By code; `archived=True` lists only the archived ones."""
        return Args(params={"archived": archived, "limit": limit, "cursor": cursor})

    iter = by_cursor(list)


class Channels(Resource[T]):
    @endpoint("POST", "/v1/channels", ChannelRead)
    def create(
        self,
        id: str,
        name: str,
        *,
        kind: ChannelKind | None = None,
        priority: int | None = None,
        safety_buffer_pct: int | None = None,
        default_share_pct: int | None = None,
        waterfall: bool | None = None,
        active: bool | None = None,
        idempotency_key: str | None = None,
    ) -> Args:
        body = given(
            id=id,
            name=name,
            kind=kind,
            priority=priority,
            safety_buffer_pct=safety_buffer_pct,
            default_share_pct=default_share_pct,
            waterfall=waterfall,
            active=active,
        )
        return Args(json=body, idempotency_key=idempotency_key)

    @endpoint("GET", "/v1/channels/{channel_id}", ChannelRead)
    def get(self, channel_id: str) -> Args:
        return Args()

    @endpoint("PATCH", "/v1/channels/{channel_id}", ChannelRead)
    def update(
        self, channel_id: str, changes: ChannelUpdate, *, if_match: int | None = None
    ) -> Args:
        return Args(json=changes, if_match=if_match)

    @endpoint("GET", "/v1/skus/{sku}/channel-pools", PoolsRead)
    def pools(self, sku: str) -> Args:
        """A SKU's pools, with the units each stands for now."""
        return Args()

    @endpoint("PUT", "/v1/skus/{sku}/channel-pools", PoolsRead)
    def set_pools(self, sku: str, pools: Sequence[PoolIn]) -> Args:
        """Replace a SKU's pools (`[]`: the channels' default shares)."""
        return Args(json={"pools": list(pools)})

    @endpoint("GET", "/v1/channels/{channel_id}/availability/{sku}", ChannelAvailabilityRead)
    def availability(self, channel_id: str, sku: str) -> Args:
        """What the channel may sell of the SKU now, and what it is shown."""
        return Args()

    @endpoint("GET", "/v1/channels/{channel_id}/feed", FeedPage)
    def feed(self, channel_id: str, *, cursor: str | None = None, limit: int | None = None) -> Args:
        """Every SKU whose figure for the channel may have changed since
        `cursor` (None: the whole catalogue first); poll again with
        `next_cursor`."""
        return Args(params={"cursor": cursor, "limit": limit})

    @endpoint("GET", "/v1/channels/{channel_id}/drift", ChannelDriftPage)
    def drift(
        self, channel_id: str, *, cursor: str | None = None, limit: int | None = None
    ) -> Args:
        """The channel's figures that drifted from what stockd computes now
        (docs/channels.md, "Channel drift")."""
        return Args(params={"cursor": cursor, "limit": limit})

    @endpoint("POST", "/v1/channels/rebalance", RebalanceReport)
    def rebalance(
        self,
        *,
        skus: Sequence[str] | None = None,
        dry_run: bool | None = None,
        idempotency_key: str | None = None,
    ) -> Args:
        """Split percentage pools again by sales velocity where a channel
        runs short (admin); with `dry_run`, only say what would move."""
        body = given(skus=None if skus is None else list(skus), dry_run=dry_run)
        return Args(json=body, idempotency_key=idempotency_key)

    @endpoint("POST", "/v1/channels/{channel_id}/orders", OrderRead)
    def place_order(
        self,
        channel_id: str,
        external_id: str,
        lines: Sequence[LineIn],
        *,
        ship_to: ShipTo | None = None,
        strategy: Strategy | None = None,
        pickup_location: str | None = None,
        deliver_by: date | str | None = None,
        idempotency_key: str | None = None,
    ) -> Args:
        """Record an order that arrived on the channel (once per `external_id`);
        `deliver_by`: the date promised to the customer, kept with it."""
        body = given(
            external_id=external_id,
            lines=list(lines),
            ship_to=ship_to,
            strategy=strategy,
            pickup_location=pickup_location,
            deliver_by=_day(deliver_by),
        )
        return Args(json=body, idempotency_key=idempotency_key)

    @endpoint("GET", "/v1/channels", ChannelPage)
    def list(self, *, limit: int | None = None, cursor: str | None = None) -> Args:
        """By id."""
        return Args(params={"limit": limit, "cursor": cursor})

    iter = by_cursor(list)


class Locations(Resource[T]):
    @endpoint("POST", "/v1/locations", LocationRead)
    def create(
        self,
        id: str,
        name: str,
        *,
        type: LocationType | None = None,
        region: str | None = None,
        lat: float | None = None,
        lon: float | None = None,
        priority: int | None = None,
        active: bool | None = None,
        ships: bool | None = None,
        pickup: bool | None = None,
        shipping_cost: ShippingCostIn | None = None,
        timezone: str | None = None,
        idempotency_key: str | None = None,
    ) -> Args:
        body = given(
            id=id,
            name=name,
            type=type,
            region=region,
            lat=lat,
            lon=lon,
            priority=priority,
            active=active,
            ships=ships,
            pickup=pickup,
            shipping_cost=shipping_cost,
            timezone=timezone,
        )
        return Args(json=body, idempotency_key=idempotency_key)

    @endpoint("GET", "/v1/locations/{location_id}", LocationRead)
    def get(self, location_id: str) -> Args:
        return Args()

    @endpoint("PATCH", "/v1/locations/{location_id}", LocationRead)
    def update(
        self, location_id: str, changes: LocationUpdate, *, if_match: int | None = None
    ) -> Args:
        return Args(json=changes, if_match=if_match)

    @endpoint("DELETE", "/v1/locations/{location_id}", LocationRead)
    def archive(self, location_id: str, *, if_match: int | None = None) -> Args:
        """Archive the location (kept, never used nor listed); again is a no-op."""
        return Args(if_match=if_match)

    @endpoint("GET", "/v1/locations", LocationPage)
    def list(
        self, *, archived: bool | None = None, limit: int | None = None, cursor: str | None = None
    ) -> Args:
        """By id; `archived=True` lists only the archived ones."""
        return Args(params={"archived": archived, "limit": limit, "cursor": cursor})

    iter = by_cursor(list)


class Levels(Resource[T]):
    @endpoint("GET", "/v1/levels", LevelPage)
    def list(
        self,
        *,
        sku: str | None = None,
        location: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Args:
        return Args(params={"sku": sku, "location": location, "limit": limit, "cursor": cursor})

    iter = by_cursor(list)


class Webhooks(Resource[T]):
    @endpoint("POST", "/v1/webhooks", WebhookCreated)
    def create(
        self,
        url: str,
        events: Sequence[str],
        *,
        channel: str | None = None,
        skus: Sequence[str] | None = None,
        low_stock_threshold: int | None = None,
        description: str | None = None,
        idempotency_key: str | None = None,
    ) -> Args:
        """Subscribe an endpoint; the answer carries its secret, shown only now."""
        body = given(
            url=url,
            events=list(events),
            channel=channel,
            skus=None if skus is None else list(skus),
            low_stock_threshold=low_stock_threshold,
            description=description,
        )
        return Args(json=body, idempotency_key=idempotency_key)

    @endpoint("GET", "/v1/webhooks/{webhook_id}", WebhookRead)
    def get(self, webhook_id: str) -> Args:
        return Args()

    @endpoint("GET", "/v1/webhooks", WebhookPage)
    def list(self, *, limit: int | None = None, cursor: str | None = None) -> Args:
        return Args(params={"limit": limit, "cursor": cursor})

    iter = by_cursor(list)

    @endpoint("PATCH", "/v1/webhooks/{webhook_id}", WebhookRead)
    def update(
        self, webhook_id: str, changes: WebhookUpdate, *, if_match: int | None = None
    ) -> Args:
        return Args(json=changes, if_match=if_match)

    @endpoint("DELETE", "/v1/webhooks/{webhook_id}", type(None))
    def delete(self, webhook_id: str) -> Args:
        """Unsubscribe (its delivery log goes too)."""
        return Args()

    @endpoint("POST", "/v1/webhooks/{webhook_id}/rotate-secret", WebhookSecret)
    def rotate_secret(self, webhook_id: str, *, idempotency_key: str | None = None) -> Args:
        return Args(idempotency_key=idempotency_key)

    @endpoint("GET", "/v1/webhooks/{webhook_id}/deliveries", DeliveryPage)
    def deliveries(
        self,
        webhook_id: str,
        *,
        status: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Args:
        return Args(params={"status": status, "limit": limit, "cursor": cursor})

    @endpoint("POST", "/v1/webhooks/{webhook_id}/replay", Replayed)
    def replay(
        self,
        webhook_id: str,
        *,
        from_seq: int | None = None,
        idempotency_key: str | None = None,
    ) -> Args:
        """Send again: the dead letters, or every message from `from_seq` on."""
        return Args(json=given(from_seq=from_seq), idempotency_key=idempotency_key)


class AvailabilityReads(Resource[T]):
    @endpoint("GET", "/v1/availability/{sku}", AvailabilityRead)
    def get(self, sku: str) -> Args:
        return Args()

    @endpoint("GET", "/v1/availability", AvailabilityList)
    def many(self, skus: Sequence[str]) -> Args:
        """Up to 100 SKUs in one request; unknown ones come back in `missing`."""
        return Args(params={"skus": ",".join(skus)})


class Overview(Resource[T]):
    @endpoint("GET", "/v1/overview", OverviewRead)
    def get(self, *, low_stock_below: int | None = None, limit: int | None = None) -> Args:
        """Counts, and the SKUs out of stock or low (0 < available <
        `low_stock_below`, 5 unless given), lowest first, `limit` of each."""
        return Args(params={"low_stock_below": low_stock_below, "limit": limit})


class Adjustments(Resource[T]):
    @endpoint("POST", "/v1/adjustments", AdjustmentResults)
    def create(
        self,
        changes: Sequence[ChangeIn],
        *,
        atomic: bool | None = None,
        idempotency_key: str | None = None,
    ) -> Args:
        body = given(changes=list(changes), atomic=atomic)
        return Args(json=body, idempotency_key=idempotency_key)


class Reservations(Resource[T]):
    @endpoint("POST", "/v1/reservations", ReservationRead)
    def create(
        self,
        lines: Sequence[LineIn],
        *,
        ttl_seconds: int | None = None,
        reference: str | None = None,
        ship_to: ShipTo | None = None,
        strategy: Strategy | None = None,
        pickup_location: str | None = None,
        channel: str | None = None,
        idempotency_key: str | None = None,
    ) -> Args:
        body = given(
            lines=list(lines),
            ttl_seconds=ttl_seconds,
            reference=reference,
            ship_to=ship_to,
            strategy=strategy,
            pickup_location=pickup_location,
            channel=channel,
        )
        return Args(json=body, idempotency_key=idempotency_key)

    @endpoint("GET", "/v1/reservations/{reservation_id}", ReservationRead)
    def get(self, reservation_id: str) -> Args:
        return Args()

    @endpoint("GET", "/v1/reservations", ReservationPage)
    def list(
        self,
        *,
        status: ReservationStatus | None = None,
        sku: str | None = None,
        location: str | None = None,
        reference: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Args:
        """Newest first; `status` is the live one (an overdue hold is `expired`)."""
        return Args(
            params={
                "status": status,
                "sku": sku,
                "location": location,
                "reference": reference,
                "limit": limit,
                "cursor": cursor,
            }
        )

    iter = by_cursor(list)

    @endpoint("POST", "/v1/reservations/{reservation_id}/extend", ReservationRead)
    def extend(
        self, reservation_id: str, ttl_seconds: int, *, idempotency_key: str | None = None
    ) -> Args:
        return Args(json={"ttl_seconds": ttl_seconds}, idempotency_key=idempotency_key)

    @endpoint("POST", "/v1/reservations/{reservation_id}/release", ReservationRead)
    def release(self, reservation_id: str, *, idempotency_key: str | None = None) -> Args:
        return Args(idempotency_key=idempotency_key)

    @endpoint("POST", "/v1/reservations/{reservation_id}/commit", ReservationRead)
    def commit(
        self, reservation_id: str, order_id: str, *, idempotency_key: str | None = None
    ) -> Args:
        return Args(json={"order_id": order_id}, idempotency_key=idempotency_key)


class Allocations(Resource[T]):
    @endpoint("POST", "/v1/allocations/quote", PlanRead)
    def quote(
        self,
        lines: Sequence[UnitsIn],
        *,
        ship_to: ShipTo | None = None,
        strategy: Strategy | None = None,
        pickup_location: str | None = None,
        channel: str | None = None,
    ) -> Args:
        body = given(
            lines=list(lines),
            ship_to=ship_to,
            strategy=strategy,
            pickup_location=pickup_location,
            channel=channel,
        )
        return Args(json=body)


class Promises(Resource[T]):
    @endpoint("GET", "/v1/atp/{sku}", AtpRead)
    def atp(
        self, sku: str, *, location: str | None = None, until: datetime | str | None = None
    ) -> Args:
        """Units sellable by date, each step labelled with its supply."""
        return Args(params={"location": location, "until": instant(until)})

    @endpoint("POST", "/v1/promise", PromiseRead)
    def promise(self, lines: Sequence[UnitsIn], ship_to: ShipTo) -> Args:
        """The earliest delivery date of each line; holds nothing."""
        return Args(json={"lines": list(lines), "ship_to": ship_to})

    @endpoint("GET", "/v1/promises/at-risk", AtRiskPage)
    def at_risk(self, *, limit: int | None = None, cursor: str | None = None) -> Args:
        """Open orders whose backordered units are now ready later than promised."""
        return Args(params={"limit": limit, "cursor": cursor})

    iter_at_risk = by_cursor(at_risk)


class Orders(Resource[T]):
    @endpoint("POST", "/v1/orders", OrderRead)
    def create(
        self,
        order_id: str,
        *,
        lines: Sequence[LineIn | OrderLineIn] | None = None,
        reservation_id: str | None = None,
        ship_to: ShipTo | None = None,
        strategy: Strategy | None = None,
        pickup_location: str | None = None,
        channel: str | None = None,
        deliver_by: date | str | None = None,
        idempotency_key: str | None = None,
    ) -> Args:
        """Place an order from `lines` or from a `reservation_id` (one of
        them); `deliver_by`: the date promised to the customer, kept with it."""
        body = given(
            order_id=order_id,
            lines=None if lines is None else list(lines),
            reservation_id=reservation_id,
            ship_to=ship_to,
            strategy=strategy,
            pickup_location=pickup_location,
            channel=channel,
            deliver_by=_day(deliver_by),
        )
        return Args(json=body, idempotency_key=idempotency_key)

    @endpoint("GET", "/v1/orders/{order_id}", OrderRead)
    def get(self, order_id: str) -> Args:
        return Args()

    @endpoint("GET", "/v1/orders", OrderPage)
    def list(
        self,
        *,
        status: OrderStatus | None = None,
        sku: str | None = None,
        location: str | None = None,
        created_after: datetime | str | None = None,
        created_before: datetime | str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Args:
        """Newest first; created in [`created_after`, `created_before`)."""
        return Args(
            params={
                "status": status,
                "sku": sku,
                "location": location,
                "created_after": instant(created_after),
                "created_before": instant(created_before),
                "limit": limit,
                "cursor": cursor,
            }
        )

    iter = by_cursor(list)

    @endpoint("POST", "/v1/orders/{order_id}/shipments", OrderRead)
    def ship(
        self,
        order_id: str,
        location: str,
        lines: Sequence[UnitsIn],
        *,
        reference: str | None = None,
        idempotency_key: str | None = None,
    ) -> Args:
        body = given(location=location, lines=list(lines), reference=reference)
        return Args(json=body, idempotency_key=idempotency_key)

    @endpoint("POST", "/v1/orders/{order_id}/produce", OrderRead)
    def produce(
        self,
        order_id: str,
        lines: Sequence[ProductionLineIn],
        *,
        reference: str | None = None,
        idempotency_key: str | None = None,
    ) -> Args:
        """Report units of the order's made-to-order lines made: they become
        its committed stock at the workshop, which `ship` then ships."""
        body = given(lines=list(lines), reference=reference)
        return Args(json=body, idempotency_key=idempotency_key)

    @endpoint("POST", "/v1/orders/{order_id}/cancel", OrderRead)
    def cancel(
        self, order_id: str, *, reason: str | None = None, idempotency_key: str | None = None
    ) -> Args:
        return Args(json=given(reason=reason) or None, idempotency_key=idempotency_key)


class Returns(Resource[T]):
    @endpoint("POST", "/v1/returns", ReturnRead)
    def create(
        self,
        order_id: str,
        location: str,
        condition: Condition,
        lines: Sequence[UnitsIn],
        *,
        reference: str | None = None,
        idempotency_key: str | None = None,
    ) -> Args:
        body = given(
            order_id=order_id,
            location=location,
            condition=condition,
            lines=list(lines),
            reference=reference,
        )
        return Args(json=body, idempotency_key=idempotency_key)

    @endpoint("GET", "/v1/returns", ReturnPage)
    def list(
        self,
        *,
        order_id: str | None = None,
        location: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Args:
        """Newest first."""
        return Args(
            params={"order_id": order_id, "location": location, "limit": limit, "cursor": cursor}
        )

    iter = by_cursor(list)


class Transfers(Resource[T]):
    @endpoint("POST", "/v1/transfers", TransferRead)
    def create(
        self,
        source: str,
        destination: str,
        lines: Sequence[UnitsIn],
        *,
        reference: str | None = None,
        expected_at: datetime | str | None = None,
        idempotency_key: str | None = None,
    ) -> Args:
        # `from` and `to` on the wire; Python keeps `from` for itself.
        eta = None if expected_at is None else _instant(expected_at)
        body = given(reference=reference, expected_at=eta) | {
            "from": source,
            "to": destination,
            "lines": list(lines),
        }
        return Args(json=body, idempotency_key=idempotency_key)

    @endpoint("GET", "/v1/transfers/{transfer_id}", TransferRead)
    def get(self, transfer_id: str) -> Args:
        return Args()

    @endpoint("GET", "/v1/transfers", TransferPage)
    def list(
        self,
        *,
        status: TransferStatus | None = None,
        source: str | None = None,
        destination: str | None = None,
        sku: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Args:
        """Newest first; `source` and `destination` are a transfer's `from` and `to`."""
        return Args(
            params={
                "status": status,
                "source": source,
                "destination": destination,
                "sku": sku,
                "limit": limit,
                "cursor": cursor,
            }
        )

    iter = by_cursor(list)

    @endpoint("PATCH", "/v1/transfers/{transfer_id}", TransferRead)
    def update(
        self, transfer_id: str, expected_at: datetime | str, *, if_match: int | None = None
    ) -> Args:
        """Move the ETA of what is in transit (an `inbound.eta_changed` event;
        tied promises are re-dated)."""
        return Args(json={"expected_at": _instant(expected_at)}, if_match=if_match)

    @endpoint("POST", "/v1/transfers/{transfer_id}/receive", TransferRead)
    def receive(
        self,
        transfer_id: str,
        lines: Sequence[UnitsIn] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Args:
        """Receive `lines`, or everything still in transit."""
        body = None if lines is None else {"lines": list(lines)}
        return Args(json=body, idempotency_key=idempotency_key)


class PurchaseOrders(Resource[T]):
    @endpoint("POST", "/v1/purchase-orders", PurchaseOrderRead)
    def create(
        self,
        id: str,
        supplier: str,
        location: str,
        lines: Sequence[UnitsIn],
        expected_at: datetime | str,
        *,
        reference: str | None = None,
        idempotency_key: str | None = None,
    ) -> Args:
        """Units expected at `location` by `expected_at` (`incoming` rises now)."""
        body = given(
            id=id,
            supplier=supplier,
            location=location,
            lines=list(lines),
            expected_at=_instant(expected_at),
            reference=reference,
        )
        return Args(json=body, idempotency_key=idempotency_key)

    @endpoint("GET", "/v1/purchase-orders/{purchase_order_id}", PurchaseOrderRead)
    def get(self, purchase_order_id: str) -> Args:
        return Args()

    @endpoint("GET", "/v1/purchase-orders", PurchaseOrderPage)
    def list(
        self,
        *,
        status: PurchaseOrderStatus | None = None,
        location: str | None = None,
        supplier: str | None = None,
        sku: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Args:
        """Newest first."""
        return Args(
            params={
                "status": status,
                "location": location,
                "supplier": supplier,
                "sku": sku,
                "limit": limit,
                "cursor": cursor,
            }
        )

    iter = by_cursor(list)

    @endpoint("PATCH", "/v1/purchase-orders/{purchase_order_id}", PurchaseOrderRead)
    def update(
        self, purchase_order_id: str, expected_at: datetime | str, *, if_match: int | None = None
    ) -> Args:
        """Move the ETA (an `inbound.eta_changed` event; tied promises are re-dated)."""
        return Args(json={"expected_at": _instant(expected_at)}, if_match=if_match)

    @endpoint("POST", "/v1/purchase-orders/{purchase_order_id}/receive", PurchaseOrderRead)
    def receive(
        self,
        purchase_order_id: str,
        lines: Sequence[UnitsIn],
        *,
        idempotency_key: str | None = None,
    ) -> Args:
        """What arrived (partial receipts allowed)."""
        return Args(json={"lines": list(lines)}, idempotency_key=idempotency_key)

    @endpoint("POST", "/v1/purchase-orders/{purchase_order_id}/cut", PurchaseOrderRead)
    def cut(
        self,
        purchase_order_id: str,
        lines: Sequence[UnitsIn] | None = None,
        *,
        reason: str | None = None,
        idempotency_key: str | None = None,
    ) -> Args:
        """Units that will not come; every open unit (cancel) without `lines`."""
        body = given(lines=None if lines is None else list(lines), reason=reason)
        return Args(json=body, idempotency_key=idempotency_key)


class Sales(Resource[T]):
    @endpoint("POST", "/v1/sales", SaleRead)
    def create(
        self,
        location: str,
        external_id: str,
        lines: Sequence[UnitsIn],
        *,
        channel: str | None = None,
        idempotency_key: str | None = None,
    ) -> Args:
        body = given(location=location, external_id=external_id, lines=list(lines), channel=channel)
        return Args(json=body, idempotency_key=idempotency_key)

    @endpoint("GET", "/v1/sales", SalePage)
    def list(
        self,
        *,
        location: str | None = None,
        sku: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Args:
        """Newest first."""
        return Args(params={"location": location, "sku": sku, "limit": limit, "cursor": cursor})

    iter = by_cursor(list)


class Events(Resource[T]):
    @endpoint("GET", "/v1/events", EventPage)
    def list(
        self,
        *,
        after: int | None = None,
        limit: int | None = None,
        type: str | Sequence[str] | None = None,
        sku: str | None = None,
        location: str | None = None,
        order_id: str | None = None,
        reservation_id: str | None = None,
        wait: float | None = None,
    ) -> Args:
        """`type`: event types, or families as `order.*`; `wait`: long-poll
        seconds when nothing matches yet (docs/events.md)."""
        types = type if type is None or isinstance(type, str) else ",".join(type)
        return Args(
            params={
                "after": after,
                "limit": limit,
                "type": types,
                "sku": sku,
                "location": location,
                "order_id": order_id,
                "reservation_id": reservation_id,
                "wait": wait,
            }
        )

    iter = by_seq(list)


def _instant(at: datetime | str) -> str:
    return at.isoformat() if isinstance(at, datetime) else at


class Counts(Resource[T]):
    @endpoint("POST", "/v1/counts", CountRead)
    def create(
        self,
        location: str,
        counted_at: datetime | str,
        lines: Sequence[CountLineIn],
        *,
        source: str | None = None,
        blind: bool | None = None,
        idempotency_key: str | None = None,
    ) -> Args:
        """A physical count: on_hand as of `counted_at`, movements since on
        top (docs/counts-and-reports.md). Blind unless `blind=False`."""
        body = given(
            location=location,
            counted_at=_instant(counted_at),
            lines=list(lines),
            source=source,
            blind=blind,
        )
        return Args(json=body, idempotency_key=idempotency_key)

    @endpoint("GET", "/v1/counts/{count_id}", CountRead)
    def get(self, count_id: str) -> Args:
        return Args()


class StockReports(Resource[T]):
    @endpoint("POST", "/v1/stock-reports", StockReportRead)
    def create(
        self,
        source: str,
        lines: Sequence[ReportLineIn],
        *,
        idempotency_key: str | None = None,
    ) -> Args:
        """Figures a registered source observed; each line is answered
        `applied`, `ignored` or `superseded`, with why."""
        return Args(json={"source": source, "lines": list(lines)}, idempotency_key=idempotency_key)


class Sources(Resource[T]):
    @endpoint("POST", "/v1/sources", SourceRead)
    def create(
        self,
        id: str,
        *,
        priority: int | None = None,
        policy: ReportPolicy | None = None,
        idempotency_key: str | None = None,
    ) -> Args:
        body = given(id=id, priority=priority, policy=policy)
        return Args(json=body, idempotency_key=idempotency_key)

    @endpoint("GET", "/v1/sources", SourceList)
    def list(self) -> Args:
        return Args()

    @endpoint("GET", "/v1/sources/{source_id}", SourceRead)
    def get(self, source_id: str) -> Args:
        return Args()

    @endpoint("GET", "/v1/locations/{location_id}/report-policy", ReportPolicyRead)
    def location_policy(self, location_id: str) -> Args:
        return Args()

    @endpoint("PUT", "/v1/locations/{location_id}/report-policy", ReportPolicyRead)
    def set_location_policy(self, location_id: str, policy: ReportPolicy | None) -> Args:
        """Override the policy at a location (None: follow the sources)."""
        return Args(json={"policy": policy})


class CapacityPools(Resource[T]):
    @endpoint("POST", "/v1/capacity-pools", CapacityPoolRead)
    def create(
        self,
        id: str,
        location: str,
        name: str,
        *,
        lead_time_weeks: int | None = None,
        idempotency_key: str | None = None,
    ) -> Args:
        """A workshop's weekly production (admin)."""
        body = given(id=id, location=location, name=name, lead_time_weeks=lead_time_weeks)
        return Args(json=body, idempotency_key=idempotency_key)

    @endpoint("GET", "/v1/capacity-pools/{pool_id}", CapacityPoolRead)
    def get(self, pool_id: str) -> Args:
        return Args()

    @endpoint("GET", "/v1/capacity-pools", CapacityPoolPage)
    def list(self, *, limit: int | None = None, cursor: str | None = None) -> Args:
        return Args(params={"limit": limit, "cursor": cursor})

    iter = by_cursor(list)

    @endpoint("PUT", "/v1/capacity-pools/{pool_id}/weeks", CapacityWeeksRead)
    def set_weeks(self, pool_id: str, weeks: Sequence[WeekIn]) -> Args:
        """Set the capacity of many weeks at once (all or none)."""
        return Args(json={"weeks": list(weeks)})

    @endpoint("GET", "/v1/capacity-pools/{pool_id}/weeks", CapacityWeeksRead)
    def weeks(self, pool_id: str, *, first: str | None = None, last: str | None = None) -> Args:
        """Capacity, held, committed and free per week from `first` to `last`."""
        return Args(params={"from": first, "to": last})


class ProductionSlots(Resource[T]):
    @endpoint("POST", "/v1/production/slots", SlotRead)
    def create(
        self,
        lines: Sequence[ProductionLineIn],
        *,
        earliest_week: str | None = None,
        ttl_seconds: int | None = None,
        reference: str | None = None,
        idempotency_key: str | None = None,
    ) -> Args:
        """Book production capacity: each line the earliest week with room."""
        body = given(
            lines=list(lines),
            earliest_week=earliest_week,
            ttl_seconds=ttl_seconds,
            reference=reference,
        )
        return Args(json=body, idempotency_key=idempotency_key)

    @endpoint("GET", "/v1/production/slots/{slot_id}", SlotRead)
    def get(self, slot_id: str) -> Args:
        return Args()

    @endpoint("POST", "/v1/production/slots/{slot_id}/extend", SlotRead)
    def extend(self, slot_id: str, ttl_seconds: int, *, idempotency_key: str | None = None) -> Args:
        return Args(json={"ttl_seconds": ttl_seconds}, idempotency_key=idempotency_key)

    @endpoint("POST", "/v1/production/slots/{slot_id}/release", SlotRead)
    def release(self, slot_id: str, *, idempotency_key: str | None = None) -> Args:
        return Args(idempotency_key=idempotency_key)

    @endpoint("POST", "/v1/production/slots/{slot_id}/commit", SlotRead)
    def commit(self, slot_id: str, order_id: str, *, idempotency_key: str | None = None) -> Args:
        """The held units become committed to the order."""
        return Args(json={"order_id": order_id}, idempotency_key=idempotency_key)


def _day(day: date | str | None) -> str | None:
    """A date as the API takes it (`YYYY-MM-DD`); a string as given."""
    return day.isoformat() if isinstance(day, date) else day
