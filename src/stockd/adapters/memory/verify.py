"""`stockd ledger verify` over the in-memory store: the same checks as the
PostgreSQL one (`stockd.adapters.postgres.verify`), in Python."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from stockd.adapters.memory.state import MemoryData
from stockd.domain.channels import BYPASS, outstanding_changes
from stockd.domain.events import (
    CapacitySet,
    DriftFound,
    InboundCreated,
    InboundCut,
    InboundReceived,
    Movement,
    OrderProduced,
    OrderReturned,
    OrderShipped,
    Production,
    Reserved,
)
from stockd.domain.promises import HolderKind, SupplyKind
from stockd.domain.quantities import LevelKey, Quantities
from stockd.domain.reservations import ReservationStatus
from stockd.domain.transfers import TransferStatus
from stockd.service.queries import Discrepancy, VerifyReport

Counts = Mapping[tuple[str, ...], int]


def verify(s: MemoryData) -> VerifyReport:
    found: list[Discrepancy] = []
    movements = [(seq, e) for seq, e in enumerate(s.events, start=1) if isinstance(e, Movement)]
    replay: dict[LevelKey, Quantities] = defaultdict(Quantities)
    last_found = {m.key: seq for seq, m in movements if isinstance(m, DriftFound)}
    for seq, m in movements:
        replay[m.key] = replay[m.key] + m.delta
        if replay[m.key] != m.after and last_found.get(m.key, 0) <= seq:
            found.append(Discrepancy("chain", str(m.key), f"event {seq}: after differs"))
    for key in sorted(set(replay) | set(s.levels)):
        level = s.levels.get(key)
        if level is None or level.quantities != replay.get(key, Quantities()):
            found.append(Discrepancy("replay", str(key), "level differs from replay"))

    def level_of(key: LevelKey) -> Quantities:
        level = s.levels.get(key)
        return level.quantities if level else Quantities()

    held: dict[LevelKey, int] = defaultdict(int)
    for r in s.reservations.values():
        if r.status is ReservationStatus.ACTIVE:
            for line in r.lines:
                held[LevelKey(line.sku, line.location)] += line.quantity
    for key in sorted(set(held) | set(s.levels)):
        if level_of(key).reserved != held.get(key, 0):
            found.append(Discrepancy("holds", str(key), "reserved differs from holds"))
    owed: dict[LevelKey, int] = defaultdict(int)
    for order in s.orders.values():
        for ol in order.lines:
            owed[LevelKey(ol.sku, ol.location)] += ol.committed
    for key in sorted(set(owed) | set(s.levels)):
        if level_of(key).committed != owed.get(key, 0):
            found.append(Discrepancy("orders", str(key), "committed differs from orders"))

    found += _differ(
        "reservations",
        {(r.id, x.sku, x.location): x.quantity for r in s.reservations.values() for x in r.lines},
        _sums(
            ((m.reservation_id or "", *m.key), m.delta.reserved)
            for _, m in movements
            if isinstance(m, Reserved)
        ),
        lambda k: f"{k[0]}: {k[1]}@{k[2]}",
    )
    found += _differ(
        "shipments",
        {(o.id, x.sku, x.location): x.shipped for o in s.orders.values() for x in o.lines},
        _sums(
            ((m.order_id or "", *m.key), -m.delta.on_hand)
            for _, m in movements
            if isinstance(m, OrderShipped)
        ),
        lambda k: f"order {k[0]}: {k[1]}@{k[2]}",
    )
    found += _differ(
        "produced",
        _sums(
            ((x.order_id, x.line.pool, str(x.line.week), x.line.sku), x.produced)
            for x in s.capacity.lines
            if x.order_id is not None
        ),
        _sums(
            ((m.order_id or "", m.pool, m.week, m.key.sku), m.delta.on_hand)
            for _, m in movements
            if isinstance(m, OrderProduced)
        ),
        lambda k: f"order {k[0]}: {k[3]} in pool {k[1]} {k[2]}",
    )
    found += _differ(
        "returns",
        _sums(((o.id, x.sku), x.returned) for o in s.orders.values() for x in o.lines),
        _sums(
            ((m.order_id or "", m.key.sku), m.delta.on_hand)
            for _, m in movements
            if isinstance(m, OrderReturned)
        ),
        lambda k: f"order {k[0]}: {k[1]}",
    )
    destination = {t.id: t.destination for t in s.transfers.values()}
    found += _differ(
        "transfers",
        {(t.id, x.sku): x.in_transit for t in s.transfers.values() for x in t.lines},
        _sums(
            ((m.transfer_id, m.key.sku), m.delta.incoming)
            for _, m in movements
            if m.transfer_id is not None and destination.get(m.transfer_id) == m.key.location
        ),
        lambda k: f"transfer {k[0]}: {k[1]}@{destination[k[0]]}",
    )
    location = {po.id: po.location for po in s.purchase_orders.values()}
    found += _differ(
        "purchase_orders",
        {(po.id, x.sku): x.open for po in s.purchase_orders.values() for x in po.lines},
        _sums(
            ((m.purchase_order_id, m.key.sku), m.delta.incoming)
            for _, m in movements
            if isinstance(m, InboundCreated | InboundReceived | InboundCut)
        ),
        lambda k: f"purchase order {k[0]}: {k[1]}@{location.get(k[0])}",
    )
    in_transit: dict[LevelKey, int] = defaultdict(int)
    for t in s.transfers.values():
        if t.status is not TransferStatus.RECEIVED:
            for tl in t.lines:
                in_transit[LevelKey(tl.sku, t.destination)] += tl.in_transit
    for po in s.purchase_orders.values():
        for pl in po.lines:
            in_transit[LevelKey(pl.sku, po.location)] += pl.open
    for key, units in sorted(in_transit.items()):
        if level_of(key).incoming < units:
            found.append(
                Discrepancy("incoming", str(key), "incoming below the inbound units owed to it")
            )
    tied: dict[tuple[str, ...], int] = defaultdict(int)
    for tie in s.ties.values():
        if tie.supply_id is not None and tie.supply is not SupplyKind.PREORDER:
            tied[(tie.supply.value, tie.supply_id, tie.key.sku)] += tie.quantity
    found += _differ(
        "promises",
        {(sku,): n for sku, n in s.preordered.items() if n},
        _sums(
            ((t.key.sku,), t.quantity) for t in s.ties.values() if t.supply is SupplyKind.PREORDER
        ),
        lambda k: f"preorder:{k[0]}",
    )
    found += _differ(
        "promises",
        {k: n for k, n in s.preordered_through.items() if n},
        _sums(
            ((t.key.sku, t.channel), t.quantity)
            for t in s.ties.values()
            if t.supply is SupplyKind.PREORDER
            and t.channel is not None
            and (t.key.sku, t.channel) in s.preordered_through
        ),
        lambda k: f"preorder:{k[0]} through {k[1]}",
    )
    found += _differ(
        "promises",
        {(k.value, i, sku): n for (k, i, sku), n in s.promised.items() if n},
        tied,
        lambda k: f"{k[0]}:{k[1]}: {k[2]}",
    )
    held_ties: dict[tuple[HolderKind, str, LevelKey], int] = defaultdict(int)
    for tie in s.ties.values():
        held_ties[(tie.holder.kind, tie.holder.id, tie.key)] += tie.quantity
    for (kind, holder_id, key), units in sorted(held_ties.items()):
        if kind is HolderKind.RESERVATION:
            hold = s.reservations.get(holder_id)
            if hold is None or hold.status is not ReservationStatus.ACTIVE:
                found.append(Discrepancy("promises", f"reservation {holder_id}: {key}", "stale"))
        else:
            owner = s.orders.get(holder_id)
            left = owner.line(key.sku, key.location) if owner else None
            if units > (left.committed if left else 0):
                found.append(Discrepancy("promises", f"order {holder_id}: {key}", "over-tied"))
    replayed = outstanding_changes(s.events)
    live: dict[tuple[str, str], int] = defaultdict(int)
    for r in s.reservations.values():
        if r.status is ReservationStatus.ACTIVE and r.channel not in (None, BYPASS):
            for x in r.lines:
                live[(x.sku, str(r.channel))] += x.quantity
    for o in s.orders.values():
        if o.channel not in (None, BYPASS):
            for ol in o.lines:
                live[(ol.sku, str(o.channel))] += ol.committed
    for sku, channel in sorted(s.outstanding.keys() | replayed.keys() | live.keys()):
        counted = s.outstanding.get((sku, channel), 0)
        if counted != replayed.get((sku, channel), 0) or counted != live.get((sku, channel), 0):
            found.append(Discrepancy("channels", f"{sku} through {channel}", "counter differs"))
    found += _capacity(s)
    return VerifyReport(len(s.events), len(s.levels), tuple(found))


def _capacity(s: MemoryData) -> list[Discrepancy]:
    """The `capacity` and `capacity_bookings` checks."""
    weeks = {(p, str(w)): c for (p, w), c in s.capacity.weeks.items()}
    logged: dict[tuple[str, str], tuple[int, int, int]] = {}
    for e in s.events:
        if isinstance(e, CapacitySet | Production):
            units, held, committed = logged.get((e.pool, e.week), (0, 0, 0))
            if isinstance(e, CapacitySet):
                units = e.units
            else:
                held += type(e).held * e.quantity
                committed += type(e).committed * e.quantity
            logged[(e.pool, e.week)] = (units, held, committed)
    found = []
    for key in sorted(weeks.keys() | logged.keys()):
        c = weeks.get(key)
        recorded = (c.units, c.held, c.committed) if c else (0, 0, 0)
        if recorded != logged.get(key, (0, 0, 0)):
            found.append(
                Discrepancy(
                    "capacity",
                    f"pool {key[0]} {key[1]}",
                    f"units/held/committed {recorded}, the ledger says {logged.get(key)}",
                )
            )
    booked: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for x in s.capacity.lines:
        key = (x.line.pool, str(x.line.week))
        slot = s.capacity.slots.get(x.slot_id) if x.slot_id else None
        if slot is not None and slot.status is ReservationStatus.ACTIVE:
            booked[key][0] += x.line.quantity
        if x.order_id is not None:
            booked[key][1] += x.produced if x.cancelled else x.line.quantity
    for key, c in sorted(weeks.items()):
        if [c.held, c.committed] != booked.get(key, [0, 0]):
            found.append(
                Discrepancy(
                    "capacity_bookings", f"pool {key[0]} {key[1]}", "differs from its bookings"
                )
            )
    return found


def _sums(items: Iterable[tuple[tuple[str, ...], int]]) -> dict[tuple[str, ...], int]:
    out: dict[tuple[str, ...], int] = defaultdict(int)
    for key, n in items:
        out[key] += n
    return out


def _differ(check: str, recorded: Counts, logged: Counts, subject: object) -> list[Discrepancy]:
    """Where what stockd recorded and what the ledger says differ."""
    name = subject if callable(subject) else str
    return [
        Discrepancy(
            check, name(k), f"{recorded.get(k, 0)} recorded, ledger says {logged.get(k, 0)}"
        )
        for k in sorted(recorded.keys() | logged.keys())
        if recorded.get(k, 0) != logged.get(k, 0)
    ]
