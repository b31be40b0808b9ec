"""The reconciler's checks: one `Check` per rule, in the order they run and
repair.

A check has one shape (`Check`): a `name`, a `find` that returns the
differences among a chunk's SKUs, and a `repair` (or None for a check that
only reports). `find` runs inside the chunk's repeatable-read snapshot, with
the comparison SQL shared with `stockd ledger verify` (`comparisons`); a
repair runs later, in a transaction of its own per level, and checks the
difference again under the row lock before it writes anything.

Another check plugs in as one more `Check` in `CHECKS`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from asyncpg.pool import PoolConnectionProxy

from stockd.adapters.postgres import comparisons
from stockd.adapters.postgres.comparisons import MOVEMENTS, Scope
from stockd.adapters.postgres.reconcile import repairs
from stockd.adapters.postgres.rows import COUNTERS
from stockd.domain.reconciliation import MAX_SEQS, Finding

Connection = PoolConnectionProxy
Find = Callable[[Connection, Scope, Sequence[Any]], Awaitable[list[Finding]]]
"""The differences among the SKUs of a scope (its parameters given)."""


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    find: Find
    repair: repairs.Repair | None
    """Repairs one of its findings; None: the check only reports."""


async def skus_in(conn: Connection, scope: Scope, args: Sequence[Any]) -> list[str]:
    """The SKUs of a chunk, in order: for a check that asks a service about
    SKUs rather than comparing in SQL (channel drift)."""
    rows = await conn.fetch(f"SELECT sku FROM skus WHERE {scope.on('sku')} ORDER BY sku", *args)
    return [r["sku"] for r in rows]


async def latest_seqs(conn: Connection, sku: str, where: str = "TRUE", *args: Any) -> list[int]:
    """The latest (at most MAX_SEQS) events of `sku` that match `where`
    (parameters from $2), oldest first."""
    found = await conn.fetch(
        f"""SELECT seq FROM ledger_events
            WHERE sku = $1 AND seq IS NOT NULL AND {where}
            ORDER BY seq DESC LIMIT {MAX_SEQS}""",
        sku,
        *args,
    )
    return sorted(r["seq"] for r in found)


async def _at_level(conn: Connection, sku: str, location: str, where: str = "TRUE") -> list[int]:
    return await latest_seqs(conn, sku, f"location = $2 AND {where}", location)


async def find_replay(conn: Connection, scope: Scope, args: Sequence[Any]) -> list[Finding]:
    out = []
    for r in await conn.fetch(comparisons.replay(scope), *args):
        missing = r["level"][0] is None
        level = [0 if v is None else v for v in r["level"]]
        differ = [
            (c, a, b) for c, a, b in zip(COUNTERS, level, r["replayed"], strict=True) if a != b
        ]
        detail = "; ".join(f"{c}: level {a}, ledger {b}" for c, a, b in differ)
        if missing:
            detail = f"the level does not exist, but its events replay to {detail}"
        out.append(
            Finding(
                check="replay",
                sku=r["sku"],
                location=r["location"],
                channel=None,
                subject=f"{r['sku']}@{r['location']}",
                expected={c: b for c, _, b in differ},
                actual={c: a for c, a, _ in differ},
                detail=f"changed behind the ledger's back: {detail}",
                seqs=tuple(await _at_level(conn, r["sku"], r["location"], MOVEMENTS)),
            )
        )
    return out


async def find_holds(conn: Connection, scope: Scope, args: Sequence[Any]) -> list[Finding]:
    return [
        Finding(
            check="holds",
            sku=r["sku"],
            location=r["location"],
            channel=None,
            subject=f"{r['sku']}@{r['location']}",
            expected={"reserved": r["held"]},
            actual={"reserved": r["reserved"]},
            detail=f"reserved {r['reserved']} but active holds total {r['held']}",
            seqs=tuple(await _at_level(conn, r["sku"], r["location"], "d_reserved <> 0")),
        )
        for r in await conn.fetch(comparisons.holds(scope), *args)
    ]


async def find_orders(conn: Connection, scope: Scope, args: Sequence[Any]) -> list[Finding]:
    return [
        Finding(
            check="orders",
            sku=r["sku"],
            location=r["location"],
            channel=None,
            subject=f"{r['sku']}@{r['location']}",
            expected={"committed": r["owed"]},
            actual={"committed": r["committed"]},
            detail=f"committed {r['committed']} but open orders still owe {r['owed']}",
            seqs=tuple(await _at_level(conn, r["sku"], r["location"], "d_committed <> 0")),
        )
        for r in await conn.fetch(comparisons.orders(scope), *args)
    ]


async def find_transfers(conn: Connection, scope: Scope, args: Sequence[Any]) -> list[Finding]:
    return [
        Finding(
            check="transfers",
            sku=r["sku"],
            location=r["destination"],
            channel=None,
            subject=f"transfer {r['transfer_id']}: {r['sku']}@{r['destination']}",
            expected={"incoming": r["recorded"]},
            actual={"incoming": r["logged"]},
            detail=f"{r['recorded']} in transit, but its events leave {r['logged']} incoming"
            f" at {r['destination']}",
            seqs=tuple(await latest_seqs(conn, r["sku"], "transfer_id = $2", r["transfer_id"])),
            transfer_id=r["transfer_id"],
        )
        for r in await conn.fetch(comparisons.transfers(scope), *args)
    ]


async def find_incoming(conn: Connection, scope: Scope, args: Sequence[Any]) -> list[Finding]:
    return [
        Finding(
            check="incoming",
            sku=r["sku"],
            location=r["location"],
            channel=None,
            subject=f"{r['sku']}@{r['location']}",
            expected={"incoming": r["in_transit"]},
            actual={"incoming": r["incoming"]},
            detail=f"incoming {r['incoming']} but open transfers have {r['in_transit']}"
            " in transit to it",
            seqs=tuple(await _at_level(conn, r["sku"], r["location"], "d_incoming <> 0")),
        )
        for r in await conn.fetch(comparisons.incoming(scope), *args)
    ]


async def find_channels(conn: Connection, scope: Scope, args: Sequence[Any]) -> list[Finding]:
    return [
        Finding(
            check="channels",
            sku=r["sku"],
            location=None,
            channel=r["channel"],
            subject=f"{r['sku']} through {r['channel']}",
            expected={"outstanding": r["live"]},
            actual={"outstanding": r["counted"]},
            detail=f"{r['counted']} outstanding counted, {r['replayed']} by its events,"
            f" {r['live']} in its active holds and open orders",
            seqs=tuple(
                await latest_seqs(
                    conn, r["sku"], "channel = $2 AND d_reserved + d_committed <> 0", r["channel"]
                )
            ),
        )
        for r in await conn.fetch(comparisons.channels(scope), *args)
    ]


CHECKS: tuple[Check, ...] = (
    Check("replay", find_replay, repairs.replay),
    Check("holds", find_holds, repairs.attribution),
    Check("orders", find_orders, repairs.attribution),
    Check("transfers", find_transfers, repairs.transfer),
    Check("incoming", find_incoming, repairs.incoming),
    Check("channels", find_channels, repairs.channel),
)
"""Every check, in the order a run looks and repairs: a level's quantities
are put back in step with the ledger (`replay`) before anything is
compared with the holds, orders and transfers on top of them."""
