"""Turning rows into domain objects, and the SQL column lists that go with them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
import orjson

from stockd.domain.capacity import OptionPool
from stockd.domain.catalog import (
    ChannelPreorderCap,
    InventoryType,
    Location,
    LocationType,
    PolicyKind,
    ShippingCost,
    Sku,
    StockPolicy,
)
from stockd.domain.channels import Channel, ChannelKind
from stockd.domain.quantities import STATES, Level, LevelKey, Quantities
from stockd.domain.reservations import HoldLine, Reservation, ReservationStatus
from stockd.domain.webhooks import Webhook
from stockd.service.ports import Delivery

Row = asyncpg.Record | Mapping[str, Any]

COUNTERS = tuple(s.value for s in STATES)
LEVEL_COLUMNS = ", ".join(("sku", "location", *COUNTERS, "floor", "version"))
_SKU_FIELDS = (
    "sku, product_id, name, policy, backorder_cap, preorder_cap, preorder_until, version,"
    " archived, inventory_type, capacity_pool, option_pools"
)
SKU_NAMES = (*_SKU_FIELDS.split(", "), "preorder_channels")
"""The names of `SKU_COLUMNS` (to select them again from a subquery)."""
SKU_COLUMNS = (
    _SKU_FIELDS
    # Only a preorder SKU reads its channel caps: any other pays nothing.
    + ", CASE WHEN policy = 'preorder' THEN (SELECT json_agg(json_build_array("
    " c.channel, c.cap, c.preordered) ORDER BY c.channel) FROM sku_preorder_channels c"
    " WHERE c.sku = skus.sku) END AS preorder_channels"
)
"""A SKU's columns, read `FROM skus` (not aliased)."""
WEBHOOK_COLUMNS = (
    "id, url, events, channel, skus, low_stock_threshold, description, active, version,"
    " created_at, updated_at"
)
LOCATION_COLUMNS = (
    "id, name, type, region, lat, lon, priority, active, version, ships, pickup,"
    " shipping_fixed_cost, shipping_cost_per_km_unit, archived, timezone"
)
CHANNEL_COLUMNS = (
    "id, name, kind, priority, safety_buffer_pct, default_share_pct, waterfall, active, version"
)
RESERVATION_COLUMNS = (
    "id, status, reference, order_id, created_at, expires_at, closed_at, pickup_location, channel"
)
assert len(COUNTERS) == 7, "quantities() below names each counter"
_COLUMNS_BY_PREFIX = {"": COUNTERS, "d_": tuple(f"d_{c}" for c in COUNTERS)}


def quantities(row: Row, prefix: str = "") -> Quantities:
    # Spelled out: this runs for every level of every read (a generator
    # building each column name took 10% of an API worker on availability).
    on_hand, reserved, committed, damaged, quality_control, safety_stock, incoming = (
        _COLUMNS_BY_PREFIX[prefix]
    )
    return Quantities(
        row[on_hand],
        row[reserved],
        row[committed],
        row[damaged],
        row[quality_control],
        row[safety_stock],
        row[incoming],
    )


def level(row: Row) -> Level:
    return Level(
        key=LevelKey(row["sku"], row["location"]),
        quantities=quantities(row),
        floor=row["floor"],
        version=row["version"],
    )


def channel(row: Row) -> Channel:
    return Channel(
        id=row["id"],
        name=row["name"],
        kind=ChannelKind(row["kind"]),
        priority=row["priority"],
        safety_buffer_pct=row["safety_buffer_pct"],
        default_share_pct=row["default_share_pct"],
        waterfall=row["waterfall"],
        active=row["active"],
        version=row["version"],
    )


def sku(row: Row) -> Sku:
    return Sku(
        sku=row["sku"],
        product_id=row["product_id"],
        name=row["name"],
        policy=StockPolicy(
            PolicyKind(row["policy"]),
            row["backorder_cap"],
            row["preorder_cap"],
            row["preorder_until"],
            tuple(
                ChannelPreorderCap(channel, cap, preordered)
                for channel, cap, preordered in orjson.loads(row["preorder_channels"] or "[]")
            ),
        ),
        version=row["version"],
        archived=row["archived"],
        inventory_type=InventoryType(row["inventory_type"]),
        capacity_pool=row["capacity_pool"],
        option_pools=tuple(OptionPool(**p) for p in orjson.loads(row["option_pools"])),
    )


def location(row: Row) -> Location:
    return Location(
        id=row["id"],
        name=row["name"],
        type=LocationType(row["type"]),
        region=row["region"],
        lat=row["lat"],
        lon=row["lon"],
        priority=row["priority"],
        active=row["active"],
        version=row["version"],
        ships=row["ships"],
        pickup=row["pickup"],
        shipping_cost=ShippingCost(row["shipping_fixed_cost"], row["shipping_cost_per_km_unit"]),
        archived=row["archived"],
        timezone=row["timezone"],
    )


def reservation(row: Row, lines: Sequence[Row]) -> Reservation:
    return Reservation(
        id=row["id"],
        status=ReservationStatus(row["status"]),
        lines=tuple(HoldLine(r["sku"], r["location"], r["quantity"], r["named"]) for r in lines),
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        reference=row["reference"],
        order_id=row["order_id"],
        closed_at=row["closed_at"],
        pickup_location=row["pickup_location"],
        channel=row["channel"],
    )


def webhook(row: Row) -> Webhook:
    return Webhook(
        id=row["id"],
        url=row["url"],
        events=tuple(row["events"]),
        channel=row["channel"],
        skus=None if row["skus"] is None else tuple(row["skus"]),
        low_stock_threshold=row["low_stock_threshold"],
        description=row["description"],
        active=row["active"],
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def delivery(row: Row) -> Delivery:
    return Delivery(
        id=row["id"],
        webhook_id=row["webhook_id"],
        message_id=row["message_id"],
        seq=row["seq"],
        type=row["type"],
        sku=row["sku"],
        payload=orjson.loads(row["payload"]),
        status=row["status"],
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        last_attempt_at=row["last_attempt_at"],
        last_status=row["last_status"],
        last_error=row["last_error"],
        last_response=row["last_response"],
        created_at=row["created_at"],
        delivered_at=row["delivered_at"],
    )
