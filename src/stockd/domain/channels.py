"""Sales channels and how a SKU's stock is split between them.

A channel is a place that sells: the merchant's own site, a marketplace, its
stores. Each SKU may ring-fence part of its sellable units for channels in
pools — a percentage of the units or a fixed number — and what no pool
claims is the shared pool. This module is the arithmetic, pure and exact:

- `resolve_pools`: the units each pool stands for now, from the SKU's
  sellable units (`FOR_SALE`: on hand less what is never for sale, before
  any hold). Fixed pools come first, most important channel first; the
  percentages split the rest by largest remainder, so the pools and the
  shared pool always add up to exactly the total: no unit is made or lost.
- `allowances`: what each channel may still hold, given the units each has
  outstanding (held and committed). A channel draws on its own pool, then
  the shared pool, then — when its `waterfall` allows — the pools of
  channels with a lower priority (a larger number; the least important
  first). It never draws on the pool of a channel as or more important.
- `advertised`: the figure published to a channel: what it may hold,
  lowered by its safety buffer (which absorbs a marketplace's sync delay),
  and never above what the SKU really has available.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Any

from stockd.domain.events import Event, Movement

MAX_SAFETY_BUFFER_PCT = 50


class ChannelKind(StrEnum):
    WEB = "web"
    MARKETPLACE = "marketplace"
    STORE = "store"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Channel:
    """A place that sells. `priority` 1 is the most important; a channel
    never takes units ring-fenced for a more important one."""

    id: str
    name: str
    kind: ChannelKind = ChannelKind.OTHER
    priority: int = 1
    safety_buffer_pct: int = 0
    default_share_pct: int | None = None
    waterfall: bool = True
    active: bool = True
    version: int = 1

    def __post_init__(self) -> None:
        if self.priority < 1:
            raise ValueError("priority must be 1 or more (1 is the most important)")
        if not 0 <= self.safety_buffer_pct <= MAX_SAFETY_BUFFER_PCT:
            raise ValueError(f"safety_buffer_pct must be 0 to {MAX_SAFETY_BUFFER_PCT}")
        if self.default_share_pct is not None and not 0 <= self.default_share_pct <= 100:
            raise ValueError("default_share_pct must be 0 to 100")

    def as_dict(self) -> dict[str, Any]:
        """The channel as the API shows it (and as its events record it)."""
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind.value,
            "priority": self.priority,
            "safety_buffer_pct": self.safety_buffer_pct,
            "default_share_pct": self.default_share_pct,
            "waterfall": self.waterfall,
            "active": self.active,
            "version": self.version,
        }

    @property
    def rank(self) -> tuple[int, str]:
        """Sort key: the most important channel first (ties by id)."""
        return (self.priority, self.id)


@dataclass(frozen=True, slots=True)
class PoolShare:
    """A channel's pool of one SKU: a percentage of its sellable units or a
    fixed number of them (exactly one of the two)."""

    channel: str
    share_pct: int | None = None
    units: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"channel": self.channel, "share_pct": self.share_pct, "units": self.units}

    def __post_init__(self) -> None:
        if (self.share_pct is None) == (self.units is None):
            raise ValueError("a pool has either share_pct or units")
        if self.share_pct is not None and not 0 <= self.share_pct <= 100:
            raise ValueError("share_pct must be 0 to 100")
        if self.units is not None and self.units < 0:
            raise ValueError("units must not be negative")


def check_shares(shares: Sequence[PoolShare]) -> list[str]:
    """What is wrong with a SKU's pools as a whole (empty when nothing)."""
    problems = []
    seen: set[str] = set()
    for share in shares:
        if share.channel in seen:
            problems.append(f"channel {share.channel!r} has more than one pool")
        seen.add(share.channel)
    total_pct = sum(s.share_pct or 0 for s in shares)
    if total_pct > 100:
        problems.append(f"the shares add up to {total_pct}%, more than 100%")
    return problems


@dataclass(frozen=True, slots=True)
class Pools:
    """The units each pool stands for now; `shared` is what no pool claims.
    `sum(units.values()) + shared` is always the total they were resolved from."""

    units: Mapping[str, int]
    shared: int

    @property
    def total(self) -> int:
        return sum(self.units.values()) + self.shared


def default_shares(channels: Mapping[str, Channel]) -> list[PoolShare]:
    """The pools of a SKU without pools of its own: each channel's
    `default_share_pct` (where it has one), by channel id."""
    return [
        PoolShare(c.id, share_pct=c.default_share_pct)
        for c in sorted(channels.values(), key=lambda c: c.id)
        if c.default_share_pct
    ]


def resolve_pools(
    total: int, shares: Sequence[PoolShare], channels: Mapping[str, Channel]
) -> Pools:
    """The pools of a SKU with `total` sellable units (negative counts as 0).

    Only active channels hold pools (an inactive channel's units go back to
    the shared pool). A SKU without pools of its own uses the channels'
    `default_share_pct`. Fixed pools are served first, the most important
    channel first, as far as the units go; the percentages then split what
    is left — each a share of the whole while the whole suffices, scaled
    down together when fixed pools and percentages ask for more than there
    is — rounded by largest remainder (ties to the more important channel,
    the shared pool last)."""
    total = max(total, 0)
    if not shares:
        shares = default_shares(channels)
    live = sorted(
        (s for s in shares if (c := channels.get(s.channel)) is not None and c.active),
        key=lambda s: channels[s.channel].rank,
    )
    units: dict[str, int] = {}
    left = total
    for share in live:
        if share.units is not None:
            units[share.channel] = min(share.units, left)
            left -= units[share.channel]
    percent = [s for s in live if s.share_pct is not None]
    asked = sum(Fraction(total * (s.share_pct or 0), 100) for s in percent)
    scale = Fraction(1) if asked <= left else Fraction(left) / asked
    quotas = [Fraction(total * (s.share_pct or 0), 100) * scale for s in percent]
    quotas.append(Fraction(left) - sum(quotas, Fraction(0)))  # the shared pool
    *rounded, shared = largest_remainder(quotas, left)
    for share, got in zip(percent, rounded, strict=True):
        units[share.channel] = got
    return Pools(units, shared)


def largest_remainder(quotas: Sequence[Fraction], total: int) -> list[int]:
    """Whole numbers, each its quota rounded down or up, that add up to
    `total` (the quotas must add up to it exactly): the units left after
    rounding down go to the largest fractions, the earliest first on ties."""
    floors = [q.numerator // q.denominator for q in quotas]
    short = total - sum(floors)
    assert 0 <= short <= len(quotas), "quotas must add up to the total"
    by_remainder = sorted(range(len(quotas)), key=lambda i: (-(quotas[i] - floors[i]), i))
    for i in by_remainder[:short]:
        floors[i] += 1
    return floors


@dataclass(frozen=True, slots=True)
class Allowance:
    """What one channel may hold now, and where it would come from."""

    channel: str
    pool: int
    """Units of its own pool."""
    outstanding: int
    """Units it holds or has committed."""
    free: int
    """Of its own pool, what is not in use."""
    shared_free: int
    """Of the shared pool, what is not in use (open to every channel)."""
    borrowable: int
    """Of lower-priority channels' pools, what is not in use and it may take
    (0 when its waterfall is off)."""

    @property
    def sellable(self) -> int:
        return self.free + self.shared_free + self.borrowable


def allowances(
    pools: Pools,
    channels: Mapping[str, Channel],
    outstanding: Mapping[str, int],
    unchanneled: int = 0,
) -> dict[str, Allowance]:
    """What each active channel may hold, given what each has outstanding
    (`unchanneled`: held without naming a channel, from the shared pool).

    Outstanding units are placed where they may have come from: each
    channel's on its own pool first; units held without a channel on the
    shared pool; then each channel's overflow, the least important channel
    first, on the shared pool and then on the pools below it (the least
    important first). Counters do not say who drew first, so the placement
    is one that always exists when every hold was within its allowance: the
    channels with the fewest places to draw from (the least important) are
    placed first, and every place open to them is open to the ones above.
    (Placing the most important first displaced a lower channel's units
    from the shared pool with nowhere left to go: a property test found it.)"""
    ranked = sorted((c for c in channels.values() if c.active), key=lambda c: c.rank)
    free = {c.id: pools.units.get(c.id, 0) for c in ranked}
    over: dict[str, int] = {}
    for c in ranked:
        used = min(outstanding.get(c.id, 0), free[c.id])
        free[c.id] -= used
        over[c.id] = outstanding.get(c.id, 0) - used
    shared_free = max(pools.shared - unchanneled, 0)
    for c in reversed(ranked):
        from_shared = min(over[c.id], shared_free)
        shared_free -= from_shared
        over[c.id] -= from_shared
        for lower in reversed(_below(c, ranked)):
            taken = min(over[c.id], free[lower.id])
            free[lower.id] -= taken
            over[c.id] -= taken
    found = {}
    for c in ranked:
        lower_free = sum(free[d.id] for d in _below(c, ranked)) if c.waterfall else 0
        found[c.id] = Allowance(
            channel=c.id,
            pool=pools.units.get(c.id, 0),
            outstanding=outstanding.get(c.id, 0),
            free=free[c.id],
            shared_free=shared_free,
            borrowable=lower_free,
        )
    return found


def _below(channel: Channel, ranked: Sequence[Channel]) -> list[Channel]:
    """The channels of strictly lower priority (a larger number), most
    important first: the ones whose pools `channel` may borrow from."""
    return [c for c in ranked if c.priority > channel.priority]


def advertised(sellable: int, channel: Channel, available: int) -> int:
    """The figure published to `channel`: `sellable` lowered by its safety
    buffer (rounded down), never above the SKU's real `available`, never
    below 0. The buffer lowers what is published, not what an order that
    arrives from the channel may take."""
    buffered = sellable * (100 - channel.safety_buffer_pct) // 100
    return max(min(buffered, available), 0)


BYPASS = "*"
"""The channel an admin names to hold without regard to pools (manual
operations): its units count as held without a channel."""


@dataclass(frozen=True, slots=True)
class SkuChannels:
    """A SKU's stock as the channels see it: `for_sale` and `held` (reserved
    + committed) summed over its locations, its own pools (empty: the
    channels' defaults), each channel's units outstanding, and whether the
    SKU is archived (then no channel sells it)."""

    sku: str
    for_sale: int
    held: int
    shares: Sequence[PoolShare]
    outstanding: Mapping[str, int]
    archived: bool = False

    def pools(self, channels: Mapping[str, Channel]) -> Pools:
        return _resolved(self.for_sale, self.shares, channels)

    @property
    def unchanneled(self) -> int:
        """Units held without a channel (or bypassing the pools): what is
        held less what the channels' counters account for."""
        return max(self.held - sum(self.outstanding.values()), 0)

    def room(self, channel: str | None, channels: Mapping[str, Channel]) -> int:
        """Units a new hold may take through `channel` (None: without one,
        from the shared pool only) — the pools' limit; the levels' own
        (`available`) is checked where the units are taken."""
        if channel is not None:
            allowance = self.allowances(channels).get(channel)
            return allowance.sellable if allowance is not None else 0
        found = self.allowances(channels)
        if found:
            return next(iter(found.values())).shared_free
        return max(self.pools(channels).shared - self.unchanneled, 0)

    def allowances(self, channels: Mapping[str, Channel]) -> dict[str, Allowance]:
        """What each active channel may hold of this SKU now (`allowances`)."""
        return allowances(self.pools(channels), channels, self.outstanding, self.unchanneled)

    def took(self, channel: str | None, units: int) -> SkuChannels:
        """The same after a hold of `units` through `channel`."""
        outstanding = dict(self.outstanding)
        if channel is not None and channel != BYPASS:
            outstanding[channel] = outstanding.get(channel, 0) + units
        return SkuChannels(
            self.sku, self.for_sale, self.held + units, self.shares, outstanding, self.archived
        )


_RESOLVED: dict[tuple[int, tuple[PoolShare, ...], tuple[Channel, ...]], Pools] = {}
"""Pools resolved lately: a batch of holds asks for one SKU's pools once
per hold, and resolving them (exact fractions) was a tenth of a channel
hold's time in the API."""


def _resolved(total: int, shares: Sequence[PoolShare], channels: Mapping[str, Channel]) -> Pools:
    """`resolve_pools`, remembered (by the channels as they are: a changed
    channel is another key)."""
    key = (total, tuple(shares), tuple(channels.values()))
    found = _RESOLVED.get(key)
    if found is None:
        if len(_RESOLVED) >= 4096:
            _RESOLVED.clear()
        found = _RESOLVED[key] = resolve_pools(total, shares, channels)
    return found


def pooled(shares: Sequence[PoolShare], channels: Mapping[str, Channel]) -> bool:
    """Whether a SKU with these pools of its own has any pool at all (its
    own, or the active channels' default shares): if not, everything is
    shared and channels limit nothing."""
    live = shares or default_shares(channels)
    return any(
        (c := channels.get(s.channel)) is not None and c.active and (s.units or s.share_pct)
        for s in live
    )


def outstanding_changes(events: Iterable[Event]) -> dict[tuple[str, str], int]:
    """Per (sku, channel), what movements that name a channel change of its
    units outstanding: their held and committed deltas (a hold adds, a
    commit moves reserved to committed and changes nothing, a release, an
    expiry, a shipment or a cancel takes away). Bypassing holds have no
    counter."""
    changes: dict[tuple[str, str], int] = {}
    for e in events:
        if not isinstance(e, Movement) or e.channel is None or e.channel == BYPASS:
            continue
        change = e.delta.reserved + e.delta.committed
        if change:
            key = (e.key.sku, e.channel)
            changes[key] = changes.get(key, 0) + change
    return changes


# -- rebalancing by sales velocity -------------------------------------------------


def short_of_pool(stock: SkuChannels, channels: Mapping[str, Channel], threshold_pct: int) -> bool:
    """Whether a channel with a percentage pool of this SKU has less than
    `threshold_pct` of its pool left free: the trigger to rebalance."""
    percent = {s.channel for s in stock.shares if s.share_pct is not None}
    return any(
        a.pool > 0 and a.free * 100 < threshold_pct * a.pool
        for channel, a in stock.allowances(channels).items()
        if channel in percent
    )


def rebalanced(
    shares: Sequence[PoolShare],
    velocities: Mapping[str, int],
    channels: Mapping[str, Channel],
    max_move_pct: int,
) -> tuple[PoolShare, ...] | None:
    """The SKU's pools with the percentages of its active channels split
    again by their sales velocity (units sold in the window), or None when
    nothing would move. Fixed pools are never moved, and the percentages
    moved keep their sum. Each share moves by at most `max_move_pct` points:
    all moves are scaled down together to keep within it, so one burst
    cannot drain a channel at once. Rounded by largest remainder."""
    movable = [
        s
        for s in shares
        if s.share_pct is not None and (c := channels.get(s.channel)) is not None and c.active
    ]
    sold = sum(max(velocities.get(s.channel, 0), 0) for s in movable)
    if len(movable) < 2 or sold == 0:
        return None
    total = sum(s.share_pct or 0 for s in movable)
    moves = [
        Fraction(total * max(velocities.get(s.channel, 0), 0), sold) - (s.share_pct or 0)
        for s in movable
    ]
    biggest = max(abs(m) for m in moves)
    if biggest > max_move_pct:
        moves = [m * Fraction(max_move_pct) / biggest for m in moves]
    new = largest_remainder(
        [(s.share_pct or 0) + m for s, m in zip(movable, moves, strict=True)], total
    )
    if new == [s.share_pct for s in movable]:
        return None
    by_channel = {s.channel: pct for s, pct in zip(movable, new, strict=True)}
    return tuple(
        PoolShare(s.channel, share_pct=by_channel[s.channel]) if s.channel in by_channel else s
        for s in shares
    )
