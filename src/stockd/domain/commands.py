"""Commands: what a caller asks stockd to do. Imperative, small and frozen."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from stockd.domain.adjustments import Change
from stockd.domain.capacity import CapacityPool
from stockd.domain.catalog import Location, Sku
from stockd.domain.channels import Channel, PoolShare
from stockd.domain.corrections import Policy, ReportLine, Source
from stockd.domain.geo import Point
from stockd.domain.webhooks import Webhook


class Command:
    """Marker base class; handlers are registered per command type."""


@dataclass(frozen=True, slots=True)
class CreateSku(Command):
    sku: Sku


@dataclass(frozen=True, slots=True)
class UpdateSku(Command):
    sku: str
    changes: Mapping[str, Any]
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class CreateLocation(Command):
    location: Location


@dataclass(frozen=True, slots=True)
class UpdateLocation(Command):
    location_id: str
    changes: Mapping[str, Any]
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class ArchiveSku(Command):
    """Stop selling a SKU for good; its levels and history stay."""

    sku: str
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class ArchiveLocation(Command):
    """Stop using a location for good; its stock and history stay."""

    location_id: str
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class Adjust(Command):
    changes: tuple[Change, ...]
    atomic: bool = True


@dataclass(frozen=True, slots=True)
class LineRequest:
    sku: str
    quantity: int
    location: str | None = None
    options: tuple[tuple[str, str], ...] = ()
    """A made-to-order line's options (`fabric`, `velvet`): they may choose its pool."""


@dataclass(frozen=True, slots=True)
class Reserve(Command):
    lines: tuple[LineRequest, ...]
    ttl_seconds: int | None = None
    reference: str | None = None
    ship_to: Point | None = None
    strategy: str | None = None
    pickup_location: str | None = None
    channel: str | None = None
    """The channel it sells through (its pools apply), `*` to bypass them
    (admin), or None: the shared pool only."""


@dataclass(frozen=True, slots=True)
class ExtendReservation(Command):
    reservation_id: str
    ttl_seconds: int


@dataclass(frozen=True, slots=True)
class ReleaseReservation(Command):
    reservation_id: str


@dataclass(frozen=True, slots=True)
class CommitReservation(Command):
    reservation_id: str
    order_id: str


@dataclass(frozen=True, slots=True)
class ExpireDueReservations(Command):
    limit: int = 500
    skus: tuple[str, ...] = field(default=())
    """Only holds with a line on one of these SKUs; all when empty."""
    reservation_ids: tuple[str, ...] = field(default=())
    """Only these holds (if due); all when empty."""


@dataclass(frozen=True, slots=True)
class ShipTo:
    point: Point
    region: str | None = None


@dataclass(frozen=True, slots=True)
class PlaceOrder(Command):
    """Place an order from direct `lines` or from an active reservation."""

    order_id: str
    fingerprint: str
    """Digest of the request: placing the same order again is a replay."""
    lines: tuple[LineRequest, ...] = ()
    reservation_id: str | None = None
    ship_to: ShipTo | None = None
    strategy: str | None = None
    pickup_location: str | None = None
    channel: str | None = None
    """As `Reserve.channel`; an order from a reservation sells through the
    reservation's channel."""
    deliver_by: date | None = None
    """The date the shop promised its customer (`POST /v1/promise`), kept with
    the order."""


@dataclass(frozen=True, slots=True)
class SkuQuantity:
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class ShipOrder(Command):
    order_id: str
    location: str
    lines: tuple[SkuQuantity, ...]
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class ProduceOrder(Command):
    """The workshop made units of the order's made-to-order lines: each
    line names the SKU (and options) as the order booked it."""

    order_id: str
    lines: tuple[LineRequest, ...]
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class CancelOrder(Command):
    order_id: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ReturnItems(Command):
    order_id: str
    location: str
    condition: str
    lines: tuple[SkuQuantity, ...]
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class CreateTransfer(Command):
    source: str
    destination: str
    lines: tuple[SkuQuantity, ...]
    reference: str | None = None
    expected_at: datetime | None = None
    """When the units should arrive; now + the configured transit time if None."""


@dataclass(frozen=True, slots=True)
class ReceiveTransfer(Command):
    transfer_id: str
    lines: tuple[SkuQuantity, ...] = ()
    """What arrived; everything still in transit when empty."""


@dataclass(frozen=True, slots=True)
class ChangeTransferEta(Command):
    """A new arrival time for the units still in transit."""

    transfer_id: str
    expected_at: datetime
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class CreatePurchaseOrder(Command):
    purchase_order_id: str
    supplier: str
    location: str
    lines: tuple[SkuQuantity, ...]
    expected_at: datetime
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class ReceivePurchaseOrder(Command):
    purchase_order_id: str
    lines: tuple[SkuQuantity, ...]
    """What arrived (partial receipts allowed)."""


@dataclass(frozen=True, slots=True)
class ChangePurchaseOrderEta(Command):
    purchase_order_id: str
    expected_at: datetime
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class CutPurchaseOrder(Command):
    """Units that will not come: the named lines reduced by `quantity`, or
    every open unit when `lines` is empty (the order is cancelled)."""

    purchase_order_id: str
    lines: tuple[SkuQuantity, ...] = ()
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class RecordSale(Command):
    """A point-of-sale sale: units leave a store's stock, once per external id."""

    location: str
    external_id: str
    lines: tuple[SkuQuantity, ...]
    fingerprint: str
    channel: str | None = None
    """As `Reserve.channel`: the pools limit what the sale may take."""


@dataclass(frozen=True, slots=True)
class CreateApiKey(Command):
    name: str
    scopes: tuple[str, ...]
    """`read`, `write` and/or `admin`."""
    token: str | None = None
    """Install this token (the bootstrap key) instead of making a fresh one."""


@dataclass(frozen=True, slots=True)
class RevokeApiKey(Command):
    key_id: str
    force: bool = False
    """Revoke it even if it is the last active admin key."""


@dataclass(frozen=True, slots=True)
class CreateChannel(Command):
    channel: Channel


@dataclass(frozen=True, slots=True)
class UpdateChannel(Command):
    channel_id: str
    changes: Mapping[str, Any]
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class RebalanceChannels(Command):
    """Split the percentage pools of `skus` (None: every SKU with percentage
    pools of its own) again by sales velocity, where a channel is short of
    its pool; with `dry_run`, only say what would move."""

    skus: tuple[str, ...] | None
    dry_run: bool
    window_seconds: int
    threshold_pct: int
    max_move_pct: int


@dataclass(frozen=True, slots=True)
class SetChannelPools(Command):
    """Replace a SKU's channel pools (none: the channels' default shares)."""

    sku: str
    pools: tuple[PoolShare, ...]


# -- webhooks -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateWebhook(Command):
    """Subscribe (`webhook.id` is ignored: the handler names it)."""

    webhook: Webhook


@dataclass(frozen=True, slots=True)
class UpdateWebhook(Command):
    webhook_id: str
    changes: Mapping[str, Any]
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class DeleteWebhook(Command):
    webhook_id: str


@dataclass(frozen=True, slots=True)
class RotateWebhookSecret(Command):
    webhook_id: str
    grace_seconds: float
    """How long the old secret still signs beside the new one."""


@dataclass(frozen=True, slots=True)
class ReplayWebhook(Command):
    webhook_id: str
    from_seq: int | None = None
    """None: the dead letters; else every message from this ledger event on."""


# -- channel drift -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Relisting:
    """One channel's figure of one SKU to send again."""

    channel: str
    sku: str
    sent: int
    figure: int
    receivers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RelistChannelSkus(Command):
    """Send drifted figures again: one `channel.relisted` event per channel
    and SKU, which the channel's webhooks and feed follow."""

    relistings: tuple[Relisting, ...]


# -- corrections: physical counts and external stock reports --------------------


@dataclass(frozen=True, slots=True)
class CountedLine:
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class RecordCount(Command):
    """A physical count at one location: on_hand of each line's SKU was
    `quantity` at `counted_at` (docs/counts-and-reports.md)."""

    location: str
    counted_at: datetime
    lines: tuple[CountedLine, ...]
    window: timedelta
    """The report conflict window (for the level's standing report figure)."""
    max_age: timedelta
    """How far back `counted_at` may lie."""
    source: str | None = None


@dataclass(frozen=True, slots=True)
class ReportStock(Command):
    """Figures an external source observed (`ReportLine.priority` is filled
    in from the source)."""

    source: str
    lines: tuple[ReportLine, ...]
    window: timedelta
    max_age: timedelta


@dataclass(frozen=True, slots=True)
class RegisterSource(Command):
    source: Source


@dataclass(frozen=True, slots=True)
class SetReportPolicy(Command):
    """Override the report conflict policy at a location (None: stop)."""

    location: str
    policy: Policy | None


# -- production capacity ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateCapacityPool(Command):
    pool: CapacityPool


@dataclass(frozen=True, slots=True)
class WeekUnits:
    week: str
    """As the caller wrote it (`2027-W03`): the handler names a malformed one."""
    units: int


@dataclass(frozen=True, slots=True)
class SetCapacity(Command):
    """Set the capacity of many weeks of a pool at once: all or none."""

    pool_id: str
    weeks: tuple[WeekUnits, ...]


@dataclass(frozen=True, slots=True)
class BookSlots(Command):
    """Hold production capacity for made-to-order lines (their `location` is
    not used): each line the earliest week with room, all lines or none."""

    lines: tuple[LineRequest, ...]
    earliest_week: str | None = None
    ttl_seconds: int | None = None
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class ExtendSlot(Command):
    slot_id: str
    ttl_seconds: int


@dataclass(frozen=True, slots=True)
class ReleaseSlot(Command):
    slot_id: str


@dataclass(frozen=True, slots=True)
class CommitSlot(Command):
    """The booking's units become order `order_id`'s: added to it when it is
    open, or a new order of those lines when there is none."""

    slot_id: str
    order_id: str


@dataclass(frozen=True, slots=True)
class ExpireDueSlots(Command):
    limit: int = 500
