"""Ports: what the service layer needs from the outside world.

Each has a real adapter (`stockd.adapters.postgres`) and an in-memory fake
(`stockd.adapters.memory`); tests/integration/test_*_contract.py runs the same
contract against both.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Protocol, Self

from stockd.domain.atp import Supply
from stockd.domain.capacity import (
    CapacityPool,
    CapacityWeek,
    ProductionLine,
    SlotBooking,
    SlotStatus,
)
from stockd.domain.catalog import Location, Sku
from stockd.domain.channels import Channel, PoolShare, SkuChannels
from stockd.domain.commands import SkuQuantity
from stockd.domain.corrections import Anchor, Policy, ReportLine, Source
from stockd.domain.events import Event, Movement
from stockd.domain.inbound import PurchaseOrder, PurchaseOrderStatus
from stockd.domain.orders import Order, OrderStatus, ReturnCondition
from stockd.domain.promises import Holder, Inbound, PreorderRoom, SupplyKind, TiedUnits
from stockd.domain.quantities import Level, LevelKey, Quantities
from stockd.domain.reservations import Reservation, ReservationStatus
from stockd.domain.transfers import Transfer, TransferStatus
from stockd.domain.webhooks import Webhook
from stockd.domain.weeks import IsoWeek
from stockd.service.auth import ApiKey


class Clock(Protocol):
    def now(self) -> datetime: ...


class CatalogRepository(Protocol):
    async def skus(self, codes: Collection[str]) -> dict[str, Sku]: ...

    async def add_sku(self, sku: Sku, now: datetime) -> bool:
        """Insert; False when the code is taken."""
        ...

    async def lock_sku(self, code: str) -> Sku | None: ...

    async def save_sku(self, sku: Sku, now: datetime) -> Sku:
        """Write a locked SKU back; its version goes up by one. A policy change
        moves the floor of every level of the SKU (the store re-checks them)."""
        ...

    async def locations(self, ids: Collection[str]) -> dict[str, Location]: ...

    async def add_location(self, location: Location, now: datetime) -> bool: ...

    async def lock_location(self, location_id: str) -> Location | None: ...

    async def save_location(self, location: Location, now: datetime) -> Location: ...


@dataclass(frozen=True, slots=True)
class ChannelSnapshot:
    """What group commit reads to decide holds through channels without a
    lock: every channel, the SKUs' stock as the channels see it, and the
    SKUs (for the checks every hold makes)."""

    channels: dict[str, Channel]
    stock: dict[str, SkuChannels]
    skus: dict[str, Sku]


class ChannelRepository(Protocol):
    async def add(self, channel: Channel, now: datetime) -> bool:
        """Insert; False when the id is taken."""
        ...

    async def lock(self, channel_id: str) -> Channel | None: ...

    async def save(self, channel: Channel, now: datetime) -> Channel:
        """Write a locked channel back; its version goes up by one."""
        ...

    async def get_many(self, ids: Collection[str]) -> dict[str, Channel]: ...

    async def all(self) -> dict[str, Channel]: ...

    async def stock(self, skus: Collection[str], *, lock: bool = False) -> dict[str, SkuChannels]:
        """Each existing SKU's stock as the channels see it; with `lock`, under
        its row lock (taken in SKU order), so the channels' decisions on it
        are taken one at a time."""
        ...

    async def book(self, skus: Collection[str]) -> ChannelSnapshot:
        """`all`, `stock` (unlocked) and the SKUs themselves, in one go."""
        ...

    async def pools(self, sku: str) -> list[PoolShare]:
        """A SKU's pools, by channel id."""
        ...

    async def set_pools(self, sku: str, pools: Sequence[PoolShare], now: datetime) -> None:
        """Replace a SKU's pools (its row must be locked)."""
        ...

    async def share_pooled(self) -> list[str]:
        """Every SKU with a percentage pool of its own, by code."""
        ...

    async def sales(self, skus: Collection[str], since: datetime) -> dict[tuple[str, str], int]:
        """Units each channel sold of each SKU since `since`, per (sku,
        channel): committed to orders through it (a hold committed, or an
        order allocated) and recorded as sold through it (point of sale)."""
        ...


class LevelRepository(Protocol):
    async def create_missing(self, keys: Collection[LevelKey], now: datetime) -> None:
        """Create zero levels for keys that have none (SKU and location must exist)."""
        ...

    async def lock(
        self, keys: Collection[LevelKey] = (), *, skus: Collection[str] = ()
    ) -> dict[LevelKey, Level]:
        """Lock the given levels and every level of `skus`, in (sku, location)
        order, in one pass; missing levels are left out."""
        ...

    async def read(
        self, keys: Collection[LevelKey] = (), *, skus: Collection[str] = ()
    ) -> dict[LevelKey, Level]:
        """`lock` without the locks: the levels as last committed."""
        ...

    async def apply(self, key: LevelKey, delta: Quantities, now: datetime) -> Level | None:
        """Add `delta` to the level in the store, only if every invariant holds
        afterwards; the level after, or None when it would break one (or the
        level does not exist). Never a read-modify-write."""
        ...

    async def apply_many(
        self, deltas: Mapping[LevelKey, tuple[Quantities, int]], now: datetime
    ) -> dict[LevelKey, Level] | None:
        """`apply` for many levels in one go: each gets its summed delta and its
        version goes up by the count of changes folded into it. All or none:
        None when any level would break an invariant (nothing is changed)."""
        ...


@dataclass(frozen=True, slots=True)
class ChannelGuard:
    """What a batch of holds through channels, decided without a lock, was
    decided on for one SKU split into pools: the SKU's stock as read
    (`for_sale`, `held`, each channel's units `outstanding`) and the least
    room any of its holds left (`slack`). A unit held elsewhere takes at most one unit
    of any channel's room (a property test holds `SkuChannels.room` to it),
    so the batch still fits if, when it is written, `for_sale` is the same
    and the units held since — each channel's growth, and the growth of what
    is held without a channel — are at most `slack`."""

    sku: str
    for_sale: int
    held: int
    outstanding: Mapping[str, int]
    slack: int


class ReservationRepository(Protocol):
    async def add_many(self, reservations: Sequence[Reservation]) -> None: ...

    async def place(
        self,
        reservations: Sequence[Reservation],
        deltas: Mapping[LevelKey, tuple[Quantities, int]],
        movements: Sequence[Movement],
        now: datetime,
        guards: Sequence[ChannelGuard] = (),
    ) -> bool:
        """New holds decided on an unlocked read, written in one atomic step:
        `apply_many(deltas)` (deltas that only hold units), the reservations
        stored, and their `reservation.created` movements (one per line, in
        line order) appended with the quantities after each as the store has
        them then (their own `after` is ignored). A SKU split into channel
        pools is written only under a `guards` entry that still holds; the
        channels' counts move with the movements (as the ledger writer moves
        them). All or nothing:
        False when a level no longer takes its delta or a guard fails (or a
        pooled SKU has none), and nothing is written."""
        ...

    async def get(self, reservation_id: str, *, lock: bool = False) -> Reservation | None: ...

    async def close(
        self,
        reservation_id: str,
        status: ReservationStatus,
        now: datetime,
        order_id: str | None = None,
    ) -> None:
        """Move a locked active hold to a final status."""
        ...

    async def close_many(
        self,
        reservation_ids: Sequence[str],
        status: ReservationStatus,
        now: datetime,
        order_id: str | None = None,
    ) -> None:
        """`close` for many locked active holds at once."""
        ...

    async def set_deadline(self, reservation_id: str, expires_at: datetime) -> None: ...

    async def lock_due(
        self,
        now: datetime,
        limit: int,
        skus: Collection[str] = (),
        reservation_ids: Collection[str] = (),
    ) -> list[Reservation]:
        """Lock up to `limit` active holds past their deadline, skipping any
        another transaction holds; only those with a line on `skus`, and only
        those in `reservation_ids`, if given."""
        ...


@dataclass(frozen=True, slots=True)
class OrderLineChange:
    """Units moving between an order line's counters (deltas)."""

    committed: int = 0
    shipped: int = 0
    cancelled: int = 0
    returned: int = 0


class OrderRepository(Protocol):
    async def add(self, order: Order) -> bool:
        """Insert the order and its lines, created (and last changed) at
        `order.created_at`; False when the id is taken."""
        ...

    async def get(self, order_id: str, *, lock: bool = False) -> Order | None: ...

    async def change_line(
        self, order_id: str, sku: str, location: str, change: OrderLineChange
    ) -> bool:
        """Apply `change` only if the line's units stay conserved and within
        bounds (nothing negative, no more returned than shipped)."""
        ...

    async def set_status(self, order_id: str, status: OrderStatus, now: datetime) -> None: ...

    async def add_produced(self, order_id: str, sku: str, location: str, quantity: int) -> None:
        """Units made for the order join it as committed at `location`: its
        line there grows by `quantity` (ordered and committed), or is added."""
        ...

    async def add_return(self, record: ReturnRecord) -> None: ...


@dataclass(frozen=True, slots=True)
class ReturnRecord:
    id: str
    order_id: str
    location: str
    condition: ReturnCondition
    lines: tuple[SkuQuantity, ...]
    created_at: datetime


class TransferRepository(Protocol):
    async def add(self, transfer: Transfer) -> None: ...

    async def get(self, transfer_id: str, *, lock: bool = False) -> Transfer | None: ...

    async def receive(self, transfer_id: str, sku: str, quantity: int) -> bool:
        """Count `quantity` more as received, only if no more than were sent."""
        ...

    async def set_status(self, transfer_id: str, status: TransferStatus, now: datetime) -> None: ...

    async def set_eta(self, transfer_id: str, expected_at: datetime, now: datetime) -> int:
        """The new ETA; the transfer's version after it."""
        ...

    async def in_transit_to(self, keys: Collection[LevelKey]) -> dict[LevelKey, int]:
        """Units that open transfers still owe each level (sent to its
        location, not yet received); levels owed nothing are left out."""
        ...


class PurchaseOrderRepository(Protocol):
    async def add(self, order: PurchaseOrder) -> bool:
        """Record a new purchase order; False (and nothing written) when its id is taken."""
        ...

    async def get(self, purchase_order_id: str, *, lock: bool = False) -> PurchaseOrder | None: ...

    async def receive(self, purchase_order_id: str, sku: str, quantity: int) -> bool:
        """Count `quantity` more as received, only if that many are still open."""
        ...

    async def cut(self, purchase_order_id: str, sku: str, quantity: int) -> bool:
        """Count `quantity` more as cut, only if that many are still open."""
        ...

    async def set_status(
        self, purchase_order_id: str, status: PurchaseOrderStatus, now: datetime
    ) -> None: ...

    async def set_eta(self, purchase_order_id: str, expected_at: datetime, now: datetime) -> int:
        """Move the ETA; the order's version after the change."""
        ...

    async def open_to(self, keys: Collection[LevelKey]) -> dict[LevelKey, int]:
        """Units that purchase orders still owe each level (ordered, neither
        received nor cut); levels owed nothing are left out."""
        ...


class TieRepository(Protocol):
    """Backordered units tied to inbound (`domain.promises`). Each inbound
    line keeps the units tied to it within its open units (the store
    enforces it: `add` refuses beyond)."""

    async def inbound(self, key: LevelKey) -> list[Inbound]:
        """Open inbound lines at the level with units not yet promised,
        locked until the transaction ends (ties to them wait here)."""
        ...

    async def add(
        self, holder: Holder, key: LevelKey, inbound: Inbound | None, units: int, since: datetime
    ) -> bool:
        """Tie `units` of the holder at `key` to `inbound` (None: to no
        inbound, undated); False, and nothing written, if the inbound line
        has fewer units open and not promised."""
        ...

    async def add_preorder(
        self, holder: Holder, key: LevelKey, units: int, since: datetime, channel: str | None
    ) -> bool:
        """Tie `units` of the holder at `key`, sold through `channel`, to its
        SKU's preorder allowance; False if fewer than that are left of its
        `preorder_cap` or of the channel's cap, when it has one (then the
        caller's transaction must not commit: a counter may have moved)."""
        ...

    async def preorder_room(self, sku: str) -> PreorderRoom:
        """Units the SKU may still preorder: of its cap, and of each
        channel's cap (a cap less the units preordered under it)."""
        ...

    async def unpromised(self, keys: Collection[LevelKey]) -> dict[LevelKey, int]:
        """Open inbound not yet promised at each level, locking nothing: what
        a plan may count on beyond stock (`inbound` decides under lock);
        levels with none are left out."""
        ...

    async def reduce(self, tie: TiedUnits, units: int) -> None:
        """Untie `units` of a stored tie (all of it: delete it)."""
        ...

    async def of_holders(self, holders: Collection[Holder]) -> list[TiedUnits]:
        """Every tie of these holders, in (since, id) order."""
        ...

    async def of_level(self, key: LevelKey) -> list[TiedUnits]:
        """Every tie at the level, in (since, id) order."""
        ...

    async def of_supply(
        self, kind: SupplyKind, supply_id: str, sku: str | None = None
    ) -> list[TiedUnits]:
        """Every tie to an inbound (of one SKU's line, if given), in (since, id) order."""
        ...

    async def hand_over(self, source: Holder, target: Holder) -> bool:
        """A hold became an order: its ties are the order's now (whether it had any)."""
        ...

    async def set_promised(self, order_id: str, ready: Mapping[LevelKey, datetime]) -> None:
        """Record the ready date each order line was promised when placed."""
        ...


@dataclass(frozen=True, slots=True)
class SaleRecord:
    location: str
    external_id: str
    fingerprint: str
    lines: tuple[SkuQuantity, ...]
    created_at: datetime


class SalesRepository(Protocol):
    async def claim(self, sale: SaleRecord) -> SaleRecord | None:
        """Record the sale, or return the one already recorded under its
        (location, external id); waits while another transaction holds it."""
        ...


class CapacityRepository(Protocol):
    """Capacity pools, their weeks, and the units booked in them (slot
    bookings and orders' made-to-order lines). Every change to a week's
    `held` / `committed` is a conditional update the store refuses when the
    week would be over-booked or go below zero (never a read-modify-write)."""

    async def add_pool(self, pool: CapacityPool, now: datetime) -> bool:
        """Insert; False when the id is taken."""
        ...

    async def pools(self, ids: Collection[str]) -> dict[str, CapacityPool]: ...

    async def lock_pools(self, ids: Collection[str]) -> None:
        """Lock these pools' rows, in id order (their weeks stay free to
        others). A booking with more than one line in a pool takes the pool
        first: two of them cannot take its weeks in opposite orders."""
        ...

    async def lock_weeks(
        self, pool: str, weeks: Collection[IsoWeek]
    ) -> dict[IsoWeek, CapacityWeek]:
        """Lock the weeks of `pool` that have a row (in week order)."""
        ...

    async def set_units(self, pool: str, units: Mapping[IsoWeek, int]) -> None:
        """Set the capacity of these (locked or new) weeks."""
        ...

    async def weeks(self, pool: str, first: IsoWeek, last: IsoWeek | None) -> list[CapacityWeek]:
        """The weeks of `pool` with capacity set, from `first` to `last`
        (None: every later one), in order; no lock."""
        ...

    async def take(
        self, pool: str, first: IsoWeek, last: IsoWeek, quantity: int, *, commit: bool
    ) -> CapacityWeek | None:
        """In one conditional step: the earliest week from `first` to `last`
        with `quantity` units free gets them `held` (or, with `commit`,
        `committed`); that week after, or None when no week has room. Waits
        for a week another transaction is booking, then looks at it again."""
        ...

    async def move(self, pool: str, week: IsoWeek, held: int, committed: int) -> bool:
        """Add `held` and `committed` to a week, only if it stays within its
        units and nothing goes below zero."""
        ...

    async def add_lines(
        self, lines: Sequence[ProductionLine], slot_id: str | None, order_id: str | None
    ) -> None: ...

    async def add_slot(self, slot: SlotBooking) -> None:
        """Store a booking and its lines."""
        ...

    async def slot(self, slot_id: str, *, lock: bool = False) -> SlotBooking | None: ...

    async def close_slot(
        self, slot_id: str, status: SlotStatus, now: datetime, order_id: str | None = None
    ) -> None:
        """Move a locked active booking to a final status (its lines join
        `order_id`, if given)."""
        ...

    async def set_slot_deadline(self, slot_id: str, expires_at: datetime) -> None: ...

    async def lock_due_slots(self, now: datetime, limit: int) -> list[SlotBooking]:
        """Lock up to `limit` active bookings past their deadline, skipping
        any another transaction holds."""
        ...

    async def produce(self, line_id: int, quantity: int) -> bool:
        """Count `quantity` more units of a booked order line made, only if
        it is not cancelled and stays within its units (a conditional
        update); False otherwise."""
        ...

    async def cancel_order_lines(self, order_id: str) -> list[ProductionLine]:
        """Mark an order's made-to-order lines cancelled; the lines that were
        not yet (as they were: their unproduced units go back)."""
        ...


class LedgerWatch(Protocol):
    """Tells consumers in any process that new events committed, without
    polling: they then read the ledger by `seq`."""

    async def wait_past(self, seq: int, within: float) -> int:
        """The ledger head as last heard: as soon as it is past `seq` (at once
        if it already is), else after `within` seconds."""
        ...

    async def close(self) -> None: ...


# -- the event relay -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One ledger event as the relay publishes it."""

    seq: int
    subject: str
    body: bytes


class PublisherUnavailable(Exception):
    """The broker cannot be reached or did not acknowledge in time; what was
    published is unknown until the stream is read again."""


class OutOfStep(Exception):
    """The broker refused a publish: the stream's last message is not the
    one the publisher expected (another publisher, or an older view)."""


class EventPublisher(Protocol):
    """Where the relay publishes the ledger (the stream keeps the ids)."""

    async def prepare(self) -> None:
        """Connect, and create the stream if it is missing. Raises
        PublisherUnavailable."""
        ...

    async def last_published(self) -> int | None:
        """The `seq` of the stream's last message, or None when it holds
        none (new, purged or aged out). Reads the stream each time."""
        ...

    async def publish(self, message: Outgoing, previous: int | None) -> None:
        """Publish and await the acknowledgement. `previous` is the `seq`
        the stream's last message must carry (None: the stream must still be
        as `last_published` last read it). Raises OutOfStep when it is not,
        PublisherUnavailable when the broker cannot be reached. A message
        the stream already has is acknowledged and not stored again."""
        ...

    async def close(self) -> None: ...


class Leadership(Protocol):
    """Which of several processes may do a one-at-a-time job."""

    async def acquire(self) -> bool:
        """Take the lead if no one has it; True when this process has it."""
        ...

    async def held(self) -> bool:
        """Whether this process still leads (False once its hold is lost)."""
        ...

    async def release(self) -> None: ...


class RelayCursors(Protocol):
    """The last `seq` a relay had acknowledged, kept by the database (the
    resume point when the stream holds nothing)."""

    async def load(self, name: str) -> int: ...

    async def save(self, name: str, seq: int) -> None: ...


class ApiKeyRepository(Protocol):
    async def add(self, key: ApiKey, digest: bytes) -> bool:
        """Store a key; False when its id or digest is taken."""
        ...

    async def lock_active(self) -> list[ApiKey]:
        """Every unrevoked key, locked (revocations decide on them)."""
        ...

    async def revoke(self, key_id: str, now: datetime) -> None:
        """Revoke a locked active key."""
        ...


class Ledger(Protocol):
    async def append(self, events: Sequence[Event]) -> None:
        """Record these events in the transaction (in order)."""
        ...


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    body: bytes


class IdempotencyStore(Protocol):
    async def claim(
        self, scope: str, key: str, fingerprint: str, now: datetime
    ) -> StoredResponse | None:
        """Claim `key` for this transaction, or return the response stored for
        it. Waits while another transaction holds the same key. Raises
        IdempotencyKeyReused when the key was used for another request."""
        ...

    async def save(self, scope: str, key: str, response: StoredResponse) -> None: ...

    async def release(self, scope: str, key: str) -> None:
        """Give up a key claimed in this transaction (its request failed)."""
        ...


class UnitOfWork(Protocol):
    """One transaction. Rolls back on exit unless `commit` was called."""

    @property
    def catalog(self) -> CatalogRepository: ...

    @property
    def levels(self) -> LevelRepository: ...

    @property
    def reservations(self) -> ReservationRepository: ...

    @property
    def ledger(self) -> Ledger: ...

    @property
    def idempotency(self) -> IdempotencyStore: ...

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def transfers(self) -> TransferRepository: ...

    @property
    def sales(self) -> SalesRepository: ...

    @property
    def purchase_orders(self) -> PurchaseOrderRepository: ...

    @property
    def ties(self) -> TieRepository: ...

    @property
    def keys(self) -> ApiKeyRepository: ...

    @property
    def channels(self) -> ChannelRepository: ...

    @property
    def webhooks(self) -> WebhookRepository: ...

    @property
    def corrections(self) -> CorrectionRepository: ...

    @property
    def capacity(self) -> CapacityRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, autocommit: bool = False) -> UnitOfWork:
        """A unit of work; with `autocommit`, each write commits by itself (for
        work written in one atomic call, such as `ReservationRepository.place`)
        and `commit` has nothing left to do."""
        ...


# -- webhooks -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message to one webhook, and how its delivery went."""

    id: int
    webhook_id: str
    message_id: str
    """`webhook-id`: stable per event (or derived message) and endpoint."""
    seq: int
    type: str
    sku: str | None
    payload: dict[str, Any]
    status: str
    """`pending`, `failed` (tried; will be tried again), `delivered` or `dead`."""
    attempts: int
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    last_response: str | None
    created_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class NewMessage:
    message_id: str
    seq: int
    type: str
    sku: str | None
    payload: dict[str, Any]
    not_before: datetime
    coalesce: bool = False
    """Folds into an unsent message of the same type and SKU, if there is one."""


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one delivery attempt came to."""

    ok: bool
    status: int | None = None
    error: str | None = None
    response: str | None = None


class WebhookRound(Protocol):
    """One webhook's outbox and deliveries, while this process alone works on
    them (`WebhookStore.round`)."""

    async def cursor(self) -> int: ...

    async def figures(self, skus: Collection[str] | None) -> dict[str, int]:
        """The last figure sent per SKU (`None`: every SKU it has one for)."""
        ...

    async def record(
        self,
        messages: Sequence[NewMessage],
        figures: Mapping[str, tuple[int, int]],
        cursor: int,
        now: datetime,
    ) -> None:
        """In one transaction: the messages queued (one already queued under
        the same id is left as it is), the figures (`sku: (figure, seq)`)
        kept, the cursor moved to `cursor`."""
        ...

    async def due(self, now: datetime, limit: int) -> list[Delivery]:
        """Deliveries to try now, oldest first: those due, but none behind an
        older one of its SKU that waits (undelivered, not due yet)."""
        ...

    async def attempted(
        self, delivery: Delivery, attempt: Attempt, retry_at: datetime | None, now: datetime
    ) -> None:
        """Record an attempt: delivered when it went through, else failed and
        tried again at `retry_at`, or dead when that is None."""
        ...


class WebhookRepository(Protocol):
    """Subscriptions, written in a unit of work (with their events)."""

    async def add(self, webhook: Webhook, secret: str, now: datetime) -> None:
        """Store a new subscription; it sends what commits after it (its
        cursor starts at the ledger head)."""
        ...

    async def lock(self, webhook_id: str) -> Webhook | None: ...

    async def save(self, webhook: Webhook, now: datetime) -> Webhook:
        """Write a locked subscription back; its version goes up by one."""
        ...

    async def delete(self, webhook_id: str) -> None:
        """Delete a locked subscription and its delivery log."""
        ...

    async def rotate(
        self, webhook_id: str, secret: str, previous_until: datetime, now: datetime
    ) -> None:
        """A new secret for a locked subscription; the old one still signs
        until `previous_until`."""
        ...

    async def replay(self, webhook_id: str, from_seq: int | None, now: datetime) -> int:
        """Queue again the dead letters (`from_seq` None) or every delivery
        of events from `from_seq` on; how many."""
        ...


class WebhookStore(Protocol):
    """Subscriptions as committed, and their outbox (for the worker)."""

    async def get(self, webhook_id: str) -> Webhook | None: ...

    async def page(self, after: str | None, limit: int) -> list[Webhook]:
        """Subscriptions by id, after `after`."""
        ...

    async def secrets(self, webhook_id: str, now: datetime) -> list[str]:
        """The secrets that sign its messages now (the newest first)."""
        ...

    def round(self, webhook_id: str) -> AbstractAsyncContextManager[WebhookRound | None]:
        """Work on the webhook's outbox alone (None: another process is)."""
        ...

    async def deliveries(
        self, webhook_id: str, status: str | None, before: int | None, limit: int
    ) -> list[Delivery]:
        """Its deliveries, newest first (ids below `before`)."""
        ...


class WebhookSender(Protocol):
    async def refusal(self, url: str) -> str | None:
        """Why stockd will not send to `url` (not http(s), or an address that
        is loopback, private or link-local), or None."""
        ...

    async def post(self, url: str, headers: Mapping[str, str], body: bytes) -> Attempt: ...


class SharedCacheDown(Exception):
    """The shared cache did not answer (in time): readers go to the database."""


class SharedCache(Protocol):
    """The cache every node shares (L2: Redis), of rendered read documents
    per SKU. Entries are filed under a SKU and a field (which read of it);
    each carries `as_of`, the ledger position its figures include, so an
    entry older than an invalidation of its SKU is never stored. Every
    method raises `SharedCacheDown` when the cache does not answer."""

    async def get(self, sku: str, field: str) -> bytes | None: ...

    async def put(self, sku: str, field: str, value: bytes, as_of: int, ttl: float) -> bool:
        """Store unless the SKU was invalidated past `as_of`; False if not stored."""
        ...

    async def invalidate(self, marks: Mapping[str, int], ttl: float) -> None:
        """Drop every entry of these SKUs, each invalidated at its `seq`."""
        ...

    async def invalidate_all(self) -> None:
        """Drop every entry (a reader that may have missed invalidations)."""
        ...

    async def close(self) -> None: ...


# -- channel drift ----------------------------------------------------------------

SentKey = tuple[str, str, str, str]
"""Where a sent figure sits in keyset order: channel, SKU, via, endpoint."""


@dataclass(frozen=True, slots=True)
class SentFigure:
    """What one receiver of a channel was last sent of one SKU."""

    channel: str
    sku: str
    via: str
    """`webhook` (delivered to the webhook `endpoint`) or `feed` (served in a page)."""
    endpoint: str
    """The webhook's id; '' for the feed."""
    figure: int
    seq: int
    """The ledger event the figure accounts for (at least)."""
    sent_at: datetime
    reference: str | None
    """The webhook message id, or the feed page's next cursor."""

    @property
    def key(self) -> SentKey:
        return (self.channel, self.sku, self.via, self.endpoint)


@dataclass(frozen=True, slots=True)
class LedgerChange:
    """A ledger event that may have changed a figure: its seq and time."""

    seq: int
    at: datetime


class ChannelFigureStore(Protocol):
    """The figures channels were sent (webhook deliveries record theirs as
    they are delivered, in the webhook store), and the ledger events since."""

    async def record_served(
        self,
        channel: str,
        figures: Sequence[tuple[str, int, int]],
        reference: str,
        now: datetime,
    ) -> None:
        """Record the figures (`(sku, figure, seq)`) of a feed page served to
        `channel`, in one statement; raises when it cannot (the caller
        decides whether that matters)."""
        ...

    async def sent(
        self,
        channel: str | None,
        skus: Collection[str] | None,
        after: SentKey | None,
        limit: int,
    ) -> list[SentFigure]:
        """Sent figures in key order after `after`, of one channel (None:
        all) and of `skus` (None: all), for receivers that still follow the
        channel: its feed, and its active webhooks that want
        `availability.changed` (a webhook deleted, paused or moved to
        another channel is no longer the channel's)."""
        ...

    async def changes_since(
        self, since: Collection[tuple[str, int]], wide: Collection[str], limit: int
    ) -> dict[tuple[str, int], list[LedgerChange]]:
        """For each `(sku, seq)`, the first `limit` ledger events after `seq`
        that may have changed the SKU's figures: its own, and those of the
        `wide` types (which may change every SKU's), oldest first."""
        ...


# -- corrections: physical counts and external stock reports -------------------


@dataclass(frozen=True, slots=True)
class CountLineRecord:
    """One line of a physical count as recorded."""

    count_id: str
    key: LevelKey
    counted_at: datetime
    counted: int
    expected: int
    adjustment: int
    outcome: str
    """`applied` (the count now anchors the level) or `superseded`."""
    why: str
    source: str | None
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class ReportRecord:
    """One report line as received, with the answer it got."""

    line: ReportLine
    received_at: datetime
    outcome: str
    """`applied` or `superseded` (duplicates are not recorded again)."""
    why: str


class CorrectionRepository(Protocol):
    """Counts, report lines, sources and per-location policies. Every
    per-level read and write here happens under that level's lock."""

    async def moved_since(self, key: LevelKey, after: datetime) -> int:
        """The sum of the on_hand deltas of the level's movements after
        `after`, corrections (counts and reports) left out."""
        ...

    async def latest_count(self, key: LevelKey) -> Anchor | None:
        """The level's count with the latest `counted_at`, if any."""
        ...

    async def add_count_lines(self, lines: Sequence[CountLineRecord]) -> None: ...

    async def count_lines(self, count_id: str) -> list[CountLineRecord]:
        """The lines of one count, in the order they were given."""
        ...

    async def report_lines(self, key: LevelKey, window: timedelta) -> list[ReportLine]:
        """The level's report lines observed within `window` of its latest
        one, each with its source's priority."""
        ...

    async def add_report(self, record: ReportRecord) -> bool:
        """Record a line; False (nothing written) if the same source already
        reported the same figure for the level at the same `observed_at`."""
        ...

    async def add_source(self, source: Source) -> bool:
        """False if a source with that id exists."""
        ...

    async def sources(self, ids: Collection[str] = ()) -> dict[str, Source]:
        """The sources with these ids; every source when `ids` is empty."""
        ...

    async def set_location_policy(
        self, location: str, policy: Policy | None, now: datetime
    ) -> None:
        """Override (or, with None, stop overriding) the policy at a location."""
        ...

    async def location_policies(self, locations: Collection[str]) -> dict[str, Policy]: ...


# -- available-to-promise ----------------------------------------------------------


class SupplyReader(Protocol):
    """What available-to-promise reads of one SKU: as last committed, no locks."""

    async def supply(self, sku: str, now: datetime, until: datetime) -> Supply | None:
        """The SKU (None when it does not exist) and its supply: `available`
        per level, live at `now` (holds past their deadline do not count);
        the inbound lots due by `until` (purchase orders, transfers in
        flight), with the units already tied to backorders; the production
        weeks of its pools that end by `until`, with their free units; and
        every location these name."""
        ...

    async def locations(self, ids: Collection[str]) -> dict[str, Location]: ...


class HoldMetrics(Protocol):
    """What the hold path tells monitoring (docs/operations.md, Monitoring):
    a refusal by its problem code, and the size of each group-committed
    batch. Holds granted and expired are counted from the events a commit
    wrote, not here."""

    def refused(self, code: str) -> None: ...

    def batch(self, size: int) -> None: ...


@dataclass(frozen=True, slots=True)
class StoreFigures:
    """The figures monitoring reads from the store at scrape time."""

    ledger_head: int
    """The ledger's highest `seq`."""
    relay_cursors: Mapping[str, int]
    """Each relay's cursor (the `seq` it has published up to)."""
    webhook_cursors: Mapping[str, int]
    """Each active webhook's cursor (the `seq` it has recorded deliveries up to)."""
    deliveries: Mapping[tuple[str, str], int]
    """Webhook deliveries not yet delivered, by (webhook id, status):
    `pending`, `failed` (awaiting a retry) and `dead` (dead letters)."""
    oversold_units: int
    """Units below the floor their levels allow, summed over every level (always 0)."""
    discrepancy_rate: float | None
    """The discrepancy rate of the last finished reconciliation (None: none yet)."""


class StoreFigureReader(Protocol):
    """Reads `StoreFigures` (a few cheap queries)."""

    async def figures(self) -> StoreFigures: ...
