"""The reconciliation runs and their findings in PostgreSQL (migration 0014)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

import asyncpg
import orjson

from stockd import errors
from stockd.adapters.postgres.rows import Row
from stockd.domain.reconciliation import Finding, Run

_RUN_COLUMNS = (
    "id, started_at, finished_at, apply, skus, actor, levels_checked, differences, repaired,"
    " discrepancy_rate"
)
_FINDING_COLUMNS = (
    'n, "check", sku, location, channel, subject, expected, actual, detail, seqs, repaired,'
    " repair_note"
)


def _run(row: Row, findings: Sequence[Finding] = ()) -> Run:
    return Run(
        id=row["id"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        apply=row["apply"],
        skus=None if row["skus"] is None else tuple(row["skus"]),
        actor=row["actor"],
        levels_checked=row["levels_checked"],
        differences=row["differences"],
        repaired=row["repaired"],
        discrepancy_rate=row["discrepancy_rate"],
        findings=tuple(findings),
    )


def _finding(row: Row) -> Finding:
    return Finding(
        check=row["check"],
        sku=row["sku"],
        location=row["location"],
        channel=row["channel"],
        subject=row["subject"],
        expected=orjson.loads(row["expected"]),
        actual=orjson.loads(row["actual"]),
        detail=row["detail"],
        seqs=tuple(row["seqs"]),
        repaired=row["repaired"],
        repair_note=row["repair_note"],
    )


class PostgresReconcileStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def start(
        self,
        run: Run,
        claim: tuple[str, str, str] | None = None,
    ) -> None:
        """Record a run as started; `claim`: its (scope, Idempotency-Key,
        fingerprint). A claim another run holds is refused (Conflict)."""
        scope, key, fingerprint = claim if claim is not None else (None, None, None)
        try:
            await self.pool.execute(
                """INSERT INTO reconciliations
                   (id, started_at, apply, skus, actor, idempotency_scope, idempotency_key,
                    fingerprint)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
                run.id,
                run.started_at,
                run.apply,
                None if run.skus is None else list(run.skus),
                run.actor,
                scope,
                key,
                fingerprint,
            )
        except asyncpg.UniqueViolationError:
            raise errors.Conflict(
                "a reconciliation with this Idempotency-Key started meanwhile"
            ) from None

    async def claimed(self, scope: str, key: str) -> tuple[Run, str] | None:
        """The run an Idempotency-Key started, and the request's fingerprint."""
        row = await self.pool.fetchrow(
            f"""SELECT {_RUN_COLUMNS}, fingerprint FROM reconciliations
                WHERE idempotency_scope = $1 AND idempotency_key = $2""",
            scope,
            key,
        )
        return None if row is None else (_run(row), row["fingerprint"])

    async def add_findings(self, run_id: str, first: int, findings: Sequence[Finding]) -> None:
        """Store findings numbered from `first`."""
        if not findings:
            return
        await self.pool.copy_records_to_table(
            "reconciliation_findings",
            columns=[
                "reconciliation_id",
                *(c.strip().strip('"') for c in _FINDING_COLUMNS.split(",")),
            ],
            records=[
                (
                    run_id,
                    first + i,
                    f.check,
                    f.sku,
                    f.location,
                    f.channel,
                    f.subject,
                    orjson.dumps(dict(f.expected)).decode(),
                    orjson.dumps(dict(f.actual)).decode(),
                    f.detail,
                    list(f.seqs),
                    f.repaired,
                    f.repair_note,
                )
                for i, f in enumerate(findings)
            ],
        )

    async def finish(
        self,
        run_id: str,
        at: datetime,
        levels: int,
        differences: int,
        repaired: int,
        rate: Decimal,
    ) -> None:
        await self.pool.execute(
            """UPDATE reconciliations SET finished_at = $2, levels_checked = $3,
                   differences = $4, repaired = $5, discrepancy_rate = $6
               WHERE id = $1""",
            run_id,
            at,
            levels,
            differences,
            repaired,
            rate,
        )

    async def get(self, run_id: str, after: int = 0, limit: int = 100) -> Run | None:
        """A run with its findings numbered after `after`, at most `limit`."""
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT {_RUN_COLUMNS} FROM reconciliations WHERE id = $1", run_id
            )
            if row is None:
                return None
            findings = await conn.fetch(
                f"""SELECT {_FINDING_COLUMNS} FROM reconciliation_findings
                    WHERE reconciliation_id = $1 AND n > $2 ORDER BY n LIMIT $3""",
                run_id,
                after,
                limit,
            )
        return _run(row, [_finding(f) for f in findings])

    async def page(self, before: str | None, limit: int) -> list[Run]:
        """Runs newest first (ids are in time order), those before `before`."""
        rows = await self.pool.fetch(
            f"""SELECT {_RUN_COLUMNS} FROM reconciliations
                WHERE $1::text IS NULL OR id < $1 ORDER BY id DESC LIMIT $2""",
            before,
            limit,
        )
        return [_run(r) for r in rows]

    async def latest_start(self) -> datetime | None:
        """When the latest run started (any run, finished or not)."""
        found: datetime | None = await self.pool.fetchval(
            "SELECT max(started_at) FROM reconciliations"
        )
        return found
