"""The reconciler's use case over fakes: it walks the chunks, stores each
chunk's findings as it goes, repairs only when asked, computes the rate,
answers an Idempotency-Key retry with the same run, and the scheduled run
starts only when due and only where the lead is held."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from decimal import Decimal
from itertools import count
from typing import Any

import pytest

from stockd import errors
from stockd.adapters.clock import ManualClock
from stockd.adapters.memory.reconcile import MemoryLeadership, MemoryReconcileStore
from stockd.domain.reconciliation import Finding, RunRef, discrepancy_rate
from stockd.service.reconciliation import Claim, Reconciler, scheduled
from tests.support import T0


def finding(sku: str) -> Finding:
    return Finding("replay", sku, "x", None, f"{sku}@x", {"on_hand": 1}, {"on_hand": 2}, "d")


class ScriptedExaminer:
    """Chunks of (levels, SKUs with a difference); repairs the even SKUs."""

    def __init__(self, chunks: list[tuple[int, list[str]]], store: MemoryReconcileStore) -> None:
        self.script = chunks
        self.store = store
        self.stored_before_each_chunk: list[int] = []
        self.repaired: list[str] = []

    async def unknown_skus(self, skus: Collection[str]) -> list[str]:
        return sorted(s for s in skus if s.startswith("NO"))

    async def count_levels(self, skus: Collection[str] | None) -> int:
        return sum(n for n, _ in self.script)

    async def chunks(self, skus: Collection[str] | None) -> AsyncIterator[Any]:
        for chunk in self.script:
            yield chunk

    async def examine(self, chunk: Any) -> tuple[int, list[Finding]]:
        self.stored_before_each_chunk.append(sum(len(f) for f in self.store.findings.values()))
        levels, skus = chunk
        return levels, [finding(s) for s in skus]

    async def repair(self, f: Finding, run: RunRef) -> Finding:
        self.repaired.append(f.sku)
        ok = int(f.sku[1:]) % 2 == 0
        return Finding(**{**f.as_dict(), "repaired": ok, "seqs": ()}) if ok else f


def reconciler(chunks: list[tuple[int, list[str]]]) -> tuple[Reconciler, ScriptedExaminer]:
    store = MemoryReconcileStore()
    examiner = ScriptedExaminer(chunks, store)
    ids = count()
    return Reconciler(examiner, store, ManualClock(T0), lambda p: f"{p}_{next(ids):04d}"), examiner


CHUNKS = [(4, ["S1"]), (4, []), (2, ["S2", "S4"])]


async def test_a_run_stores_each_chunks_findings_before_the_next_and_reports_the_rate() -> None:
    r, examiner = reconciler(CHUNKS)
    seen: list[tuple[int, int]] = []
    run, replayed = await r.run(apply=False, actor="t", progress=lambda *p: seen.append(p))
    assert not replayed
    assert (run.levels_checked, run.differences, run.repaired) == (10, 3, 0)
    assert run.discrepancy_rate == Decimal("0.3")
    assert run.finished_at is not None
    assert examiner.stored_before_each_chunk == [0, 1, 1]
    assert examiner.repaired == []
    assert seen == [(4, 10), (8, 10), (10, 10)]
    stored = await r.store.get(run.id)
    assert stored is not None
    assert [f.sku for f in stored.findings] == ["S1", "S2", "S4"]


async def test_apply_repairs_each_finding_and_counts_those_repaired() -> None:
    r, examiner = reconciler(CHUNKS)
    run, _ = await r.run(apply=True, actor="t")
    assert examiner.repaired == ["S1", "S2", "S4"]
    assert (run.differences, run.repaired) == (3, 2)


async def test_unknown_skus_are_refused_before_anything_runs() -> None:
    r, _ = reconciler(CHUNKS)
    with pytest.raises(errors.UnknownReference, match="NOPE"):
        await r.run(apply=False, actor="t", skus=["S1", "NOPE"])
    assert await r.store.page(None, 10) == []


async def test_a_retry_with_the_same_key_answers_the_same_run_and_another_body_is_refused() -> None:
    r, examiner = reconciler(CHUNKS)
    first, _ = await r.run(apply=True, actor="t", claim=Claim("k1", "idem", "f1"))
    again, replayed = await r.run(apply=True, actor="t", claim=Claim("k1", "idem", "f1"))
    assert replayed
    assert again.id == first.id
    assert len(examiner.repaired) == 3  # ran once
    with pytest.raises(errors.IdempotencyKeyReused):
        await r.run(apply=False, actor="t", claim=Claim("k1", "idem", "f2"))
    other, replayed = await r.run(apply=False, actor="t", claim=Claim("k2", "idem", "f2"))
    assert not replayed
    assert other.id != first.id


async def test_the_scheduled_run_starts_only_when_due_and_only_where_the_lead_is_held() -> None:
    r, _ = reconciler(CHUNKS)
    clock = r.clock
    assert isinstance(clock, ManualClock)
    lead: list[object] = []
    here, there = MemoryLeadership(lead), MemoryLeadership(lead)
    started = clock.now()
    assert await scheduled(r, here, 3600, False, started) is None  # no run yet: wait an interval
    clock.advance(3600)
    assert await there.acquire()
    assert await scheduled(r, here, 3600, False, started) is None  # another node leads
    await there.release()
    first = await scheduled(r, here, 3600, False, started)
    assert first is not None
    assert first.actor == "stockd:reconcile"
    assert not await here.held()  # let go after the run
    clock.advance(59 * 60)
    assert await scheduled(r, here, 3600, False, started) is None  # not due yet
    clock.advance(60)
    assert await scheduled(r, here, 3600, False, started) is not None


def test_the_rate_is_differences_over_levels_and_zero_for_nothing_checked() -> None:
    assert discrepancy_rate(0, 0) == 0
    assert discrepancy_rate(1, 3) == Decimal("0.333333")
    assert discrepancy_rate(5, 2) == Decimal("2.5")
