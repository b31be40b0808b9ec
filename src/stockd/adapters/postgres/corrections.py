"""Counts, stock reports and report sources in PostgreSQL."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from asyncpg.pool import PoolConnectionProxy

from stockd.domain.corrections import Anchor, Policy, ReportLine, Source
from stockd.domain.quantities import LevelKey
from stockd.service.ports import CountLineRecord, ReportRecord

_MOVED_SINCE = """
SELECT coalesce(sum(d_on_hand), 0)::bigint FROM ledger_events
WHERE sku = $1 AND location = $2 AND d_on_hand <> 0 AND at > $3
  AND data->>'effective_at' IS NULL
"""
"""Movements of on_hand after a time; corrections (whose data carries their
own `effective_at`) are not movements of their own time. `d_on_hand <> 0`
lets it read the partial index `ledger_events_on_hand_by_time`, which holds
leave alone (migration 0016)."""

_LATEST_COUNT = """
SELECT counted_at, counted, source FROM count_lines
WHERE sku = $1 AND location = $2
ORDER BY counted_at DESC, counted ASC, id DESC LIMIT 1
"""

_ADD_COUNT_LINES = """
INSERT INTO count_lines (count_id, sku, location, counted_at, counted, expected, adjustment,
                         outcome, why, source, recorded_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::bigint[],
                     $6::bigint[], $7::bigint[], $8::text[], $9::text[], $10::text[],
                     $11::timestamptz[])
"""

_COUNT_LINES = """
SELECT * FROM count_lines WHERE count_id = $1 ORDER BY id
"""

_REPORT_LINES = """
WITH latest AS (
    SELECT max(observed_at) AS at FROM stock_reports WHERE sku = $1 AND location = $2
)
SELECT r.source, r.quantity, r.observed_at, s.priority
FROM stock_reports r JOIN report_sources s ON s.id = r.source, latest
WHERE r.sku = $1 AND r.location = $2 AND r.observed_at >= latest.at - $3::interval
"""

_ADD_REPORT = """
INSERT INTO stock_reports (source, sku, location, quantity, observed_at, received_at,
                           outcome, why)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT ON CONSTRAINT stock_reports_once DO NOTHING
RETURNING id
"""


class PostgresCorrections:
    def __init__(self, conn: PoolConnectionProxy) -> None:
        self.conn = conn

    async def moved_since(self, key: LevelKey, after: datetime) -> int:
        found: int = await self.conn.fetchval(_MOVED_SINCE, key.sku, key.location, after)
        return found

    async def latest_count(self, key: LevelKey) -> Anchor | None:
        row = await self.conn.fetchrow(_LATEST_COUNT, key.sku, key.location)
        if row is None:
            return None
        return Anchor(row["counted_at"], row["counted"], "count", row["source"])

    async def add_count_lines(self, lines: Sequence[CountLineRecord]) -> None:
        if not lines:
            return
        await self.conn.execute(
            _ADD_COUNT_LINES,
            [x.count_id for x in lines],
            [x.key.sku for x in lines],
            [x.key.location for x in lines],
            [x.counted_at for x in lines],
            [x.counted for x in lines],
            [x.expected for x in lines],
            [x.adjustment for x in lines],
            [x.outcome for x in lines],
            [x.why for x in lines],
            [x.source for x in lines],
            [x.recorded_at for x in lines],
        )

    async def count_lines(self, count_id: str) -> list[CountLineRecord]:
        return [
            CountLineRecord(
                count_id=r["count_id"],
                key=LevelKey(r["sku"], r["location"]),
                counted_at=r["counted_at"],
                counted=r["counted"],
                expected=r["expected"],
                adjustment=r["adjustment"],
                outcome=r["outcome"],
                why=r["why"],
                source=r["source"],
                recorded_at=r["recorded_at"],
            )
            for r in await self.conn.fetch(_COUNT_LINES, count_id)
        ]

    async def report_lines(self, key: LevelKey, window: timedelta) -> list[ReportLine]:
        rows = await self.conn.fetch(_REPORT_LINES, key.sku, key.location, window)
        return [
            ReportLine(r["source"], key, r["quantity"], r["observed_at"], r["priority"])
            for r in rows
        ]

    async def add_report(self, record: ReportRecord) -> bool:
        line = record.line
        found = await self.conn.fetchval(
            _ADD_REPORT,
            line.source,
            line.key.sku,
            line.key.location,
            line.quantity,
            line.observed_at,
            record.received_at,
            record.outcome,
            record.why,
        )
        return found is not None

    async def add_source(self, source: Source) -> bool:
        found = await self.conn.fetchval(
            "INSERT INTO report_sources (id, priority, policy, created_at)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING RETURNING id",
            source.id,
            source.priority,
            source.policy.value,
            source.created_at,
        )
        return found is not None

    async def sources(self, ids: Collection[str] = ()) -> dict[str, Source]:
        rows = await self.conn.fetch(
            "SELECT * FROM report_sources WHERE cardinality($1::text[]) = 0 OR id = ANY($1)"
            " ORDER BY id",
            list(ids),
        )
        return {
            r["id"]: Source(r["id"], r["priority"], Policy(r["policy"]), r["created_at"])
            for r in rows
        }

    async def set_location_policy(
        self, location: str, policy: Policy | None, now: datetime
    ) -> None:
        if policy is None:
            await self.conn.execute(
                "DELETE FROM location_report_policies WHERE location = $1", location
            )
            return
        await self.conn.execute(
            "INSERT INTO location_report_policies (location, policy, updated_at)"
            " VALUES ($1, $2, $3) ON CONFLICT (location)"
            " DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at",
            location,
            policy.value,
            now,
        )

    async def location_policies(self, locations: Collection[str]) -> dict[str, Policy]:
        rows = await self.conn.fetch(
            "SELECT location, policy FROM location_report_policies WHERE location = ANY($1)",
            list(locations),
        )
        return {r["location"]: Policy(r["policy"]) for r in rows}
