"""A SKU's channel pools as they stand now: its shares, resolved to units
from its sellable stock (`stockd.domain.channels.resolve_pools`), and what
one channel may sell of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stockd import errors
from stockd.domain.channels import (
    Channel,
    Pools,
    PoolShare,
    advertised,
    allowances,
    default_shares,
    pooled,
    resolve_pools,
)
from stockd.domain.offers import offer
from stockd.service.queries import AvailabilityReader, ReadModel

MAX_CHANNELS = 10_000
"""Channels read at once: every channel's default share may apply."""


@dataclass(frozen=True, slots=True)
class SkuPools:
    sku: str
    sellable: int
    """Units before any hold at the SKU's usable locations (`FOR_SALE`)."""
    shares: list[PoolShare]
    defaults: bool
    """True when `shares` are the channels' default shares (the SKU has none)."""
    pools: Pools

    def as_dict(self) -> dict[str, Any]:
        """As `GET /v1/skus/{sku}/channel-pools` (and `stockd channels pools
        --json`) show it: each share with the units it `resolved` to."""
        return {
            "sku": self.sku,
            "sellable": self.sellable,
            "pools": [
                {**s.as_dict(), "resolved": self.pools.units.get(s.channel, 0)} for s in self.shares
            ],
            "defaults": self.defaults,
            "shared": self.pools.shared,
        }


async def sku_pools(
    reads: ReadModel, availability: AvailabilityReader, sku: str
) -> SkuPools | None:
    """The SKU's pools now; None when the SKU does not exist."""
    levels = await availability.of(sku)
    if levels is None:
        return None
    sellable = sum(x.level.quantities.for_sale for x in levels if x.location.usable)
    channels: dict[str, Channel] = {c.id: c for c in await reads.channels(None, MAX_CHANNELS)}
    shares = await reads.channel_pools(sku)
    defaults = not shares
    if defaults:
        shares = default_shares(channels)
    return SkuPools(sku, sellable, shares, defaults, resolve_pools(sellable, shares, channels))


@dataclass(frozen=True, slots=True)
class ChannelAvailability:
    """What one channel may sell of one SKU now, and what it is shown."""

    channel: str
    sku: str
    sellable: int
    """What a hold through the channel may take now: its room in the pools,
    never above what the SKU has available."""
    advertised: int
    """`sellable` lowered by the channel's safety buffer, never above what
    the SKU has available (`stockd.domain.channels.advertised`)."""
    pool_units: int
    outstanding: int
    free: int
    shared_free: int
    borrowable: int

    def as_dict(self) -> dict[str, Any]:
        """As `GET /v1/channels/{id}/availability/{sku}` shows it."""
        return {
            "channel": self.channel,
            "sku": self.sku,
            "sellable": self.sellable,
            "advertised": self.advertised,
            "pool": {"units": self.pool_units, "outstanding": self.outstanding, "free": self.free},
            "shared_free": self.shared_free,
            "borrowable": self.borrowable,
        }


async def channel_availability(
    reads: ReadModel, availability: AvailabilityReader, channel_id: str, sku: str
) -> ChannelAvailability:
    """What `channel_id` may sell of `sku` now. A SKU not split into pools
    sells to every channel alike: all of it is shared."""
    channel = await reads.channel(channel_id)
    if channel is None:
        raise errors.NotFound(f"channel {channel_id!r} does not exist")
    levels = await availability.of(sku)
    stock = await reads.channel_stock(sku)
    if levels is None or stock is None:
        raise errors.NotFound(f"SKU {sku!r} does not exist")
    available = sum(offer(x.level, x.location).sellable for x in levels)
    channels = {c.id: c for c in await reads.channels(None, MAX_CHANNELS)}
    outstanding = stock.outstanding.get(channel_id, 0)
    if not channel.active:
        return ChannelAvailability(channel_id, sku, 0, 0, 0, outstanding, 0, 0, 0)
    if not pooled(stock.shares, channels):
        return ChannelAvailability(
            channel_id,
            sku,
            available,
            advertised(available, channel, available),
            0,
            outstanding,
            0,
            available,
            0,
        )
    found = allowances(stock.pools(channels), channels, stock.outstanding, stock.unchanneled)
    mine = found[channel_id]
    sellable = min(mine.sellable, available)
    return ChannelAvailability(
        channel_id,
        sku,
        sellable,
        advertised(sellable, channel, available),
        mine.pool,
        mine.outstanding,
        mine.free,
        mine.shared_free,
        mine.borrowable,
    )
