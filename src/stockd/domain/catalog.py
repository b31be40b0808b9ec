"""What is sold (SKUs with their selling policy) and where stock lives (locations)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from stockd.domain.capacity import OptionPool
from stockd.domain.geo import Point


class InventoryType(StrEnum):
    PHYSICAL = "physical"
    MADE_TO_ORDER = "made_to_order"
    """Made in a capacity pool's weeks, not sold from shelf stock."""


class PolicyKind(StrEnum):
    DENY = "deny"
    BACKORDER = "backorder"
    PREORDER = "preorder"


@dataclass(frozen=True, slots=True)
class ChannelPreorderCap:
    """How many of a preorder SKU's units may be preordered through one
    sales channel (within the SKU's total `preorder_cap` as well)."""

    channel: str
    cap: int
    preordered: int = field(default=0, compare=False)
    """Units preordered through the channel, as last read: a figure the
    store keeps, not part of the policy (never compared nor recorded)."""

    def as_dict(self) -> dict[str, Any]:
        return {"channel": self.channel, "cap": self.cap}


@dataclass(frozen=True, slots=True)
class StockPolicy:
    """Whether a SKU may be sold beyond its stock, and how far.

    Under `backorder` each level of the SKU may go down to `-backorder_cap`
    available units (each of them tied to inbound); under `deny` available
    never goes below zero. Under `preorder` the SKU sells beyond its stock
    until `preorder_until` (if set): against inbound first, then up to
    `preorder_cap` units in total over all its levels without inbound (no
    date yet: the first arrivals cover them); after `preorder_until` it
    behaves as `deny`. `preorder_channel_caps` caps the units preordered
    through a channel as well (a channel not listed, or a hold through no
    channel, is limited by the total only).
    """

    kind: PolicyKind = PolicyKind.DENY
    backorder_cap: int = 0
    preorder_cap: int = 0
    preorder_until: datetime | None = None
    preorder_channel_caps: tuple[ChannelPreorderCap, ...] = ()

    def __post_init__(self) -> None:
        if self.backorder_cap < 0:
            raise ValueError("backorder_cap must not be negative")
        if self.preorder_cap < 0:
            raise ValueError("preorder_cap must not be negative")
        if self.kind is not PolicyKind.BACKORDER and self.backorder_cap:
            raise ValueError("backorder_cap needs policy 'backorder'")
        if self.kind is not PolicyKind.PREORDER and (
            self.preorder_cap or self.preorder_until is not None
        ):
            raise ValueError("preorder_cap and preorder_until need policy 'preorder'")
        if self.kind is not PolicyKind.PREORDER and self.preorder_channel_caps:
            raise ValueError("preorder_channel_caps need policy 'preorder'")
        seen: set[str] = set()
        for c in self.preorder_channel_caps:
            if c.cap < 0:
                raise ValueError(f"preorder_channel_caps: the cap of {c.channel!r} is negative")
            if c.channel in seen:
                raise ValueError(f"preorder_channel_caps: channel {c.channel!r} is given twice")
            seen.add(c.channel)

    @property
    def floor(self) -> int:
        if self.kind is PolicyKind.BACKORDER:
            return -self.backorder_cap
        if self.kind is PolicyKind.PREORDER:
            return -self.preorder_cap
        return 0

    def preorders_at(self, now: datetime) -> bool:
        """Whether units may be preordered (sold with no inbound behind them) now."""
        return self.kind is PolicyKind.PREORDER and (
            self.preorder_until is None or now < self.preorder_until
        )

    @property
    def channel_caps_in_order(self) -> list[ChannelPreorderCap]:
        """The channel caps by channel: the order they are shown and compared in."""
        return sorted(self.preorder_channel_caps, key=lambda c: c.channel)

    def preorders_ended(self, now: datetime) -> bool:
        """Whether a preorder SKU is past its `preorder_until`: it sells as `deny`."""
        return self.kind is PolicyKind.PREORDER and not self.preorders_at(now)


@dataclass(frozen=True, slots=True)
class Sku:
    """A sellable variant. An `archived` SKU keeps its levels and history
    but takes no new holds, orders or sales."""

    sku: str
    product_id: str
    name: str
    policy: StockPolicy = StockPolicy()
    version: int = 1
    archived: bool = False
    inventory_type: InventoryType = InventoryType.PHYSICAL
    capacity_pool: str | None = None
    """The pool a made-to-order SKU is made in (none for a physical SKU)."""
    option_pools: tuple[OptionPool, ...] = ()
    """Options that move a made-to-order SKU's units to another pool."""

    @property
    def made_to_order(self) -> bool:
        return self.inventory_type is InventoryType.MADE_TO_ORDER

    def pool_for(self, options: Mapping[str, str]) -> str | None:
        """The pool units with these options are made in: the first option
        pool whose option and value match, else the SKU's own."""
        for mapped in self.option_pools:
            if options.get(mapped.option) == mapped.value:
                return mapped.pool
        return self.capacity_pool

    def capacity_problems(self) -> list[tuple[str, str]]:
        """What is wrong with the SKU's made-to-order fields: `(field, detail)`."""
        if not self.made_to_order:
            if self.capacity_pool is not None:
                return [("capacity_pool", "a physical SKU has no capacity_pool")]
            if self.option_pools:
                return [("option_pools", "a physical SKU has no option_pools")]
            return []
        if self.capacity_pool is None:
            return [("capacity_pool", "a made_to_order SKU needs a capacity_pool")]
        seen: set[tuple[str, str]] = set()
        for i, mapped in enumerate(self.option_pools):
            if (mapped.option, mapped.value) in seen:
                return [(f"option_pools[{i}]", f"{mapped.option}={mapped.value} is given twice")]
            seen.add((mapped.option, mapped.value))
        return []

    def as_dict(self) -> dict[str, Any]:
        """The SKU as the API shows it (and as its events record it)."""
        return {
            "sku": self.sku,
            "product_id": self.product_id,
            "name": self.name,
            "policy": self.policy.kind.value,
            "backorder_cap": self.policy.backorder_cap,
            "preorder_cap": self.policy.preorder_cap,
            "preorder_until": self.policy.preorder_until,
            "preorder_channel_caps": [c.as_dict() for c in self.policy.channel_caps_in_order],
            "archived": self.archived,
            "version": self.version,
            "inventory_type": self.inventory_type.value,
            "capacity_pool": self.capacity_pool,
            "option_pools": [p.as_dict() for p in self.option_pools],
        }


class LocationType(StrEnum):
    WAREHOUSE = "warehouse"
    STORE = "store"
    SUPPLIER = "supplier"


@dataclass(frozen=True, slots=True)
class ShippingCost:
    """What a shipment from a location costs: a fixed amount per shipment plus
    an amount per kilometre and unit."""

    fixed: float = 0.0
    per_km_unit: float = 0.0

    def of(self, km: float, units: int) -> float:
        return self.fixed + self.per_km_unit * km * units


@dataclass(frozen=True, slots=True)
class Location:
    """A place that holds stock. Lower `priority` values are preferred.

    `ships`: orders may be shipped from here; `pickup`: customers may collect
    here (click and collect). An inactive or `archived` location keeps its
    stock but is never chosen nor named in new work; archived is for good."""

    id: str
    name: str
    type: LocationType = LocationType.WAREHOUSE
    region: str | None = None
    lat: float | None = None
    lon: float | None = None
    priority: int = 100
    active: bool = True
    version: int = 1
    ships: bool = True
    pickup: bool = False
    shipping_cost: ShippingCost = ShippingCost()
    archived: bool = False
    timezone: str = "UTC"
    """The IANA zone whose calendar the location works by: which day and ISO
    week it is there, when a day or a production week ends."""

    @property
    def usable(self) -> bool:
        """Whether new work may use it: active and not archived."""
        return self.active and not self.archived

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def point(self) -> Point | None:
        return None if self.lat is None or self.lon is None else Point(self.lat, self.lon)

    def as_dict(self) -> dict[str, Any]:
        """The location as the API shows it (and as its events record it)."""
        return {
            "id": self.id,
            "name": self.name,
            "type": self.type.value,
            "region": self.region,
            "lat": self.lat,
            "lon": self.lon,
            "priority": self.priority,
            "active": self.active,
            "ships": self.ships,
            "pickup": self.pickup,
            "shipping_cost": {
                "fixed": self.shipping_cost.fixed,
                "per_km_unit": self.shipping_cost.per_km_unit,
            },
            "archived": self.archived,
            "timezone": self.timezone,
            "version": self.version,
        }


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What differs between two `as_dict` views (its version aside):
    `{field: {"from": old, "to": new}}`; empty when nothing does."""
    return {
        k: {"from": before.get(k), "to": v}
        for k, v in after.items()
        if k != "version" and before.get(k) != v
    }
