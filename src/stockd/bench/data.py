"""Bench data, loaded with COPY: SKUs, locations, levels and the ledger events
that explain their stock (so `ledger verify` holds from the start), plus the
same stock in `bench_levels` for the baselines."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from stockd.adapters.postgres.event_rows import EVENT_FIELDS, record
from stockd.bench.baselines import SCHEMA
from stockd.domain.events import StockCounted
from stockd.domain.quantities import LevelKey, Quantities

HOT_SKU, HOT_LOCATION = "HOT", "W"
LOADED = ("skus", "locations", "levels", "ledger_events", "bench_levels")
LAST_SKU = "LAST"


@dataclass(frozen=True)
class Shape:
    skus: int = 100_000
    locations: int = 10
    units: int = 1_000
    hot_units: int = 1_000_000_000
    last_units: int = 10_000

    def sku(self, i: int) -> str:
        return f"SKU-{i:06d}"

    def location(self, j: int) -> str:
        return f"L{j:02d}"


async def load(url: str, shape: Shape) -> dict[str, int]:
    """Fill an empty, migrated database; how many rows of each."""
    now = datetime.now(UTC)
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(SCHEMA)
        locations = [shape.location(j) for j in range(shape.locations)] + [HOT_LOCATION]
        await conn.copy_records_to_table(
            "locations",
            columns=["id", "name", "type", "priority", "created_at", "updated_at"],
            records=[
                (loc, loc, "warehouse", 1 + i % 3, now, now) for i, loc in enumerate(locations)
            ],
        )
        skus = [shape.sku(i) for i in range(shape.skus)] + [HOT_SKU, LAST_SKU]
        await conn.copy_records_to_table(
            "skus",
            columns=["sku", "product_id", "name", "created_at", "updated_at"],
            records=((s, "P-" + s, s, now, now) for s in skus),
        )

        def stock() -> Iterator[tuple[str, str, int]]:
            for i in range(shape.skus):
                for j in range(shape.locations):
                    yield shape.sku(i), shape.location(j), shape.units
            yield HOT_SKU, HOT_LOCATION, shape.hot_units
            yield LAST_SKU, HOT_LOCATION, shape.last_units

        await conn.copy_records_to_table(
            "levels",
            columns=["sku", "location", "on_hand", "version", "updated_at"],
            records=((s, loc, q, 2, now) for s, loc, q in stock()),
        )
        # The load's events are rows like any writer's (event_rows.record),
        # numbered here rather than by the insert trigger.
        await conn.copy_records_to_table(
            "ledger_events",
            columns=["seq", *EVENT_FIELDS],
            records=(
                (n, *record(_counted(s, loc, q, now)))
                for n, (s, loc, q) in enumerate(stock(), start=1)
            ),
        )
        # Numbered above (the insert trigger leaves given numbers alone): the
        # ledger's own numbering carries on after them.
        await conn.execute("SELECT setval('ledger_seq', (SELECT max(seq) FROM ledger_events))")
        await conn.copy_records_to_table(
            "bench_levels",
            columns=["sku", "location", "on_hand"],
            records=stock(),
        )
        # Settle the loaded tables now, so autovacuum does not compete with
        # the first workload (it measurably did). Only those: analysing the
        # still-empty tables (reservations, lines) records them as empty, and
        # PostgreSQL then caches sequential-scan plans for the foreign-key
        # checks on them, which slow every hold down as they fill (measured:
        # 3,000 -> 600 holds/s within 30 s; docs/benchmarks.md).
        await conn.execute(f"VACUUM (ANALYZE) {', '.join(LOADED)}")
        return {
            "skus": len(skus),
            "locations": len(locations),
            "levels": shape.skus * shape.locations + 2,
        }
    finally:
        await conn.close()


def _counted(sku: str, location: str, units: int, at: datetime) -> StockCounted:
    on_hand = Quantities(on_hand=units)
    return StockCounted(
        key=LevelKey(sku, location),
        delta=on_hand,
        after=on_hand,
        at=at,
        actor="bench",
        reason="bench load",
    )
