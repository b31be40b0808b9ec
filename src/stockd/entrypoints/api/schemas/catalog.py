"""SKUs and locations."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, model_validator

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
from stockd.entrypoints.api.schemas.common import Code, Count, Input, Instant, Name, Output
from stockd.entrypoints.api.schemas.production import OptionText

PolicyName = Literal["deny", "backorder", "preorder"]
InventoryTypeName = Literal["physical", "made_to_order"]


class OptionPoolIn(Input):
    """Units made with `option` = `value` are made in `pool`."""

    option: OptionText
    value: OptionText
    pool: Code

    def to_domain(self) -> OptionPool:
        return OptionPool(self.option, self.value, self.pool)


class OptionPoolRead(Output):
    option: str
    value: str
    pool: str


INVENTORY_TYPE = (
    "`physical` (sold from stock) or `made_to_order` (made in the weeks of a capacity pool:"
    " `capacity_pool` is then required; a physical SKU has none)."
)
CAPACITY_POOL = "The capacity pool a made-to-order SKU is made in."
OPTION_POOLS = (
    "Options that move a made-to-order SKU to another pool: a line with"
    " `options[option] == value` books `pool` (the first match wins)."
)
LocationTypeName = Literal["warehouse", "store", "supplier"]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Priority = Annotated[int, Field(ge=0, le=1_000_000, description="Lower is preferred.")]
Money = Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False)]


def _known_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not an IANA time zone (such as Europe/Berlin)") from None
    return name


TimeZone = Annotated[
    str,
    Field(min_length=1, max_length=64, examples=["Europe/Berlin"]),
    AfterValidator(_known_zone),
]
"""An IANA time zone name."""


class ShippingCostIn(Input):
    """Cost of one shipment from a location: `fixed` + `per_km_unit` x km x units."""

    fixed: Money = 0.0
    per_km_unit: Money = 0.0

    def to_domain(self) -> ShippingCost:
        return ShippingCost(self.fixed, self.per_km_unit)


class ShippingCostRead(Output):
    fixed: float
    per_km_unit: float


def _policy(
    policy: PolicyName,
    cap: int,
    preorder_cap: int = 0,
    preorder_until: datetime | None = None,
    channel_caps: tuple[ChannelPreorderCap, ...] = (),
) -> StockPolicy:
    return StockPolicy(PolicyKind(policy), cap, preorder_cap, preorder_until, channel_caps)


class ChannelPreorderCapIn(Input):
    """At most `cap` units preordered through `channel`."""

    channel: Code
    cap: Count

    def to_domain(self) -> ChannelPreorderCap:
        return ChannelPreorderCap(self.channel, self.cap)


class ChannelPreorderCapRead(Output):
    channel: str
    cap: int
    preordered: int = Field(
        description="Units preordered through the channel now (held or ordered, not yet"
        " covered by an arrival)."
    )


PREORDER_CAP = (
    "With policy 'preorder': how many units may be sold in total, over all its levels,"
    " beyond stock with no inbound behind them (also how far below zero each level may go)."
)
PREORDER_CHANNEL_CAPS = (
    "With policy 'preorder': caps on the units preordered through a sales channel, each"
    " within `preorder_cap` as well. A channel not listed, or a hold or order through no"
    " channel, is limited by `preorder_cap` only. Each channel must exist and be listed once."
    " A cap below what the channel has preordered keeps those preorders; the channel takes"
    " no new one until it is back under its cap."
)
PREORDER_UNTIL = (
    "With policy 'preorder': when preorders end (RFC 3339); after it the SKU sells as"
    " 'deny'. None: no end date."
)


class SkuCreate(Input):
    sku: Code
    product_id: Code
    name: Name
    policy: PolicyName = "deny"
    backorder_cap: Count = Field(
        0, description="With policy 'backorder': how far below zero each level may go."
    )
    preorder_cap: Count = Field(0, description=PREORDER_CAP)
    preorder_until: Instant | None = Field(None, strict=False, description=PREORDER_UNTIL)
    preorder_channel_caps: list[ChannelPreorderCapIn] = Field(
        default_factory=list, max_length=100, description=PREORDER_CHANNEL_CAPS
    )

    inventory_type: InventoryTypeName = Field("physical", description=INVENTORY_TYPE)
    capacity_pool: Code | None = Field(None, description=CAPACITY_POOL)
    option_pools: list[OptionPoolIn] = Field(
        default_factory=list, max_length=100, description=OPTION_POOLS
    )

    @model_validator(mode="after")
    def _check(self) -> SkuCreate:
        self.to_domain()
        return self

    def to_domain(self) -> Sku:
        policy = _policy(
            self.policy,
            self.backorder_cap,
            self.preorder_cap,
            self.preorder_until,
            tuple(x.to_domain() for x in self.preorder_channel_caps),
        )
        return Sku(
            self.sku,
            self.product_id,
            self.name,
            policy,
            inventory_type=InventoryType(self.inventory_type),
            capacity_pool=self.capacity_pool,
            option_pools=tuple(x.to_domain() for x in self.option_pools),
        )


class SkuUpdate(Input):
    product_id: Code | None = None
    name: Name | None = None
    policy: PolicyName | None = None
    backorder_cap: Count | None = None
    preorder_cap: Count | None = None
    preorder_until: Instant | None = Field(None, strict=False, description=PREORDER_UNTIL)
    preorder_channel_caps: list[ChannelPreorderCapIn] | None = Field(
        None, max_length=100, description=PREORDER_CHANNEL_CAPS + " Replaces the list."
    )
    inventory_type: InventoryTypeName | None = Field(
        None,
        description=INVENTORY_TYPE + " Switching to `physical` drops the pool and option pools.",
    )
    capacity_pool: Code | None = Field(None, description=CAPACITY_POOL)
    option_pools: list[OptionPoolIn] | None = Field(
        None, max_length=100, description=OPTION_POOLS + " Replaces the list."
    )

    def changes(self) -> dict[str, object]:
        out = {
            k: v
            for k, v in self.model_dump(
                exclude_unset=True, exclude={"option_pools", "preorder_channel_caps"}
            ).items()
            if v is not None
        }
        if self.option_pools is not None:
            out["option_pools"] = tuple(x.to_domain() for x in self.option_pools)
        if self.preorder_channel_caps is not None:
            out["preorder_channel_caps"] = tuple(x.to_domain() for x in self.preorder_channel_caps)
        return out


class SkuRead(Output):
    sku: str
    product_id: str
    name: str
    policy: PolicyName
    backorder_cap: int
    preorder_cap: int = Field(0, description=PREORDER_CAP)
    preorder_until: datetime | None = Field(None, description=PREORDER_UNTIL)
    preorder_channel_caps: list[ChannelPreorderCapRead] = Field(
        default_factory=list, description=PREORDER_CHANNEL_CAPS
    )
    archived: bool = Field(
        description="Archived (DELETE): no longer held, ordered or sold, nor listed by default."
    )
    version: int
    inventory_type: InventoryTypeName = Field("physical", description=INVENTORY_TYPE)
    capacity_pool: str | None = Field(None, description=CAPACITY_POOL)
    option_pools: list[OptionPoolRead] = Field(default_factory=list, description=OPTION_POOLS)

    @classmethod
    def of(cls, s: Sku) -> SkuRead:
        shown = s.as_dict()
        shown["preorder_channel_caps"] = [
            {**c.as_dict(), "preordered": c.preordered} for c in s.policy.channel_caps_in_order
        ]
        return cls.model_validate(shown)


class SkuPage(Output):
    items: list[SkuRead]
    next_cursor: str | None


class LocationCreate(Input):
    id: Code
    name: Name
    type: LocationTypeName = "warehouse"
    region: Code | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None
    priority: Priority = 100
    active: bool = True
    ships: bool | None = Field(
        None, description="Orders may be shipped from here; defaults to false for stores."
    )
    pickup: bool | None = Field(
        None, description="Customers may collect here; defaults to true for stores."
    )
    shipping_cost: ShippingCostIn = ShippingCostIn()
    timezone: TimeZone = Field(
        "UTC", description="The IANA zone whose calendar it works by (days, ISO weeks)."
    )

    @model_validator(mode="after")
    def _check(self) -> LocationCreate:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon must be given together")
        return self

    def to_domain(self) -> Location:
        return Location(
            id=self.id,
            name=self.name,
            type=LocationType(self.type),
            region=self.region,
            lat=self.lat,
            lon=self.lon,
            priority=self.priority,
            active=self.active,
            ships=self.type != "store" if self.ships is None else self.ships,
            pickup=self.type == "store" if self.pickup is None else self.pickup,
            shipping_cost=self.shipping_cost.to_domain(),
            timezone=self.timezone,
        )


class LocationUpdate(Input):
    """Only the fields given change; region, lat and lon may be set to null."""

    name: Name | None = None
    type: LocationTypeName | None = None
    region: Code | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None
    priority: Priority | None = None
    active: bool | None = None
    ships: bool | None = None
    pickup: bool | None = None
    shipping_cost: ShippingCostIn | None = None
    timezone: TimeZone | None = None

    def changes(self) -> dict[str, object]:
        given = self.model_dump(exclude_unset=True)
        nullable = {"region", "lat", "lon"}
        out = {k: v for k, v in given.items() if v is not None or k in nullable}
        if "type" in out:
            out["type"] = LocationType(out["type"])
        if self.shipping_cost is not None:
            out["shipping_cost"] = self.shipping_cost.to_domain()
        return out


class LocationRead(Output):
    id: str
    name: str
    type: LocationTypeName
    region: str | None
    lat: float | None
    lon: float | None
    priority: int
    active: bool
    ships: bool
    pickup: bool
    shipping_cost: ShippingCostRead
    timezone: str
    archived: bool = Field(
        description="Archived (DELETE): never chosen nor usable, nor listed by default."
    )
    version: int

    @classmethod
    def of(cls, loc: Location) -> LocationRead:
        return cls.model_validate(loc.as_dict())


class LocationPage(Output):
    items: list[LocationRead]
    next_cursor: str | None
