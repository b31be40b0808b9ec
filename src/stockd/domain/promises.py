"""Promises of backordered (and preordered) units: which inbound covers them, and when.

A backordered unit of a hold or an order (one sold beyond `available` under
`policy: backorder`) is tied to one unit of open inbound at its level: a
purchase order line or a transfer line, ready at its ETA. Ties are made
first come, first served: claims in the order the holders took their units
(`since`), each from the inbound that arrives earliest (`fifo`). Units no
inbound covers stay backordered without a date (`supply` none).

Units sold beyond stock are covered by inbound not yet promised first and
then, for a SKU taking preorders, by its preorder allowance (`cover`): the
total `preorder_cap` and, for a hold through a capped channel, that
channel's cap (`PreorderRoom`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from stockd.domain.catalog import StockPolicy
from stockd.domain.quantities import LevelKey
from stockd.domain.supply import Source, Tie


class HolderKind(StrEnum):
    RESERVATION = "reservation"
    ORDER = "order"


class SupplyKind(StrEnum):
    PURCHASE_ORDER = "po"
    TRANSFER = "transfer"
    PREORDER = "preorder"
    """Preordered units (`policy: preorder`): no inbound yet, counted against
    the SKU's `preorder_cap`; the first arrivals cover them."""
    NONE = "none"
    """Backordered units left without inbound (a cut took theirs): no date."""


@dataclass(frozen=True, slots=True, order=True)
class Holder:
    kind: HolderKind
    id: str


@dataclass(frozen=True, slots=True)
class Inbound:
    """An inbound line at a level and its units not yet promised."""

    kind: SupplyKind
    id: str
    ready_at: datetime
    free: int

    @property
    def reference(self) -> str:
        return f"{self.kind.value}:{self.id}"


@dataclass(frozen=True, slots=True)
class Claim:
    """Backordered units of one holder at one level that need inbound."""

    holder: Holder
    units: int
    since: datetime
    rank: int = 0
    """Among claims since the same instant: the order their ties were made in."""


@dataclass(frozen=True, slots=True)
class Grant:
    claim: Claim
    inbound: Inbound | None
    """None: no inbound left for these units (they stay without a date)."""
    units: int


def fifo(claims: Iterable[Claim], supplies: Iterable[Inbound]) -> list[Grant]:
    """Tie claims to inbound first come, first served: claims in (since,
    rank, holder) order, each taking units from the inbound that is ready
    earliest (then by reference), until its units are covered or no inbound
    is left. Every unit of every claim is granted exactly once."""
    ordered = sorted(supplies, key=lambda s: (s.ready_at, s.reference))
    free = [s.free for s in ordered]
    grants: list[Grant] = []
    at = 0
    for claim in sorted(claims, key=lambda c: (c.since, c.rank, c.holder)):
        wanted = claim.units
        while wanted and at < len(ordered):
            if free[at] == 0:
                at += 1
                continue
            taken = min(wanted, free[at])
            free[at] -= taken
            wanted -= taken
            grants.append(Grant(claim, ordered[at], taken))
        if wanted:
            grants.append(Grant(claim, None, wanted))
    return grants


@dataclass(frozen=True, slots=True)
class TiedUnits:
    """One stored tie: `quantity` backordered units of `holder` at `key`
    covered by one inbound line (or by none)."""

    id: int
    holder: Holder
    key: LevelKey
    supply: SupplyKind
    supply_id: str | None
    quantity: int
    since: datetime
    ready_at: datetime | None
    """The inbound's ETA; None without inbound."""
    channel: str | None = None
    """Preordered units: the channel they were sold through (whose cap, if
    it has one, they count against until untied)."""

    def as_tie(self) -> Tie | None:
        """As read models show it; None for units without inbound."""
        if self.supply in (SupplyKind.NONE, SupplyKind.PREORDER) or self.ready_at is None:
            return None
        return Tie(
            Source.INBOUND,
            self.quantity,
            self.ready_at,
            f"{self.supply.value}:{self.supply_id}",
            self.key.location,
        )


def ready_of(ties: Sequence[TiedUnits], now: datetime) -> datetime | None:
    """When a holder's units at a level are all ready: `now` when none is
    backordered, the latest ETA of its ties, None when some have no inbound."""
    if any(t.ready_at is None for t in ties):
        return None
    return max((t.ready_at for t in ties if t.ready_at is not None), default=now)


def backordered_change(available_after: int, available_delta: int) -> int:
    """How many more units a level has backordered (sold beyond zero
    available) after a change: negative when fewer."""
    before = available_after - available_delta
    return max(0, -available_after) - max(0, -before)


@dataclass(frozen=True, slots=True)
class Cover:
    """How units sold beyond stock at one level are covered."""

    inbound: int
    """By inbound not yet promised (tied to it, dated)."""
    preorder: int
    """By the SKU's preorder allowance (no date yet), if it has room left."""
    short: int
    """By nothing: the sale is refused."""

    @property
    def beyond_inbound(self) -> int:
        return self.preorder + self.short


def cover(units: int, inbound_free: int, policy: StockPolicy, now: datetime) -> Cover:
    """Cover `units` beyond stock: inbound not yet promised first; the rest,
    while the SKU takes preorders, by its preorder allowance (what is left
    of it, `PreorderRoom`, is the store's to grant or refuse). A preorder
    SKU past its end sells as `deny`: nothing covers units beyond stock
    then, inbound or not."""
    if policy.preorders_ended(now):
        return Cover(0, 0, units)
    inbound = min(units, inbound_free)
    rest = units - inbound
    if policy.preorders_at(now):
        return Cover(inbound, rest, 0)
    return Cover(inbound, 0, rest)


@dataclass(frozen=True, slots=True)
class PreorderRoom:
    """What a preorder SKU may still preorder: in total, and through each
    channel with a cap (a channel not listed has only the total)."""

    total: int
    channels: Mapping[str, int] = field(default_factory=dict)

    def through(self, channel: str | None) -> int:
        """Units that may still be preordered through `channel` (None: no channel)."""
        left = self.total
        if channel is not None and channel in self.channels:
            left = min(left, self.channels[channel])
        return max(left, 0)

    def took(self, channel: str | None, units: int) -> PreorderRoom:
        channels = dict(self.channels)
        if channel is not None and channel in channels:
            channels[channel] -= units
        return PreorderRoom(self.total - units, channels)
