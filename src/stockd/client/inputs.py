"""What the caller sends: TypedDicts for the nested parts of request bodies.

Top-level fields are keyword arguments of each endpoint; the parts that come
in lists or nest (lines, changes, ship-to points, patches) are plain dicts
typed here, named after the request schemas they mirror in `/openapi.json`.
They go on the wire as written, so a key left out is a key not sent — which
is how a `LocationUpdate` tells "leave `lat` alone" from `{"lat": None}`.
"""

# No `from __future__ import annotations` here: TypedDict reads NotRequired
# from evaluated annotations, and would count every key as required.
from collections.abc import Sequence
from typing import Literal, NotRequired, TypedDict

from stockd.client.models import ChannelKind, InventoryType, LocationType, Policy

Strategy = Literal["priority", "nearest", "fewest_shipments", "lowest_cost", "most_stock"]
AdjustableState = Literal["on_hand", "damaged", "quality_control", "safety_stock", "incoming"]
MovableState = Literal["on_hand", "damaged", "quality_control"]
Condition = Literal["resellable", "damaged", "quality_control"]


class LineIn(TypedDict):
    """A reservation or order line; without `location` stockd places it."""

    sku: str
    quantity: int
    location: NotRequired[str | None]


class UnitsIn(TypedDict):
    sku: str
    quantity: int


class ShipTo(TypedDict):
    lat: float
    lon: float
    region: NotRequired[str | None]


class ShippingCostIn(TypedDict, total=False):
    fixed: float
    per_km_unit: float


class ChangeIn(TypedDict):
    """One adjustment: exactly one of `delta` and `set` (see docs/api.md)."""

    sku: str
    location: str
    state: AdjustableState
    reason: str
    delta: NotRequired[int]
    set: NotRequired[int]
    expected: NotRequired[int]
    expected_version: NotRequired[int]
    from_state: NotRequired[MovableState]
    reference: NotRequired[str]


class OptionPoolIn(TypedDict):
    """Units of a made-to-order SKU made with `option` = `value` are made in `pool`."""

    option: str
    value: str
    pool: str


class ChannelPreorderCapIn(TypedDict):
    """At most `cap` units of a preorder SKU preordered through `channel`."""

    channel: str
    cap: int


class SkuUpdate(TypedDict, total=False):
    product_id: str
    name: str
    policy: Policy
    backorder_cap: int
    inventory_type: InventoryType
    capacity_pool: str
    option_pools: Sequence[OptionPoolIn]
    preorder_cap: int
    preorder_until: str
    """RFC 3339."""
    preorder_channel_caps: Sequence[ChannelPreorderCapIn]
    """Replaces the list."""


class OrderLineIn(TypedDict):
    """An order line; a made-to-order SKU's may carry `options` (its pool may depend on them)."""

    sku: str
    quantity: int
    location: NotRequired[str | None]
    options: NotRequired[dict[str, str] | None]


class ProductionLineIn(TypedDict):
    sku: str
    quantity: int
    options: NotRequired[dict[str, str] | None]


class WeekIn(TypedDict):
    """A week's capacity: `week` as `2027-W03`."""

    week: str
    units: int


class LocationUpdate(TypedDict, total=False):
    """Only the keys given change; `region`, `lat` and `lon` may be None."""

    name: str
    type: LocationType
    region: str | None
    lat: float | None
    lon: float | None
    priority: int
    active: bool
    ships: bool
    pickup: bool
    shipping_cost: ShippingCostIn
    timezone: str


class ChannelUpdate(TypedDict, total=False):
    """Only the keys given change; `default_share_pct` may be None."""

    name: str
    kind: ChannelKind
    priority: int
    safety_buffer_pct: int
    default_share_pct: int | None
    waterfall: bool
    active: bool


class WebhookUpdate(TypedDict, total=False):
    """Only the keys given change; `channel`, `skus`, `low_stock_threshold`
    and `description` may be None."""

    url: str
    events: Sequence[str]
    channel: str | None
    skus: Sequence[str] | None
    low_stock_threshold: int | None
    description: str | None
    active: bool


class PoolIn(TypedDict):
    """A channel's pool of a SKU: `share_pct` or `units`, not both."""

    channel: str
    share_pct: NotRequired[int]
    units: NotRequired[int]


class CountLineIn(TypedDict):
    """A counted SKU: the units found on the shelf."""

    sku: str
    quantity: int


class ReportLineIn(TypedDict):
    """A figure a source observed; `observed_at` in RFC 3339 with its offset."""

    sku: str
    location: str
    quantity: int
    observed_at: str
