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
from dataclasses import dataclass, replace
from typing import Any

from asyncpg.pool import PoolConnectionProxy

from stockd.adapters.postgres import comparisons
from stockd.adapters.postgres.comparisons import MOVEMENTS, Scope
from stockd.adapters.postgres.reconcile import repairs
from stockd.adapters.postgres.rows import Row
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


Involved = Callable[[Connection, Row], Awaitable[list[int]]]
"""The ledger events a difference involves (its row given)."""


def compared(rule: comparisons.Rule, involved: Involved) -> Find:
    """`find` for a shared comparison: its rows as findings, each with the
    ledger events involved."""

    async def find(conn: Connection, scope: Scope, args: Sequence[Any]) -> list[Finding]:
        return [
            replace(rule.finding(r), seqs=tuple(await involved(conn, r)))
            for r in await conn.fetch(rule.sql(scope), *args)
        ]

    return find


def _moving(where: str) -> Involved:
    """The latest events of the row's level that match `where`."""

    async def involved(conn: Connection, r: Row) -> list[int]:
        return await latest_seqs(conn, r["sku"], f"location = $2 AND {where}", r["location"])

    return involved


async def _of_transfer(conn: Connection, r: Row) -> list[int]:
    return await latest_seqs(conn, r["sku"], "transfer_id = $2", r["transfer_id"])


async def _of_channel(conn: Connection, r: Row) -> list[int]:
    return await latest_seqs(
        conn, r["sku"], "channel = $2 AND d_reserved + d_committed <> 0", r["channel"]
    )


CHECKS: tuple[Check, ...] = (
    Check("replay", compared(comparisons.REPLAY, _moving(MOVEMENTS)), repairs.replay),
    Check("holds", compared(comparisons.HOLDS, _moving("d_reserved <> 0")), repairs.attribution),
    Check("orders", compared(comparisons.ORDERS, _moving("d_committed <> 0")), repairs.attribution),
    Check("transfers", compared(comparisons.TRANSFERS, _of_transfer), repairs.transfer),
    Check("incoming", compared(comparisons.INCOMING, _moving("d_incoming <> 0")), repairs.incoming),
    Check("channels", compared(comparisons.CHANNELS, _of_channel), repairs.channel),
)
"""Every check, in the order a run looks and repairs: a level's quantities
are put back in step with the ledger (`replay`) before anything is
compared with the holds, orders and transfers on top of them."""
