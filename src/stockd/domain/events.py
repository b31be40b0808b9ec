"""Events: the immutable, past-tense record of every change, kept in the ledger.

Each event type is defined once, here: its name (`type`) and its fields.
Everything that changes stockd's state appends its events in the same
transaction as the change, and every consumer (the events API, and later
webhooks, the relay, caches, the dashboard) follows them by `seq`.

Two families share the base `Event` (who, when, under which idempotency key,
and the references consumers filter by):

- `Movement`: one level's change — the delta per quantity state and the
  quantities after it. Levels are a projection of the movements: replaying
  them reproduces the levels exactly.
- everything else (catalogue, orders, transfers, API keys): what changed, with
  its own fields. `EVENT_TYPES` lists every type; `docs/events.md` documents
  each field (a test keeps the two in step).

Each field is documented in its annotation: `Annotated[type, "what it is"]`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Annotated, Any, ClassVar, get_args, get_origin, get_type_hints

from stockd.domain.quantities import LevelKey, Quantities


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    type: ClassVar[str] = "event"
    summary: ClassVar[str] = ""

    at: Annotated[datetime, "When it happened (the time of its transaction)."]
    actor: Annotated[str, "Who did it: `key:<api key id>`, `cli:<user>` or `stockd:<worker>`."]
    idempotency_key: Annotated[str | None, "The Idempotency-Key of the request, if it had one."] = (
        None
    )
    reason: Annotated[str | None, "Why, in words (the caller's reason, or what stockd did)."] = None
    reference: Annotated[str | None, "The caller's reference (purchase order, cart, receipt…)."] = (
        None
    )
    reservation_id: Annotated[str | None, "The reservation (hold) it concerns."] = None
    order_id: Annotated[str | None, "The order it concerns."] = None
    transfer_id: Annotated[str | None, "The transfer it concerns."] = None
    channel: Annotated[
        str | None,
        "The sales channel it concerns: the one the hold or order sells through (`*`: an"
        " admin's hold that bypassed the pools), or the channel a `channel.*` event is about.",
    ] = None


# -- level movements ----------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Movement(Event):
    """One level's change. `delta` names only the states that moved."""

    type: ClassVar[str] = "stock.movement"

    key: Annotated[LevelKey, "`sku` and `location`: the level that changed."]
    delta: Annotated[Quantities, "Change per quantity state."]
    after: Annotated[Quantities, "Every quantity state after the change (and `available`)."]


@dataclass(frozen=True, slots=True, kw_only=True)
class StockAdjusted(Movement):
    type: ClassVar[str] = "stock.adjusted"
    summary: ClassVar[str] = "An adjustment added to or took from a state."


@dataclass(frozen=True, slots=True, kw_only=True)
class StockCounted(Movement):
    type: ClassVar[str] = "stock.counted"
    summary: ClassVar[str] = (
        "A count set a state to the counted figure: through `POST /v1/adjustments` (now), or"
        " a physical count or stock report correcting `on_hand` as of `effective_at`"
        " (`POST /v1/counts`, `POST /v1/stock-reports`; see docs/counts-and-reports.md)."
    )

    counted: Annotated[
        int | None, "A count's or report's figure for `on_hand` at `effective_at`."
    ] = None
    expected: Annotated[
        int | None,
        "What the ledger put in `on_hand` at `effective_at` (on_hand now less the movements"
        " after it); the adjustment is `delta.on_hand`.",
    ] = None
    effective_at: Annotated[
        datetime | None,
        "When the figure was true (`counted_at`, `observed_at`); movements after it stay on top."
        " Absent for counts made through `POST /v1/adjustments`.",
    ] = None
    source: Annotated[str | None, "The report source, or the count's `source` if given."] = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StockMoved(Movement):
    type: ClassVar[str] = "stock.moved"
    summary: ClassVar[str] = "Units moved between on_hand, damaged and quality_control."


@dataclass(frozen=True, slots=True, kw_only=True)
class Reserved(Movement):
    type: ClassVar[str] = "reservation.created"
    summary: ClassVar[str] = "A checkout hold took units (`reserved` up), one event per line."


@dataclass(frozen=True, slots=True, kw_only=True)
class ReservationExtended(Movement):
    type: ClassVar[str] = "reservation.extended"
    summary: ClassVar[str] = "A hold's deadline moved (no quantity changes)."


@dataclass(frozen=True, slots=True, kw_only=True)
class ReservationReleased(Movement):
    type: ClassVar[str] = "reservation.released"
    summary: ClassVar[str] = "The caller released a hold (`reserved` down)."


@dataclass(frozen=True, slots=True, kw_only=True)
class ReservationExpired(Movement):
    type: ClassVar[str] = "reservation.expired"
    summary: ClassVar[str] = "A hold passed its deadline (`reserved` down)."


@dataclass(frozen=True, slots=True, kw_only=True)
class ReservationCommitted(Movement):
    type: ClassVar[str] = "reservation.committed"
    summary: ClassVar[str] = "A hold became an order: `reserved` down, `committed` up."


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderAllocated(Movement):
    type: ClassVar[str] = "order.allocated"
    summary: ClassVar[str] = "Units committed to an order (directly, or re-planned from a hold)."


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderShipped(Movement):
    type: ClassVar[str] = "order.shipped"
    summary: ClassVar[str] = "Units of an order shipped: `committed` and `on_hand` down."


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderProduced(Movement):
    type: ClassVar[str] = "order.produced"
    summary: ClassVar[str] = (
        "The workshop made units of an order's made-to-order line (`POST"
        " /v1/orders/{id}/produce`): they are at the workshop, `on_hand` and `committed` up,"
        " one event per production week; the week keeps its capacity used."
    )

    pool: Annotated[str, "The capacity pool the units were booked in."]
    week: Annotated[str, "The ISO week (`2027-W03`) they were booked in."]


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderCancelled(Movement):
    type: ClassVar[str] = "order.cancelled"
    summary: ClassVar[str] = "An order's unshipped units released (`committed` down)."


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderReturned(Movement):
    type: ClassVar[str] = "order.returned"
    summary: ClassVar[str] = "Shipped units came back (`on_hand` up, maybe `damaged` too)."


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferSent(Movement):
    type: ClassVar[str] = "transfer.sent"
    summary: ClassVar[str] = "Units left the source of a transfer (`on_hand` down)."


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferIncoming(Movement):
    type: ClassVar[str] = "transfer.incoming"
    summary: ClassVar[str] = "Units of a transfer are expected at its destination (`incoming` up)."


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferReceived(Movement):
    type: ClassVar[str] = "transfer.received"
    summary: ClassVar[str] = "Units of a transfer arrived: `incoming` down, `on_hand` up."


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundCreated(Movement):
    type: ClassVar[str] = "inbound.created"
    summary: ClassVar[str] = (
        "A purchase order line was placed: its units are expected at the order's location"
        " (`incoming` up), one event per line."
    )

    purchase_order_id: Annotated[str, "The purchase order."]
    supplier: Annotated[str, "Who delivers it."]
    expected_at: Annotated[datetime, "When the units are expected (the order's ETA)."]


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundReceived(Movement):
    type: ClassVar[str] = "inbound.received"
    summary: ClassVar[str] = (
        "Units of a purchase order arrived: `incoming` down, `on_hand` up (partial receipts"
        " allowed)."
    )

    purchase_order_id: Annotated[str, "The purchase order."]


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundCut(Movement):
    type: ClassVar[str] = "inbound.cut"
    summary: ClassVar[str] = (
        "Units of a purchase order will not come (the order was cancelled or a line"
        " reduced): `incoming` down."
    )

    purchase_order_id: Annotated[str, "The purchase order."]


@dataclass(frozen=True, slots=True, kw_only=True)
class SaleRecorded(Movement):
    type: ClassVar[str] = "sale.recorded"
    summary: ClassVar[str] = "A point-of-sale sale took units off the shelf (`on_hand` down)."


# -- the catalogue --------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SkuCreated(Event):
    type: ClassVar[str] = "sku.created"
    summary: ClassVar[str] = "A SKU was created."

    sku: Annotated[str, "The SKU code."]
    attributes: Annotated[dict[str, Any], "The SKU as `GET /v1/skus/{sku}` shows it."]


@dataclass(frozen=True, slots=True, kw_only=True)
class SkuChanged(Event):
    type: ClassVar[str] = "sku.changed"
    summary: ClassVar[str] = "Fields of a SKU changed (a write that changes nothing has no event)."

    sku: Annotated[str, "The SKU code."]
    changes: Annotated[dict[str, dict[str, Any]], 'Each changed field: `{"from": old, "to": new}`.']
    version: Annotated[int, "The SKU's version after the change."]


@dataclass(frozen=True, slots=True, kw_only=True)
class SkuArchived(Event):
    type: ClassVar[str] = "sku.archived"
    summary: ClassVar[str] = (
        "A SKU was archived (`DELETE /v1/skus/{sku}`): no new holds, orders or sales, not"
        " listed by default; its levels, holds, orders and history stay. Archiving it again"
        " records nothing."
    )

    sku: Annotated[str, "The SKU code."]
    version: Annotated[int, "The SKU's version after the change."]


@dataclass(frozen=True, slots=True, kw_only=True)
class LocationCreated(Event):
    type: ClassVar[str] = "location.created"
    summary: ClassVar[str] = "A location was created."

    location: Annotated[str, "The location id."]
    attributes: Annotated[dict[str, Any], "The location as `GET /v1/locations/{id}` shows it."]


@dataclass(frozen=True, slots=True, kw_only=True)
class LocationChanged(Event):
    type: ClassVar[str] = "location.changed"
    summary: ClassVar[str] = "Fields of a location changed."

    location: Annotated[str, "The location id."]
    changes: Annotated[dict[str, dict[str, Any]], 'Each changed field: `{"from": old, "to": new}`.']
    version: Annotated[int, "The location's version after the change."]


@dataclass(frozen=True, slots=True, kw_only=True)
class LocationArchived(Event):
    type: ClassVar[str] = "location.archived"
    summary: ClassVar[str] = (
        "A location was archived (`DELETE /v1/locations/{id}`): it keeps its stock, holds and"
        " orders, but no strategy chooses it and no new work may name it. Archiving it again"
        " records nothing."
    )

    location: Annotated[str, "The location id."]
    version: Annotated[int, "The location's version after the change."]


# -- orders and transfers ---------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderPlaced(Event):
    type: ClassVar[str] = "order.placed"
    summary: ClassVar[str] = (
        "An order was placed (from lines, or from a hold); its units follow as"
        " `order.allocated` or `reservation.committed` movements."
    )

    lines: Annotated[
        tuple[dict[str, Any], ...], "`[{sku, location, quantity}]`: where each unit is committed."
    ]
    status: Annotated[str, "The order's status: `open`."]
    strategy: Annotated[str | None, "The allocation strategy that placed it, if one did."] = None
    ship_to: Annotated[dict[str, Any] | None, "`{lat, lon, region}`, if given."] = None
    pickup_location: Annotated[str | None, "The store the customer collects from, if any."] = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderStatusChanged(Event):
    type: ClassVar[str] = "order.status_changed"
    summary: ClassVar[str] = (
        "An order's status moved: `open` → `partially_shipped` → `shipped`, or → `cancelled`."
    )

    previous: Annotated[str, "The status before."]
    status: Annotated[str, "The status now."]


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferCreated(Event):
    type: ClassVar[str] = "transfer.created"
    summary: ClassVar[str] = (
        "A transfer was created (status `in_transit`); its units follow as"
        " `transfer.sent` and `transfer.incoming` movements."
    )

    source: Annotated[str, "The location the units leave."]
    destination: Annotated[str, "The location they go to."]
    lines: Annotated[tuple[dict[str, Any], ...], "`[{sku, quantity}]`."]
    status: Annotated[str, "The transfer's status: `in_transit`."]
    expected_at: Annotated[
        datetime | None, "When the units should arrive (inbound at the destination until then)."
    ] = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseOrderCreated(Event):
    type: ClassVar[str] = "inbound.ordered"
    summary: ClassVar[str] = (
        "A purchase order was placed (status `open`); its units follow as `inbound.created`"
        " movements."
    )

    purchase_order_id: Annotated[str, "The purchase order."]
    supplier: Annotated[str, "Who delivers it."]
    location: Annotated[str, "Where the units will arrive."]
    lines: Annotated[tuple[dict[str, Any], ...], "`[{sku, quantity}]`."]
    expected_at: Annotated[datetime, "When the units are expected."]


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundEtaChanged(Event):
    type: ClassVar[str] = "inbound.eta_changed"
    summary: ClassVar[str] = (
        "Inbound's expected arrival moved: a purchase order's (`PATCH"
        " /v1/purchase-orders/{id}`, `purchase_order_id` names it) or a transfer's (`PATCH"
        " /v1/transfers/{id}`, `transfer_id` names it)."
    )

    purchase_order_id: Annotated[str | None, "The purchase order; null for a transfer."] = None
    location: Annotated[str, "Where its units will arrive."]
    previous: Annotated[datetime, "The ETA before."]
    expected_at: Annotated[datetime, "The ETA now."]
    version: Annotated[int, "The purchase order's or transfer's version after the change."]


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseOrderStatusChanged(Event):
    type: ClassVar[str] = "inbound.status_changed"
    summary: ClassVar[str] = (
        "A purchase order's status moved: `open` → `partially_received` → `received`,"
        " or to `cancelled` once every unit was cut before any arrived."
    )

    purchase_order_id: Annotated[str, "The purchase order."]
    previous: Annotated[str, "The status before."]
    status: Annotated[str, "The status now."]


@dataclass(frozen=True, slots=True, kw_only=True)
class PromiseChanged(Event):
    type: ClassVar[str] = "promise.changed"
    summary: ClassVar[str] = (
        "The date a hold's or an order's backordered units at one level will be ready moved:"
        " their inbound's ETA changed, it was cut and they were tied to other inbound (or"
        " to none), or stock arrived and covers them now. `order_id` or `reservation_id`"
        " names the holder."
    )

    sku: Annotated[str, "The SKU code."]
    location: Annotated[str, "The level's location."]
    previous: Annotated[
        datetime | None, "When the units were to be ready before; null: they had no date."
    ]
    ready_at: Annotated[
        datetime | None,
        "When they will be ready now (the latest ETA of the inbound they are tied to; the"
        " time of the change when all are on hand); null: some have no inbound, no date.",
    ]


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferStatusChanged(Event):
    type: ClassVar[str] = "transfer.status_changed"
    summary: ClassVar[str] = (
        "A transfer's status moved: `in_transit` → `partially_received` → `received`."
    )

    previous: Annotated[str, "The status before."]
    status: Annotated[str, "The status now."]


# -- API keys ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyCreated(Event):
    type: ClassVar[str] = "key.created"
    summary: ClassVar[str] = "An API key was created (its secret is never recorded)."

    key_id: Annotated[str, "The key's public id."]
    name: Annotated[str, "What the key is for."]
    scopes: Annotated[tuple[str, ...], "`read`, `write` and/or `admin`."]


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyRevoked(Event):
    type: ClassVar[str] = "key.revoked"
    summary: ClassVar[str] = "An API key was revoked."

    key_id: Annotated[str, "The key's public id."]


# -- channels ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookCreated(Event):
    type: ClassVar[str] = "webhook.created"
    summary: ClassVar[str] = "A webhook subscription was made (its secret is never recorded)."

    webhook_id: Annotated[str, "The subscription's id."]
    attributes: Annotated[dict[str, Any], "The subscription as `GET /v1/webhooks/{id}` shows it."]


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookChanged(Event):
    type: ClassVar[str] = "webhook.changed"
    summary: ClassVar[str] = "Fields of a webhook subscription changed."

    webhook_id: Annotated[str, "The subscription's id."]
    changes: Annotated[dict[str, dict[str, Any]], 'Each changed field: `{"from": old, "to": new}`.']
    version: Annotated[int, "The subscription's version after the change."]


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookDeleted(Event):
    type: ClassVar[str] = "webhook.deleted"
    summary: ClassVar[str] = "A webhook subscription was deleted, with its delivery log."

    webhook_id: Annotated[str, "The subscription's id."]


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookSecretRotated(Event):
    type: ClassVar[str] = "webhook.secret_rotated"
    summary: ClassVar[str] = "A webhook's signing secret was replaced (neither is recorded)."

    webhook_id: Annotated[str, "The subscription's id."]
    grace_seconds: Annotated[int, "How long the old secret still signs too, in seconds."]


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookReplayed(Event):
    type: ClassVar[str] = "webhook.replayed"
    summary: ClassVar[str] = "Messages of a webhook were queued to be sent again."

    webhook_id: Annotated[str, "The subscription's id."]
    from_seq: Annotated[
        int | None, "Every message from this ledger event on; null: the dead letters."
    ]
    queued: Annotated[int, "How many messages were queued again."]


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelCreated(Event):
    type: ClassVar[str] = "channel.created"
    summary: ClassVar[str] = "A sales channel was created."

    channel: Annotated[str, "The channel id."]
    attributes: Annotated[dict[str, Any], "The channel as `GET /v1/channels/{id}` shows it."]


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelChanged(Event):
    type: ClassVar[str] = "channel.changed"
    summary: ClassVar[str] = "Fields of a sales channel changed."

    channel: Annotated[str, "The channel id."]
    changes: Annotated[dict[str, dict[str, Any]], 'Each changed field: `{"from": old, "to": new}`.']
    version: Annotated[int, "The channel's version after the change."]


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelRebalanced(Event):
    type: ClassVar[str] = "channel.rebalanced"
    summary: ClassVar[str] = (
        "A SKU's percentage pools were split again by the channels' sales velocity (the"
        " rebalancer, or `POST /v1/channels/rebalance`); fixed pools stay as they were."
    )

    sku: Annotated[str, "The SKU code."]
    before: Annotated[
        tuple[dict[str, Any], ...], "The pools before: `{channel, share_pct, units}`."
    ]
    after: Annotated[tuple[dict[str, Any], ...], "The pools after."]
    velocities: Annotated[
        dict[str, int], "Units each channel with a percentage pool sold in the window."
    ]
    window_seconds: Annotated[int, "The window the velocities were measured over."]


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelPoolsSet(Event):
    type: ClassVar[str] = "channel.pools_set"
    summary: ClassVar[str] = (
        "A SKU's channel pools were replaced (`PUT /v1/skus/{sku}/channel-pools`); an empty"
        " list means the channels' default shares apply again."
    )

    sku: Annotated[str, "The SKU code."]
    pools: Annotated[
        tuple[dict[str, Any], ...],
        "Each pool: `{channel, share_pct, units}` (one of the two numbers set).",
    ]


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelRelisted(Event):
    type: ClassVar[str] = "channel.relisted"
    summary: ClassVar[str] = (
        "What a channel was last sent of a SKU had drifted from what stockd computes now"
        ' (docs/channels.md, "Channel drift"), so the figure goes out again: the'
        " channel's webhooks that want `availability.changed` resend it (message id"
        " `msg_<webhook>_<seq>_relisted`), and its feed names the SKU on its next page."
    )

    channel: Annotated[str, "The channel id."]
    sku: Annotated[str, "The SKU code."]
    sent: Annotated[int, "The figure the channel was last sent."]
    figure: Annotated[int, "The figure stockd computed when it found the drift."]
    receivers: Annotated[
        tuple[str, ...], "Where the drifted figure had been sent: `webhook:<id>` or `feed`."
    ]


# -- reconciliation ---------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class DriftFound(Movement):
    type: ClassVar[str] = "reconcile.found"
    summary: ClassVar[str] = (
        "The reconciler found a level changed behind the ledger's back: this records the"
        " change as found (`delta`: the level minus the ledger's replay, `after`: the level"
        " as found) so that the ledger explains it; it moves nothing (the level already had"
        " it). A `reconcile.corrected` event that takes it back follows in the same"
        " transaction. Events written on the level between the change and this event carry"
        " the change in their `after`; `stockd ledger verify` accepts that of the events"
        " before a `reconcile.found` of their level."
    )

    reconciliation_id: Annotated[str, "The reconciliation run (`rec_…`) that found it."]
    check: Annotated[str, "The reconciler's check that found it (`replay`)."]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReconcileCorrected(Movement):
    type: ClassVar[str] = "reconcile.corrected"
    summary: ClassVar[str] = (
        "The reconciler repaired a level: `delta` brings it back to what its check holds"
        " true (the ledger for its quantities, the holds / orders / transfers for"
        " `reserved` / `committed` / `incoming`); `channel` names the channel whose units"
        " it corrects, if any."
    )

    reconciliation_id: Annotated[str, "The reconciliation run (`rec_…`) that repaired it."]
    check: Annotated[str, "The check whose difference it repairs: `replay`, `holds`, `orders`, … ."]


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelCounterCorrected(Event):
    type: ClassVar[str] = "reconcile.counter_corrected"
    summary: ClassVar[str] = (
        "The reconciler set a channel's counter of units outstanding for a SKU back to"
        " the replay of the events that name the channel (it had been changed behind the"
        " ledger's back); `channel` names the channel."
    )

    sku: Annotated[str, "The SKU code."]
    found: Annotated[int, "The units outstanding the counter held."]
    restored: Annotated[int, "The units outstanding it holds now."]
    reconciliation_id: Annotated[str, "The reconciliation run (`rec_…`) that repaired it."]
    check: Annotated[str, "The check whose difference it repairs (`channels`)."]


# -- production capacity ------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CapacityPoolCreated(Event):
    type: ClassVar[str] = "capacity.pool_created"
    summary: ClassVar[str] = "A capacity pool (a workshop's weekly production) was created."

    pool: Annotated[str, "The capacity pool id."]
    attributes: Annotated[dict[str, Any], "The pool as `GET /v1/capacity-pools/{id}` shows it."]


@dataclass(frozen=True, slots=True, kw_only=True)
class CapacitySet(Event):
    type: ClassVar[str] = "capacity.set"
    summary: ClassVar[str] = (
        "A week's capacity of a pool was set (`PUT /v1/capacity-pools/{id}/weeks`), one event"
        " per week whose units changed."
    )

    pool: Annotated[str, "The capacity pool id."]
    week: Annotated[str, "The ISO week (`2027-W03`), on the calendar of the pool's workshop."]
    units: Annotated[int, "The week's capacity now, in units."]
    previous: Annotated[int, "Its capacity before (0 for a week never set)."]


@dataclass(frozen=True, slots=True, kw_only=True)
class Production(Event):
    """Units of a SKU booked in, or given back to, one week of a pool."""

    type: ClassVar[str] = "production"

    pool: Annotated[str, "The capacity pool id."]
    week: Annotated[str, "The ISO week (`2027-W03`) the units are made in."]
    sku: Annotated[str, "The SKU code."]
    quantity: Annotated[int, "Units of the line (always positive; the type says which way)."]
    slot_id: Annotated[str | None, "The slot booking it concerns, if any."] = None

    held: ClassVar[int] = 0
    """What the event adds to the week's `held`, per unit."""
    committed: ClassVar[int] = 0
    """What it adds to the week's `committed`, per unit."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductionBooked(Production):
    type: ClassVar[str] = "production.booked"
    summary: ClassVar[str] = "A slot booking held units of a week (`held` up), one event per line."
    held: ClassVar[int] = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductionExtended(Production):
    type: ClassVar[str] = "production.extended"
    summary: ClassVar[str] = "A slot booking's deadline moved (no capacity changes)."


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductionReleased(Production):
    type: ClassVar[str] = "production.released"
    summary: ClassVar[str] = "The caller released a slot booking (`held` down)."
    held: ClassVar[int] = -1


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductionExpired(Production):
    type: ClassVar[str] = "production.expired"
    summary: ClassVar[str] = "A slot booking passed its deadline (`held` down)."
    held: ClassVar[int] = -1


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductionCommitted(Production):
    type: ClassVar[str] = "production.committed"
    summary: ClassVar[str] = (
        "A slot booking became (part of) an order: `held` down, `committed` up."
    )
    held: ClassVar[int] = -1
    committed: ClassVar[int] = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductionAllocated(Production):
    type: ClassVar[str] = "production.allocated"
    summary: ClassVar[str] = (
        "An order placed with a made-to-order line took units of a week (`committed` up)."
    )
    committed: ClassVar[int] = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductionCancelled(Production):
    type: ClassVar[str] = "production.cancelled"
    summary: ClassVar[str] = "A cancelled order gave its units of a week back (`committed` down)."
    committed: ClassVar[int] = -1


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (
        StockAdjusted,
        StockCounted,
        StockMoved,
        Reserved,
        ReservationExtended,
        ReservationReleased,
        ReservationExpired,
        ReservationCommitted,
        OrderAllocated,
        OrderShipped,
        OrderProduced,
        OrderCancelled,
        OrderReturned,
        TransferSent,
        TransferIncoming,
        TransferReceived,
        InboundCreated,
        InboundReceived,
        InboundCut,
        SaleRecorded,
        SkuCreated,
        SkuChanged,
        SkuArchived,
        LocationCreated,
        LocationChanged,
        LocationArchived,
        OrderPlaced,
        OrderStatusChanged,
        TransferCreated,
        TransferStatusChanged,
        PurchaseOrderCreated,
        InboundEtaChanged,
        PurchaseOrderStatusChanged,
        PromiseChanged,
        KeyCreated,
        KeyRevoked,
        ChannelCreated,
        ChannelChanged,
        ChannelPoolsSet,
        ChannelRebalanced,
        ChannelRelisted,
        WebhookCreated,
        WebhookChanged,
        WebhookDeleted,
        WebhookSecretRotated,
        WebhookReplayed,
        DriftFound,
        ReconcileCorrected,
        ChannelCounterCorrected,
        CapacityPoolCreated,
        CapacitySet,
        ProductionBooked,
        ProductionExtended,
        ProductionReleased,
        ProductionExpired,
        ProductionCommitted,
        ProductionAllocated,
        ProductionCancelled,
    )
}
"""Every event type, by name."""

FAMILIES: frozenset[str] = frozenset(t.split(".", 1)[0] for t in EVENT_TYPES)
"""The prefixes before the dot (`stock`, `reservation`, `order`, …)."""


def split_types(
    names: Iterable[str], known: Collection[str] = EVENT_TYPES
) -> tuple[frozenset[str], frozenset[str], list[str]]:
    """Type names as a filter gives them: exact types of `known`, families
    (`order.*`: every type before that dot), and the names that are
    neither, in the order given."""
    families = {t.split(".", 1)[0] for t in known}
    types, whole, unknown = set(), set(), []
    for name in names:
        if name in known:
            types.add(name)
        elif name.endswith(".*") and name[:-2] in families:
            whole.add(name[:-2])
        else:
            unknown.append(name)
    return frozenset(types), frozenset(whole), unknown


BASE_FIELDS: frozenset[str] = frozenset(f.name for f in fields(Event))
MOVEMENT_FIELDS: frozenset[str] = frozenset(f.name for f in fields(Movement)) - BASE_FIELDS


def details(event: Event) -> dict[str, Any]:
    """The fields an event type adds to the base (for a movement: only those
    its type adds to `Movement`, when set — its key, delta and after have
    places of their own)."""
    names = _own_fields(type(event))
    if isinstance(event, Movement):
        return {name: value for name in names if (value := getattr(event, name)) is not None}
    return {name: getattr(event, name) for name in names}


_OWN_FIELDS: dict[type[Event], tuple[str, ...]] = {}


def _own_fields(cls: type[Event]) -> tuple[str, ...]:
    """The fields `details` renders, per type, worked out once (it is asked
    for every event the ledger writes: most movements, holds among them,
    have none)."""
    found = _OWN_FIELDS.get(cls)
    if found is None:
        placed = MOVEMENT_FIELDS if issubclass(cls, Movement) else frozenset({"sku", "location"})
        found = _OWN_FIELDS[cls] = tuple(
            f.name for f in fields(cls) if f.name not in BASE_FIELDS and f.name not in placed
        )
    return found


def sku_of(event: Event) -> str | None:
    """The SKU an event is about, if any."""
    if isinstance(event, Movement):
        return event.key.sku
    found: str | None = getattr(event, "sku", None)
    return found


def document(seq: int, event: Event) -> dict[str, Any]:
    """The event as `GET /v1/events` shows it, and webhooks carry it."""
    movement = event if isinstance(event, Movement) else None
    return {
        "seq": seq,
        "type": event.type,
        "sku": sku_of(event),
        "location": location_of(event),
        "delta": ({k: v for k, v in movement.delta.as_dict().items() if v} if movement else None),
        "after": (
            movement.after.as_dict() | {"available": movement.after.available} if movement else None
        ),
        "data": (details(event) or None) if movement else details(event),
        "reason": event.reason,
        "reference": event.reference,
        "reservation_id": event.reservation_id,
        "order_id": event.order_id,
        "transfer_id": event.transfer_id,
        "channel": event.channel,
        "actor": event.actor,
        "idempotency_key": event.idempotency_key,
        "at": event.at,
    }


def location_of(event: Event) -> str | None:
    """The location an event is about, if any."""
    if isinstance(event, Movement):
        return event.key.location
    found: str | None = getattr(event, "location", None)
    return found


@dataclass(frozen=True, slots=True)
class FieldDoc:
    name: str
    type: Any
    """The field's type (without its documentation)."""
    doc: str


_DOCUMENTED: dict[type[Event], tuple[FieldDoc, ...]] = {}


def documented_fields(cls: type[Event]) -> tuple[FieldDoc, ...]:
    """Every field of an event type with its type and documentation."""
    known = _DOCUMENTED.get(cls)
    if known is not None:
        return known
    hints = get_type_hints(cls, include_extras=True)
    out = []
    for f in fields(cls):
        hint = hints[f.name]
        if get_origin(hint) is not Annotated:
            raise TypeError(f"{cls.__name__}.{f.name} is not documented")
        inner, text = get_args(hint)[:2]
        out.append(FieldDoc(f.name, inner, text))
    _DOCUMENTED[cls] = tuple(out)
    return _DOCUMENTED[cls]
