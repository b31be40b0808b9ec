"""A SKU's channel pools as they stand now: its shares, resolved to units
from its sellable stock (`stockd.domain.channels.resolve_pools`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stockd.domain.channels import Channel, Pools, PoolShare, default_shares, resolve_pools
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
