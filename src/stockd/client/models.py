"""What stockd answers: frozen dataclasses mirroring the API's response models.

Each class has the name and the fields of the response schema it mirrors in
`/openapi.json` (`SkuRead`, `LevelPage`, …), so the OpenAPI document is their
reference; a test keeps them in step. Lists become tuples and objects
mappings, so a result cannot be changed by accident. A field whose JSON name
is not a Python name carries it in its metadata (`from` → `source`).

Decoding (`stockd.client.decode`) ignores members it does not know: a server
that adds a field does not break an older client.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

Policy = Literal["deny", "backorder", "preorder"]
InventoryType = Literal["physical", "made_to_order"]
SupplySource = Literal["on_hand", "inbound", "production"]
LocationType = Literal["warehouse", "store", "supplier"]
ChannelKind = Literal["web", "marketplace", "store", "other"]
ReservationStatus = Literal["active", "committed", "released", "expired"]
OrderStatus = Literal["open", "partially_shipped", "shipped", "cancelled"]
TransferStatus = Literal["in_transit", "partially_received", "received"]
PurchaseOrderStatus = Literal["open", "partially_received", "received", "cancelled"]

# -- catalogue ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SkuRead:
    sku: str
    product_id: str
    name: str
    policy: Policy
    backorder_cap: int
    archived: bool
    version: int
    inventory_type: InventoryType = "physical"
    capacity_pool: str | None = None
    option_pools: tuple[OptionPoolRead, ...] = ()
    preorder_cap: int = 0
    preorder_until: datetime | None = None
    preorder_channel_caps: tuple[ChannelPreorderCapRead, ...] = ()


@dataclass(frozen=True, slots=True)
class ChannelPreorderCapRead:
    channel: str
    cap: int
    preordered: int


@dataclass(frozen=True, slots=True)
class OptionPoolRead:
    option: str
    value: str
    pool: str


@dataclass(frozen=True, slots=True)
class SkuPage:
    items: tuple[SkuRead, ...]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class ShippingCostRead:
    fixed: float
    per_km_unit: float


@dataclass(frozen=True, slots=True)
class LocationRead:
    id: str
    name: str
    type: LocationType
    region: str | None
    lat: float | None
    lon: float | None
    priority: int
    active: bool
    ships: bool
    pickup: bool
    shipping_cost: ShippingCostRead
    timezone: str
    archived: bool
    version: int


@dataclass(frozen=True, slots=True)
class LocationPage:
    items: tuple[LocationRead, ...]
    next_cursor: str | None


# -- channels -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChannelRead:
    id: str
    name: str
    kind: ChannelKind
    priority: int
    safety_buffer_pct: int
    default_share_pct: int | None
    waterfall: bool
    active: bool
    version: int


@dataclass(frozen=True, slots=True)
class ChannelPage:
    items: tuple[ChannelRead, ...]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class PoolRead:
    channel: str
    share_pct: int | None
    units: int | None
    resolved: int


@dataclass(frozen=True, slots=True)
class PoolsRead:
    sku: str
    sellable: int
    pools: tuple[PoolRead, ...]
    defaults: bool
    shared: int


@dataclass(frozen=True, slots=True)
class ChannelPoolRead:
    units: int
    outstanding: int
    free: int


@dataclass(frozen=True, slots=True)
class ChannelAvailabilityRead:
    """What a channel may sell of a SKU (`sellable`) and is shown (`advertised`)."""

    channel: str
    sku: str
    sellable: int
    advertised: int
    pool: ChannelPoolRead
    shared_free: int
    borrowable: int


@dataclass(frozen=True, slots=True)
class FeedItemRead:
    sku: str
    advertised: int
    sellable: int
    seq: int


@dataclass(frozen=True, slots=True)
class FeedPage:
    """A page of a channel's availability feed; poll again with `next_cursor`."""

    items: tuple[FeedItemRead, ...]
    next_cursor: str


@dataclass(frozen=True, slots=True)
class ChannelDriftRead:
    """A receiver of a channel (`via` webhook or feed) holding a figure of a
    SKU (`sent`) that is not stockd's figure now (`now`)."""

    channel: str
    sku: str
    via: str
    webhook_id: str | None
    sent: int
    now: int
    sent_at: datetime
    seq: int
    seqs: tuple[int, ...]
    detail: str


@dataclass(frozen=True, slots=True)
class ChannelDriftPage:
    items: tuple[ChannelDriftRead, ...]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class ShareRead:
    channel: str
    share_pct: int | None
    units: int | None


@dataclass(frozen=True, slots=True)
class RebalanceMove:
    sku: str
    before: tuple[ShareRead, ...]
    after: tuple[ShareRead, ...]
    velocities: Mapping[str, int]
    applied: bool


@dataclass(frozen=True, slots=True)
class RebalanceReport:
    """What a rebalancing moved (or, in a dry run, would move)."""

    dry_run: bool
    window_seconds: int
    checked: int
    short: int
    moves: tuple[RebalanceMove, ...]


# -- webhooks -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WebhookRead:
    id: str
    url: str
    events: tuple[str, ...]
    channel: str | None
    skus: tuple[str, ...] | None
    low_stock_threshold: int | None
    description: str | None
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class WebhookCreated(WebhookRead):
    """A new subscription with its signing secret (shown only now)."""

    secret: str


@dataclass(frozen=True, slots=True)
class WebhookSecret:
    secret: str


@dataclass(frozen=True, slots=True)
class WebhookPage:
    items: tuple[WebhookRead, ...]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class DeliveryRead:
    id: int
    message_id: str
    seq: int
    type: str
    sku: str | None
    status: Literal["pending", "failed", "delivered", "dead"]
    attempts: int
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    last_response: str | None
    created_at: datetime
    delivered_at: datetime | None
    payload: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class DeliveryPage:
    items: tuple[DeliveryRead, ...]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class Replayed:
    queued: int


# -- levels, availability, adjustments ---------------------------------------------


@dataclass(frozen=True, slots=True)
class LevelRead:
    sku: str
    location: str
    on_hand: int
    reserved: int
    committed: int
    damaged: int
    quality_control: int
    safety_stock: int
    incoming: int
    available: int
    floor: int
    version: int


@dataclass(frozen=True, slots=True)
class LevelPage:
    items: tuple[LevelRead, ...]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class SkuStockRead:
    sku: str
    name: str
    available: int
    """Live `available`, summed over the usable locations (active, not archived)."""
    locations: int


@dataclass(frozen=True, slots=True)
class OverviewRead:
    skus: int
    locations: int
    active_reservations: int
    ledger_head: int
    low_stock_below: int
    out_of_stock_count: int
    low_stock_count: int
    out_of_stock: tuple[SkuStockRead, ...]
    """Lowest first, at most `limit`: available ≤ 0."""
    low_stock: tuple[SkuStockRead, ...]
    """Lowest first, at most `limit`: 0 < available < `low_stock_below`."""


@dataclass(frozen=True, slots=True)
class LocationAvailability:
    location: str
    name: str
    type: str
    priority: int
    active: bool
    available: int
    sellable: int
    reason: str | None
    """Why nothing can be held here: inactive, out_of_stock, damaged,
    quality_control, safety_stock or held (None when something can)."""
    on_hand: int
    reserved: int
    committed: int
    damaged: int
    quality_control: int
    safety_stock: int
    incoming: int


@dataclass(frozen=True, slots=True)
class AvailabilityRead:
    sku: str
    available: int
    sellable: int
    on_hand: int
    reserved: int
    committed: int
    damaged: int
    quality_control: int
    safety_stock: int
    incoming: int
    locations: tuple[LocationAvailability, ...]


@dataclass(frozen=True, slots=True)
class AvailabilityList:
    items: tuple[AvailabilityRead, ...]
    missing: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ItemProblem:
    code: str
    detail: str


@dataclass(frozen=True, slots=True)
class ChangeResult:
    index: int
    status: Literal["applied", "failed"]
    level: LevelRead | None = None
    error: ItemProblem | None = None


@dataclass(frozen=True, slots=True)
class AdjustmentResults:
    applied: int
    failed: int
    results: tuple[ChangeResult, ...]


# -- reservations -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TieRead:
    """Units of a line backed by one supply (an inbound's ETA as `ready_at`;
    null: no inbound left for them)."""

    source: Literal["on_hand", "inbound", "production"]
    quantity: int
    ready_at: datetime | None
    reference: str | None
    location: str | None


@dataclass(frozen=True, slots=True)
class LineRead:
    sku: str
    quantity: int
    location: str
    supply: tuple[TieRead, ...] | None = None


@dataclass(frozen=True, slots=True)
class ReservationRead:
    id: str
    status: ReservationStatus
    created_at: datetime
    expires_at: datetime
    closed_at: datetime | None
    reference: str | None
    order_id: str | None
    pickup_location: str | None
    lines: tuple[LineRead, ...]
    channel: str | None = None  # older servers do not send it


@dataclass(frozen=True, slots=True)
class ReservationPage:
    items: tuple[ReservationRead, ...]
    next_cursor: str | None


# -- allocation plans ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Units:
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class AllocationRead:
    location: str
    quantity: int
    reason: str


@dataclass(frozen=True, slots=True)
class RejectionRead:
    location: str
    reason: str


@dataclass(frozen=True, slots=True)
class LinePlanRead:
    sku: str
    quantity: int
    placed: int
    shortfall: int
    allocations: tuple[AllocationRead, ...]
    rejected: tuple[RejectionRead, ...]
    others_rejected: int


@dataclass(frozen=True, slots=True)
class ShipmentPlanRead:
    location: str
    lines: tuple[Units, ...]


@dataclass(frozen=True, slots=True)
class PlanRead:
    strategy: str
    feasible: bool
    note: str
    lines: tuple[LinePlanRead, ...]
    shipments: tuple[ShipmentPlanRead, ...]
    distance_km: float | None
    shipping_cost: float | None


# -- available-to-promise and delivery dates --------------------------------------


@dataclass(frozen=True, slots=True)
class AtpStepRead:
    ready_at: datetime
    ready_on: date
    source: SupplySource
    reference: str | None
    location: str
    quantity: int
    cumulative: int


@dataclass(frozen=True, slots=True)
class AtpRead:
    sku: str
    as_of: datetime
    until: datetime
    location: str | None
    total: int
    unbacked: int
    steps: tuple[AtpStepRead, ...]


@dataclass(frozen=True, slots=True)
class DeliveryLegRead:
    """`deliver_by = ready_on + handling_days + transit_days +
    delivery_window_days + safety_buffer_days`."""

    location: str
    source: SupplySource
    reference: str | None
    quantity: int
    ready_at: datetime
    ready_on: date
    handling_days: int
    transit_days: int
    transit_basis: Literal["region", "distance", "default"]
    distance_km: float | None
    delivery_window_days: int
    safety_buffer_days: int
    deliver_by: date


@dataclass(frozen=True, slots=True)
class LinePromiseRead:
    sku: str
    quantity: int
    deliver_by: date
    shipments: tuple[DeliveryLegRead, ...]


@dataclass(frozen=True, slots=True)
class PromiseRead:
    as_of: datetime
    until: datetime
    lines: tuple[LinePromiseRead, ...]


# -- the ledger ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventRead:
    """One event of the stream; movements carry `delta` and `after`, other
    events `data` (docs/events.md lists every type and field)."""

    seq: int
    type: str
    sku: str | None
    location: str | None
    delta: Mapping[str, int] | None
    after: Mapping[str, int] | None
    data: Mapping[str, Any] | None
    reason: str | None
    reference: str | None
    reservation_id: str | None
    order_id: str | None
    transfer_id: str | None
    actor: str
    idempotency_key: str | None
    at: datetime
    channel: str | None = None  # older servers do not send it


@dataclass(frozen=True, slots=True)
class EventPage:
    items: tuple[EventRead, ...]
    next_after: int


# -- orders, returns --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderLineRead:
    sku: str
    ordered: int
    committed: int
    shipped: int
    cancelled: int
    returned: int
    promised_ready_at: datetime | None = None
    supply: tuple[TieRead, ...] | None = None
    produced: int | None = None
    """A made-to-order line: units made so far (they ship from the order's
    stock line at the workshop)."""
    week: str | None = None
    """A made-to-order line: the ISO week it is made in."""


@dataclass(frozen=True, slots=True)
class ShipmentRead:
    location: str
    lines: tuple[OrderLineRead, ...]


@dataclass(frozen=True, slots=True)
class ShipToRead:
    lat: float
    lon: float
    region: str | None


@dataclass(frozen=True, slots=True)
class OrderRead:
    order_id: str
    status: OrderStatus
    reservation_id: str | None
    strategy: str | None
    ship_to: ShipToRead | None
    pickup_location: str | None
    created_at: datetime
    shipments: tuple[ShipmentRead, ...]
    replanned: bool | None = None
    plan: PlanRead | None = None
    events: tuple[EventRead, ...] | None = None
    channel: str | None = None  # older servers do not send it
    deliver_by: date | None = None  # older servers do not send it


@dataclass(frozen=True, slots=True)
class OrderPage:
    items: tuple[OrderRead, ...]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class ReturnRead:
    id: str
    order_id: str
    location: str
    condition: str
    lines: tuple[Units, ...]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ReturnPage:
    items: tuple[ReturnRead, ...]
    next_cursor: str | None


# -- transfers and store sales ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TransferLineRead:
    sku: str
    quantity: int
    received: int
    in_transit: int


@dataclass(frozen=True, slots=True)
class TransferRead:
    id: str
    source: str = field(metadata={"json": "from"})
    destination: str = field(metadata={"json": "to"})
    status: TransferStatus
    reference: str | None
    created_at: datetime
    expected_at: datetime | None
    version: int
    lines: tuple[TransferLineRead, ...]


@dataclass(frozen=True, slots=True)
class TransferPage:
    items: tuple[TransferRead, ...]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class SaleRead:
    location: str
    external_id: str
    lines: tuple[Units, ...]
    recorded_at: datetime
    replayed: bool | None = None
    """Answering a create: whether the receipt had been recorded before
    (None in lists)."""


@dataclass(frozen=True, slots=True)
class SalePage:
    items: tuple[SaleRead, ...]
    next_cursor: str | None


# -- counts and stock reports -----------------------------------------------------------

ReportPolicy = Literal["last_write_wins", "priority", "conservative"]


@dataclass(frozen=True, slots=True)
class CountLineRead:
    sku: str
    counted: int
    outcome: Literal["applied", "superseded"]
    why: str
    expected: int | None = None
    """None in a blind count's answer."""
    adjustment: int | None = None
    short: int | None = None


@dataclass(frozen=True, slots=True)
class CountRead:
    id: str
    location: str
    counted_at: datetime
    source: str | None
    recorded_at: datetime
    lines: tuple[CountLineRead, ...]


@dataclass(frozen=True, slots=True)
class ReportLineRead:
    index: int
    sku: str
    location: str
    quantity: int
    observed_at: datetime
    outcome: Literal["applied", "ignored", "superseded"]
    why: str
    adjustment: int
    on_hand: int


@dataclass(frozen=True, slots=True)
class StockReportRead:
    source: str
    received_at: datetime
    lines: tuple[ReportLineRead, ...]


@dataclass(frozen=True, slots=True)
class SourceRead:
    id: str
    priority: int
    policy: ReportPolicy
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SourceList:
    items: tuple[SourceRead, ...]


@dataclass(frozen=True, slots=True)
class ReportPolicyRead:
    location: str
    policy: ReportPolicy | None


# -- reconciliation -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FindingRead:
    check: str
    sku: str
    location: str | None
    channel: str | None
    subject: str
    expected: Mapping[str, int]
    actual: Mapping[str, int]
    detail: str
    seqs: tuple[int, ...]
    repaired: bool
    repair_note: str | None


@dataclass(frozen=True, slots=True)
class ReconciliationSummary:
    id: str
    started_at: datetime
    finished_at: datetime | None
    apply: bool
    skus: tuple[str, ...] | None
    actor: str
    levels_checked: int
    differences: int
    repaired: int
    discrepancy_rate: float
    clean: bool


@dataclass(frozen=True, slots=True)
class ReconciliationRead(ReconciliationSummary):
    findings: tuple[FindingRead, ...]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class ReconciliationPage:
    items: tuple[ReconciliationSummary, ...]
    next_cursor: str | None


# -- production capacity ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CapacityPoolRead:
    id: str
    location: str
    name: str
    lead_time_weeks: int
    version: int


@dataclass(frozen=True, slots=True)
class CapacityPoolPage:
    items: tuple[CapacityPoolRead, ...]
    next_cursor: str | None


# -- purchase orders and promises ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PurchaseOrderLineRead:
    sku: str
    quantity: int
    received: int
    cut: int
    open: int


@dataclass(frozen=True, slots=True)
class PurchaseOrderRead:
    id: str
    supplier: str
    location: str
    status: PurchaseOrderStatus
    expected_at: datetime
    reference: str | None
    created_at: datetime
    version: int
    lines: tuple[PurchaseOrderLineRead, ...]


@dataclass(frozen=True, slots=True)
class PurchaseOrderPage:
    items: tuple[PurchaseOrderRead, ...]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class CapacityWeekRead:
    week: str
    capacity: int
    held: int
    committed: int
    free: int


@dataclass(frozen=True, slots=True)
class CapacityWeeksRead:
    pool: str
    location: str
    weeks: tuple[CapacityWeekRead, ...]


@dataclass(frozen=True, slots=True)
class ProductionLineRead:
    sku: str
    quantity: int
    options: Mapping[str, str]
    pool: str
    week: str
    ready_at: datetime
    location: str


@dataclass(frozen=True, slots=True)
class SlotRead:
    id: str
    status: ReservationStatus
    created_at: datetime
    expires_at: datetime
    closed_at: datetime | None
    reference: str | None
    order_id: str | None
    lines: tuple[ProductionLineRead, ...]


@dataclass(frozen=True, slots=True)
class AtRiskLineRead:
    sku: str
    location: str
    promised_ready_at: datetime
    ready_at: datetime | None
    supply: Literal["inbound", "production"] = "inbound"  # older servers do not send it
    week: str | None = None


@dataclass(frozen=True, slots=True)
class AtRiskRead:
    order_id: str
    created_at: datetime
    lines: tuple[AtRiskLineRead, ...]
    deliver_by: date | None = None  # older servers do not send it


@dataclass(frozen=True, slots=True)
class AtRiskPage:
    items: tuple[AtRiskRead, ...]
    next_cursor: str | None
