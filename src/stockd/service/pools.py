"""A SKU's channel pools as they stand now: its shares, resolved to units
from its sellable stock (`stockd.domain.channels.resolve_pools`), and what
one channel may sell of it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from stockd import errors
from stockd.domain.channels import (
    Allowance,
    Channel,
    Pools,
    PoolShare,
    SkuChannels,
    advertised,
    default_shares,
    pooled,
    resolve_pools,
)
from stockd.domain.offers import offer
from stockd.service.channel_book import MAX_CHANNELS
from stockd.service.queries import AvailabilityReader, LocatedLevel, ReadModel


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


async def sku_pools(reads: ReadModel, sku: str) -> SkuPools | None:
    """The SKU's pools now; None when the SKU does not exist."""
    stock = (await reads.channel_stock({sku})).get(sku)
    if stock is None:
        return None
    channels: dict[str, Channel] = {c.id: c for c in await reads.channels(None, MAX_CHANNELS)}
    defaults = not stock.shares
    shares = default_shares(channels) if defaults else list(stock.shares)
    return SkuPools(
        sku, stock.for_sale, shares, defaults, resolve_pools(stock.for_sale, shares, channels)
    )


@dataclass(frozen=True, slots=True)
class ChannelAvailability:
    """What one channel may sell of one SKU now, and what it is shown."""

    sku: str
    sellable: int
    """What a hold through the channel may take now: its room in the pools,
    never above what the SKU has available."""
    advertised: int
    """`sellable` lowered by the channel's safety buffer, never above what
    the SKU has available (`stockd.domain.channels.advertised`)."""
    allowance: Allowance
    """Where the units would come from."""

    def as_dict(self) -> dict[str, Any]:
        """As `GET /v1/channels/{id}/availability/{sku}` shows it."""
        a = self.allowance
        return {
            "channel": a.channel,
            "sku": self.sku,
            "sellable": self.sellable,
            "advertised": self.advertised,
            "pool": {"units": a.pool, "outstanding": a.outstanding, "free": a.free},
            "shared_free": a.shared_free,
            "borrowable": a.borrowable,
        }


async def channel_availability(
    reads: ReadModel, availability: AvailabilityReader, channel_id: str, sku: str
) -> ChannelAvailability:
    """What `channel_id` may sell of `sku` now (404 when either is unknown)."""
    found = await channel_figures(reads, availability, channel_id, [sku])
    if sku not in found:
        raise errors.NotFound(f"SKU {sku!r} does not exist")
    return found[sku]


async def channel_figures(
    reads: ReadModel, availability: AvailabilityReader, channel_id: str, skus: Sequence[str]
) -> dict[str, ChannelAvailability]:
    """What `channel_id` may sell of each existing SKU of `skus` now, in two
    queries however many SKUs (404 when the channel is unknown)."""
    channels = {c.id: c for c in await reads.channels(None, MAX_CHANNELS)}
    channel = channels.get(channel_id)
    if channel is None:
        raise errors.NotFound(f"channel {channel_id!r} does not exist")
    levels = await availability.of_many(skus)
    stocks = await reads.channel_stock(skus)
    return {
        sku: figure(channel, channels, stock, levels[sku])
        for sku, stock in stocks.items()
        if sku in levels
    }


async def available_figures(
    reads: ReadModel, availability: AvailabilityReader, skus: Sequence[str]
) -> dict[str, int]:
    """What each existing SKU of `skus` has available, over its locations:
    the figure of a SKU seen through no channel."""
    levels = await availability.of_many(skus)
    stocks = await reads.channel_stock(skus)
    return {sku: available(stocks[sku], found) for sku, found in levels.items() if sku in stocks}


def available(stock: SkuChannels, levels: Sequence[LocatedLevel]) -> int:
    """What the SKU can sell over these levels (an archived SKU, nothing)."""
    return 0 if stock.archived else sum(offer(x.level, x.location).sellable for x in levels)


def figure(
    channel: Channel,
    channels: Mapping[str, Channel],
    stock: SkuChannels,
    levels: Sequence[LocatedLevel],
) -> ChannelAvailability:
    """What `channel` may sell of one SKU with these `levels`. A SKU not
    split into pools sells to every channel alike (all of it is shared); an
    inactive channel, or an archived SKU, sells nothing."""
    units = available(stock, levels)
    outstanding = stock.outstanding.get(channel.id, 0)
    if not channel.active or stock.archived:
        mine = Allowance(channel.id, 0, outstanding, 0, 0, 0)
    elif not pooled(stock.shares, channels):
        mine = Allowance(channel.id, 0, outstanding, 0, units, 0)
    else:
        mine = stock.allowances(channels)[channel.id]
    sellable = min(mine.sellable, units)
    return ChannelAvailability(stock.sku, sellable, advertised(sellable, channel, units), mine)
