"""The reconciler's use case: walk every level (or those of some SKUs),
report each difference, repair when asked, and record the run.

The walk goes chunk by chunk (`Examiner`); each chunk's findings are stored
as soon as they are found and repaired (`ReconcileStore`), so memory stays
bounded by a chunk however many levels there are. A run is recorded as
started before it looks and as finished (with its figures) at the end; the
latest finished run's `discrepancy_rate` is what monitoring reads.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from stockd import errors
from stockd.domain.reconciliation import Finding, Run, RunRef, discrepancy_rate
from stockd.service.ports import Clock, Leadership

Progress = Callable[[int, int], None]
"""Told (levels checked so far, levels in all) after each chunk."""


class Examiner(Protocol):
    """The checks over a store, chunk by chunk."""

    async def unknown_skus(self, skus: Collection[str]) -> list[str]: ...

    async def count_levels(self, skus: Collection[str] | None) -> int: ...

    def chunks(self, skus: Collection[str] | None) -> AsyncIterator[Any]:
        """The chunks to examine, in SKU order (all SKUs, or those given)."""
        ...

    async def examine(self, chunk: Any) -> tuple[int, list[Finding]]:
        """The chunk's number of levels and every check's findings in it."""
        ...

    async def repair(self, finding: Finding, run: RunRef) -> Finding:
        """The finding, repaired (or saying why not)."""
        ...


class ReconcileStore(Protocol):
    """Where runs and their findings are kept."""

    async def start(self, run: Run, claim: tuple[str, str, str] | None = None) -> None: ...

    async def claimed(self, scope: str, key: str) -> tuple[Run, str] | None: ...

    async def add_findings(self, run_id: str, first: int, findings: Sequence[Finding]) -> None: ...

    async def finish(
        self,
        run_id: str,
        at: datetime,
        levels: int,
        differences: int,
        repaired: int,
        rate: Decimal,
    ) -> None: ...

    async def get(self, run_id: str, after: int = 0, limit: int = 100) -> Run | None: ...

    async def page(self, before: str | None, limit: int) -> list[Run]: ...

    async def latest_start(self) -> datetime | None: ...


@dataclass(frozen=True, slots=True)
class Claim:
    """An Idempotency-Key on a run request: whose, which, and the request's digest."""

    scope: str
    key: str
    fingerprint: str


class Reconciler:
    def __init__(
        self,
        examiner: Examiner,
        store: ReconcileStore,
        clock: Clock,
        new_id: Callable[[str], str],
    ) -> None:
        self.examiner = examiner
        self.store = store
        self.clock = clock
        self.new_id = new_id

    async def check_skus(self, skus: Collection[str]) -> None:
        unknown = await self.examiner.unknown_skus(skus)
        if unknown:
            raise errors.UnknownReference(
                *(errors.Issue(f"unknown SKU {s!r}", "skus") for s in unknown[:20])
            )

    async def run(
        self,
        *,
        apply: bool,
        actor: str,
        skus: Collection[str] | None = None,
        claim: Claim | None = None,
        progress: Progress | None = None,
    ) -> tuple[Run, bool]:
        """Run a reconciliation; the run (without its findings: `store.get`
        pages them) and whether it is the replay of an earlier request with
        the same Idempotency-Key."""
        if claim is not None:
            earlier = await self.store.claimed(claim.scope, claim.key)
            if earlier is not None:
                run, fingerprint = earlier
                if fingerprint != claim.fingerprint:
                    raise errors.IdempotencyKeyReused(
                        "this Idempotency-Key was used with a different request"
                    )
                return run, True
        if skus is not None:
            await self.check_skus(skus)
        run = Run(
            id=self.new_id("rec"),
            started_at=self.clock.now(),
            finished_at=None,
            apply=apply,
            skus=None if skus is None else tuple(sorted(set(skus))),
            actor=actor,
            levels_checked=0,
            differences=0,
            repaired=0,
            discrepancy_rate=Decimal(0),
        )
        await self.store.start(
            run, None if claim is None else (claim.scope, claim.key, claim.fingerprint)
        )
        ref = RunRef(run.id, actor, run.started_at)
        total = await self.examiner.count_levels(run.skus)
        levels = differences = repaired = 0
        async for chunk in self.examiner.chunks(run.skus):
            checked, found = await self.examiner.examine(chunk)
            if apply:
                found = [await self.examiner.repair(f, ref) for f in found]
            await self.store.add_findings(run.id, differences + 1, found)
            levels += checked
            differences += len(found)
            repaired += sum(f.repaired for f in found)
            if progress is not None:
                progress(levels, max(total, levels))
        finished = self.clock.now()
        rate = discrepancy_rate(differences, levels)
        await self.store.finish(run.id, finished, levels, differences, repaired, rate)
        done = await self.store.get(run.id, limit=0)
        assert done is not None
        return done, False


async def scheduled(
    reconciler: Reconciler,
    leadership: Leadership,
    interval: float,
    apply: bool,
    since: datetime,
) -> Run | None:
    """The scheduled run (the reconcile worker): when the latest run, by
    any node or by hand, started longer than `interval` seconds ago (with
    no run yet: `interval` after `since`, when the worker started, so that a
    new installation or a benchmark's fresh database is not walked at
    once), and only while this process holds the lead (one node's run at a
    time); None when it was not due or another node leads."""
    due = timedelta(seconds=interval)

    async def is_due() -> bool:
        latest = await reconciler.store.latest_start()
        return reconciler.clock.now() - (latest or since) >= due

    if not await is_due() or not await leadership.acquire():
        return None
    try:
        if not await is_due():  # another node ran while this one waited for the lead
            return None
        run, _ = await reconciler.run(apply=apply, actor="stockd:reconcile")
        return run
    finally:
        await leadership.release()
