"""The reconciliation runs kept in memory (the `ReconcileStore` port's fake),
and a leadership that one process at a time may hold."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from stockd import errors
from stockd.domain.reconciliation import Finding, Run


class MemoryReconcileStore:
    def __init__(self) -> None:
        self.runs: dict[str, Run] = {}
        self.findings: dict[str, list[Finding]] = {}
        self.claims: dict[tuple[str, str], tuple[str, str]] = {}

    async def start(self, run: Run, claim: tuple[str, str, str] | None = None) -> None:
        if claim is not None:
            scope, key, fingerprint = claim
            if (scope, key) in self.claims:
                raise errors.Conflict(
                    "a reconciliation with this Idempotency-Key started meanwhile"
                )
            self.claims[(scope, key)] = (run.id, fingerprint)
        self.runs[run.id] = replace(run, findings=())
        self.findings[run.id] = []

    async def claimed(self, scope: str, key: str) -> tuple[Run, str] | None:
        found = self.claims.get((scope, key))
        return None if found is None else (self.runs[found[0]], found[1])

    async def add_findings(self, run_id: str, first: int, findings: Sequence[Finding]) -> None:
        assert first == len(self.findings[run_id]) + 1, "findings are numbered in order"
        self.findings[run_id].extend(findings)

    async def finish(
        self,
        run_id: str,
        at: datetime,
        levels: int,
        differences: int,
        repaired: int,
        rate: Decimal,
    ) -> None:
        self.runs[run_id] = replace(
            self.runs[run_id],
            finished_at=at,
            levels_checked=levels,
            differences=differences,
            repaired=repaired,
            discrepancy_rate=rate,
        )

    async def get(self, run_id: str, after: int = 0, limit: int = 100) -> Run | None:
        run = self.runs.get(run_id)
        if run is None:
            return None
        return replace(run, findings=tuple(self.findings[run_id][after : after + limit]))

    async def page(self, before: str | None, limit: int) -> list[Run]:
        ids = sorted((i for i in self.runs if before is None or i < before), reverse=True)
        return [self.runs[i] for i in ids[:limit]]

    async def latest_start(self) -> datetime | None:
        return max((r.started_at for r in self.runs.values()), default=None)


class MemoryLeadership:
    """One lead shared by every holder made from the same `lead` list."""

    def __init__(self, lead: list[object]) -> None:
        self._lead = lead

    async def acquire(self) -> bool:
        if not self._lead:
            self._lead.append(self)
        return self._lead[0] is self

    async def held(self) -> bool:
        return bool(self._lead) and self._lead[0] is self

    async def release(self) -> None:
        if await self.held():
            self._lead.clear()
