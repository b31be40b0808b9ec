"""The reconciler's walk: the SKUs in chunks, each chunk's checks in one
repeatable-read snapshot, then the repairs.

A chunk ends at the SKU of the `chunk_size`-th level after the previous one
(or of the `chunk_size`-th SKU, for SKUs without levels), so a chunk holds
about `chunk_size` levels and never splits a SKU: every comparison sums per
SKU (a channel's counter spans the SKU's levels). Each statement reads the
chunk's SKU range through the indexes by SKU, so a chunk costs the same at
the start and the end of a ledger of any size (docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any

import asyncpg

from stockd import errors
from stockd.adapters.postgres.comparisons import SKU_LIST, SKU_RANGE, Scope
from stockd.adapters.postgres.reconcile.checks import CHECKS, Check
from stockd.adapters.postgres.reconcile.repairs import Unrepaired
from stockd.adapters.postgres.uow import PostgresUnitOfWorkFactory
from stockd.domain.reconciliation import Finding, RunRef

_CHUNK_END = """
SELECT least(
    (SELECT max(sku) FROM (SELECT sku FROM levels WHERE sku > $1
                           ORDER BY sku, location LIMIT $2) a),
    (SELECT max(sku) FROM (SELECT sku FROM skus WHERE sku > $1 ORDER BY sku LIMIT $2) b)
)
"""


@dataclass(frozen=True, slots=True)
class Chunk:
    """A scope of SKUs and its parameters."""

    scope: Scope
    args: tuple[Any, ...]


class PostgresExaminer:
    def __init__(
        self,
        pool: asyncpg.Pool,
        uows: PostgresUnitOfWorkFactory,
        checks: Sequence[Check] = CHECKS,
        chunk_size: int = 5000,
    ) -> None:
        self.pool = pool
        self.uows = uows
        self.checks = tuple(checks)
        self.chunk_size = chunk_size

    async def unknown_skus(self, skus: Collection[str]) -> list[str]:
        known = {
            r["sku"]
            for r in await self.pool.fetch(
                "SELECT sku FROM skus WHERE sku = ANY($1::text[])", list(skus)
            )
        }
        return sorted(set(skus) - known)

    async def count_levels(self, skus: Collection[str] | None) -> int:
        if skus is None:
            n: int = await self.pool.fetchval("SELECT count(*) FROM levels")
        else:
            n = await self.pool.fetchval(
                "SELECT count(*) FROM levels WHERE sku = ANY($1::text[])", list(skus)
            )
        return n

    async def chunks(self, skus: Collection[str] | None) -> AsyncIterator[Chunk]:
        if skus is not None:
            ordered = sorted(set(skus))
            for i in range(0, len(ordered), self.chunk_size):
                yield Chunk(SKU_LIST, (ordered[i : i + self.chunk_size],))
            return
        last = ""
        while True:
            end = await self.pool.fetchval(_CHUNK_END, last, self.chunk_size)
            if end is None:
                return
            yield Chunk(SKU_RANGE, (last, end))
            last = end

    async def examine(self, chunk: Chunk) -> tuple[int, list[Finding]]:
        """The chunk's levels and every check's findings, in one snapshot."""
        found: list[Finding] = []
        async with (
            self.pool.acquire() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            levels: int = await conn.fetchval(
                f"SELECT count(*) FROM levels WHERE {chunk.scope.on('sku')}", *chunk.args
            )
            for check in self.checks:
                found += await check.find(conn, chunk.scope, chunk.args)
        return levels, found

    async def repair(self, finding: Finding, run: RunRef) -> Finding:
        """The finding repaired (or with why not)."""
        check = next(c for c in self.checks if c.name == finding.check)
        if check.repair is None:
            return replace(finding, repair_note="this check only reports")
        try:
            note = await check.repair(self.uows, finding, run)
        except Unrepaired as e:
            return replace(finding, repair_note=str(e))
        except (errors.StockdError, errors.TransientConflict) as e:
            return replace(finding, repair_note=f"not repaired: {e}")
        return replace(finding, repaired=True, repair_note=note)
