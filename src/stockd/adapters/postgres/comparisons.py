"""The comparisons `stockd ledger verify` and the reconciler share: one SQL
text per rule, rendered for a scope of SKUs.

A `Scope` says which SKUs a statement looks at: every one (`EVERYWHERE`,
for `ledger verify`, which runs each rule once over the whole store), or a
chunk of them (the reconciler walks the SKUs in chunks, with the bounds as
parameters). The scope's condition is put on every table a statement reads,
inside its CTEs, so that a chunk's statement reads the chunk's rows through
the tables' indexes by SKU (`levels` primary key, `ledger_events_by_sku`,
`reservation_lines_by_sku`, `order_lines_by_sku`, `transfer_lines_by_sku`,
`channel_stock` primary key) rather than the whole ledger.

Each statement returns only the rows that differ, in SKU order; each rule
also says what such a row means (`Rule.finding`), in the words both
`ledger verify` and the reconciler's reports use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from stockd.adapters.postgres.rows import COUNTERS, Row
from stockd.domain.channels import BYPASS
from stockd.domain.events import InboundCreated, InboundCut, InboundReceived
from stockd.domain.reconciliation import Finding

MOVEMENTS = "on_hand IS NOT NULL"
"""Only level movements carry quantities; other events have none."""


@dataclass(frozen=True, slots=True)
class Scope:
    """Which SKUs a comparison covers: `on(column)` is the SQL condition
    that `column` (a SKU) is in scope."""

    on: Callable[[str], str]


EVERYWHERE = Scope(lambda column: "TRUE")
SKU_RANGE = Scope(lambda column: f"{column} > $1 AND {column} <= $2")
"""The SKUs after `$1` up to `$2` (a chunk of the reconciler's walk)."""
SKU_LIST = Scope(lambda column: f"{column} = ANY($1::text[])")
"""The SKUs of `$1` (the reconciler with `--sku`)."""

_SUMS = ", ".join(f"sum(d_{c})::bigint AS {c}" for c in COUNTERS)
_LEVEL = ", ".join(f"l.{c}" for c in COUNTERS)
_REPLAYED = ", ".join(f"coalesce(r.{c}, 0)" for c in COUNTERS)


def replay(s: Scope) -> str:
    """Levels whose quantities differ from the sum of their movements'
    deltas (or movements of a level that does not exist). Columns: sku,
    location, level (array in COUNTERS order, NULLs for no level), replayed."""
    return f"""
WITH replay AS (
    SELECT sku, location, {_SUMS} FROM ledger_events
    WHERE {MOVEMENTS} AND {s.on("sku")} GROUP BY sku, location
)
SELECT coalesce(l.sku, r.sku) AS sku, coalesce(l.location, r.location) AS location,
       ARRAY[{_LEVEL}] AS level, ARRAY[{_REPLAYED}] AS replayed
FROM (SELECT * FROM levels WHERE {s.on("sku")}) l
FULL JOIN replay r ON r.sku = l.sku AND r.location = l.location
WHERE l.sku IS NULL OR ROW({_LEVEL}) IS DISTINCT FROM ROW({_REPLAYED})
ORDER BY 1, 2
"""


def holds(s: Scope) -> str:
    """Levels whose `reserved` differs from the units of their active holds.
    Columns: sku, location, reserved, held."""
    return f"""
WITH held AS (
    SELECT rl.sku, rl.location, sum(rl.quantity)::bigint AS quantity
    FROM reservations r JOIN reservation_lines rl ON rl.reservation_id = r.id
    WHERE r.status = 'active' AND {s.on("rl.sku")} GROUP BY rl.sku, rl.location
)
SELECT coalesce(l.sku, h.sku) AS sku, coalesce(l.location, h.location) AS location,
       coalesce(l.reserved, 0) AS reserved, coalesce(h.quantity, 0) AS held
FROM (SELECT * FROM levels WHERE {s.on("sku")}) l
FULL JOIN held h ON h.sku = l.sku AND h.location = l.location
WHERE coalesce(l.reserved, 0) <> coalesce(h.quantity, 0)
ORDER BY 1, 2
"""


def orders(s: Scope) -> str:
    """Levels whose `committed` differs from the units their orders still
    have to ship. Columns: sku, location, committed, owed."""
    return f"""
WITH owed AS (
    SELECT sku, location, sum(committed)::bigint AS quantity
    FROM order_lines WHERE {s.on("sku")} GROUP BY sku, location
)
SELECT coalesce(l.sku, o.sku) AS sku, coalesce(l.location, o.location) AS location,
       coalesce(l.committed, 0) AS committed, coalesce(o.quantity, 0) AS owed
FROM (SELECT * FROM levels WHERE {s.on("sku")}) l
FULL JOIN owed o ON o.sku = l.sku AND o.location = l.location
WHERE coalesce(l.committed, 0) <> coalesce(o.quantity, 0)
ORDER BY 1, 2
"""


def transfers(s: Scope) -> str:
    """Transfer lines whose units in transit differ from the `incoming` their
    movements put at the destination and took out again. Columns:
    transfer_id, sku, destination, recorded, logged."""
    return f"""
WITH recorded AS (
    SELECT l.transfer_id, l.sku, (l.quantity - l.received)::bigint AS in_transit
    FROM transfer_lines l WHERE {s.on("l.sku")}
), logged AS (
    SELECT e.transfer_id, e.sku, sum(e.d_incoming)::bigint AS in_transit
    FROM ledger_events e JOIN transfers t ON t.id = e.transfer_id
    WHERE e.transfer_id IS NOT NULL AND e.{MOVEMENTS} AND e.location = t.destination
      AND {s.on("e.sku")}
    GROUP BY 1, 2
)
SELECT coalesce(r.transfer_id, g.transfer_id) AS transfer_id, coalesce(r.sku, g.sku) AS sku,
       t.destination, coalesce(r.in_transit, 0) AS recorded, coalesce(g.in_transit, 0) AS logged
FROM recorded r FULL JOIN logged g ON g.transfer_id = r.transfer_id AND g.sku = r.sku
JOIN transfers t ON t.id = coalesce(r.transfer_id, g.transfer_id)
WHERE coalesce(r.in_transit, 0) <> coalesce(g.in_transit, 0)
ORDER BY 1, 2
"""


def purchase_orders(s: Scope) -> str:
    """Purchase order lines whose open units differ from the `incoming` their
    movements (`inbound.*`, which name the order in `data`) put at the
    order's location and took out again. Columns: purchase_order_id, sku,
    location, recorded, logged."""
    return f"""
WITH recorded AS (
    SELECT l.purchase_order_id, l.sku, (l.quantity - l.received - l.cut)::bigint AS open
    FROM purchase_order_lines l WHERE {s.on("l.sku")}
), logged AS (
    SELECT e.data->>'purchase_order_id' AS purchase_order_id, e.sku,
           sum(e.d_incoming)::bigint AS open
    FROM ledger_events e
    WHERE e.type IN ('{InboundCreated.type}', '{InboundReceived.type}', '{InboundCut.type}')
      AND {s.on("e.sku")}
    GROUP BY 1, 2
)
SELECT coalesce(r.purchase_order_id, g.purchase_order_id) AS purchase_order_id,
       coalesce(r.sku, g.sku) AS sku, p.location,
       coalesce(r.open, 0) AS recorded, coalesce(g.open, 0) AS logged
FROM recorded r FULL JOIN logged g ON g.purchase_order_id = r.purchase_order_id AND g.sku = r.sku
LEFT JOIN purchase_orders p ON p.id = coalesce(r.purchase_order_id, g.purchase_order_id)
WHERE coalesce(r.open, 0) <> coalesce(g.open, 0)
ORDER BY 1, 2
"""


def incoming(s: Scope) -> str:
    """Levels whose `incoming` is below the inbound units owed to them: in
    transit on open transfers, open on purchase orders (it may hold more:
    expected stock adjusted in by hand). Columns: sku, location, incoming,
    in_transit."""
    return f"""
WITH owed AS (
    SELECT sku, location, sum(units)::bigint AS in_transit FROM (
        SELECT l.sku, t.destination AS location, l.quantity - l.received AS units
        FROM transfers t JOIN transfer_lines l ON l.transfer_id = t.id
        WHERE t.status <> 'received' AND {s.on("l.sku")}
        UNION ALL
        SELECT l.sku, p.location, l.quantity - l.received - l.cut
        FROM purchase_orders p JOIN purchase_order_lines l ON l.purchase_order_id = p.id
        WHERE p.status IN ('open', 'partially_received') AND {s.on("l.sku")}
    ) u
    GROUP BY 1, 2
)
SELECT o.sku, o.location, coalesce(v.incoming, 0) AS incoming, o.in_transit
FROM owed o LEFT JOIN levels v ON v.sku = o.sku AND v.location = o.location
WHERE coalesce(v.incoming, 0) < o.in_transit
ORDER BY 1, 2
"""


def channels(s: Scope) -> str:
    """Channels whose units outstanding of a SKU (`channel_stock`) differ
    from the replay of the events that name the channel (their held and
    committed deltas) or from the units of its active holds and open orders.
    Columns: sku, channel, counted, replayed, live."""
    return f"""
WITH replay AS (
    SELECT sku, channel, sum(d_reserved + d_committed)::bigint AS units
    FROM ledger_events
    WHERE {MOVEMENTS} AND channel IS NOT NULL AND channel <> '{BYPASS}' AND {s.on("sku")}
    GROUP BY sku, channel
), live AS (
    SELECT sku, channel, sum(units)::bigint AS units FROM (
        SELECT rl.sku, r.channel, rl.quantity AS units
        FROM reservations r JOIN reservation_lines rl ON rl.reservation_id = r.id
        WHERE r.status = 'active' AND r.channel IS NOT NULL AND r.channel <> '{BYPASS}'
          AND {s.on("rl.sku")}
        UNION ALL
        SELECT ol.sku, o.channel, ol.committed
        FROM orders o JOIN order_lines ol ON ol.order_id = o.id
        WHERE o.channel IS NOT NULL AND o.channel <> '{BYPASS}' AND {s.on("ol.sku")}
    ) u GROUP BY sku, channel
), counted AS (
    SELECT sku, channel, outstanding FROM channel_stock WHERE {s.on("sku")}
), keys AS (
    SELECT sku, channel FROM counted UNION SELECT sku, channel FROM replay
    UNION SELECT sku, channel FROM live
)
SELECT k.sku, k.channel, coalesce(c.outstanding, 0) AS counted,
       coalesce(r.units, 0) AS replayed, coalesce(l.units, 0) AS live
FROM keys k
LEFT JOIN counted c USING (sku, channel)
LEFT JOIN replay r USING (sku, channel)
LEFT JOIN live l USING (sku, channel)
WHERE coalesce(c.outstanding, 0) <> coalesce(r.units, 0)
   OR coalesce(c.outstanding, 0) <> coalesce(l.units, 0)
ORDER BY 1, 2
"""


@dataclass(frozen=True, slots=True)
class Rule:
    """A comparison: its SQL for a scope, and the finding each row it
    returns is (without the ledger events involved, which only the
    reconciler looks up)."""

    name: str
    sql: Callable[[Scope], str]
    finding: Callable[[Row], Finding]


def _at_level(check: str, r: Row, state: str, expected: int, actual: int, detail: str) -> Finding:
    return Finding(
        check=check,
        sku=r["sku"],
        location=r["location"],
        channel=None,
        subject=f"{r['sku']}@{r['location']}",
        expected={state: expected},
        actual={state: actual},
        detail=detail,
    )


def _replay_finding(r: Row) -> Finding:
    missing = r["level"][0] is None
    level = [0 if v is None else v for v in r["level"]]
    differ = [(c, a, b) for c, a, b in zip(COUNTERS, level, r["replayed"], strict=True) if a != b]
    detail = "; ".join(f"{c}: level {a}, ledger {b}" for c, a, b in differ)
    if missing:
        detail = f"the level does not exist, but its events replay to {detail}"
    return Finding(
        check="replay",
        sku=r["sku"],
        location=r["location"],
        channel=None,
        subject=f"{r['sku']}@{r['location']}",
        expected={c: b for c, _, b in differ},
        actual={c: a for c, a, _ in differ},
        detail=f"changed behind the ledger's back: {detail}",
    )


def _transfers_finding(r: Row) -> Finding:
    return Finding(
        check="transfers",
        sku=r["sku"],
        location=r["destination"],
        channel=None,
        subject=f"transfer {r['transfer_id']}: {r['sku']}@{r['destination']}",
        expected={"incoming": r["recorded"]},
        actual={"incoming": r["logged"]},
        detail=f"{r['recorded']} in transit, but its events leave {r['logged']} incoming"
        f" at {r['destination']}",
        transfer_id=r["transfer_id"],
    )


def _channels_finding(r: Row) -> Finding:
    return Finding(
        check="channels",
        sku=r["sku"],
        location=None,
        channel=r["channel"],
        subject=f"{r['sku']} through {r['channel']}",
        expected={"outstanding": r["live"]},
        actual={"outstanding": r["counted"]},
        detail=f"{r['counted']} outstanding counted, {r['replayed']} by its events,"
        f" {r['live']} in its active holds and open orders",
    )


REPLAY = Rule("replay", replay, _replay_finding)
HOLDS = Rule(
    "holds",
    holds,
    lambda r: _at_level(
        "holds",
        r,
        "reserved",
        r["held"],
        r["reserved"],
        f"reserved {r['reserved']} but active holds total {r['held']}",
    ),
)
ORDERS = Rule(
    "orders",
    orders,
    lambda r: _at_level(
        "orders",
        r,
        "committed",
        r["owed"],
        r["committed"],
        f"committed {r['committed']} but open orders still owe {r['owed']}",
    ),
)
TRANSFERS = Rule("transfers", transfers, _transfers_finding)
INCOMING = Rule(
    "incoming",
    incoming,
    lambda r: _at_level(
        "incoming",
        r,
        "incoming",
        r["in_transit"],
        r["incoming"],
        f"incoming {r['incoming']} but open transfers and purchase orders owe it {r['in_transit']}",
    ),
)
PURCHASE_ORDERS = Rule(
    "purchase_orders",
    purchase_orders,
    lambda r: Finding(
        check="purchase_orders",
        sku=r["sku"],
        location=r["location"],
        channel=None,
        subject=f"purchase order {r['purchase_order_id']}: {r['sku']}@{r['location']}",
        expected={"incoming": r["recorded"]},
        actual={"incoming": r["logged"]},
        detail=f"{r['recorded']} open, but its events leave {r['logged']} incoming",
    ),
)
CHANNELS = Rule("channels", channels, _channels_finding)
