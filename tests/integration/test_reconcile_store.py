"""The runs store's contract, on the fake and on PostgreSQL alike: a run is
recorded started then finished, its findings kept in order and paged, runs
listed newest first, an Idempotency-Key claimed once."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from stockd import errors
from stockd.adapters.memory.reconcile import MemoryReconcileStore
from stockd.adapters.postgres.reconcile.store import PostgresReconcileStore
from stockd.bootstrap import Container
from stockd.domain.reconciliation import Finding, Run
from stockd.service.reconciliation import ReconcileStore
from tests.support import T0


@pytest.fixture(params=["memory", "postgres"])
def store(request: pytest.FixtureRequest) -> ReconcileStore:
    if request.param == "memory":
        return MemoryReconcileStore()
    db: Container = request.getfixturevalue("db")
    assert db.pool is not None
    return PostgresReconcileStore(db.pool)


def run(n: int) -> Run:
    return Run(
        id=f"rec_{n:04x}",
        started_at=T0 + timedelta(minutes=n),
        finished_at=None,
        apply=n % 2 == 0,
        skus=("A", "B") if n == 2 else None,
        actor="test",
        levels_checked=0,
        differences=0,
        repaired=0,
        discrepancy_rate=Decimal(0),
    )


def finding(i: int) -> Finding:
    return Finding(
        check="holds",
        sku=f"S{i}",
        location="x",
        channel=None,
        subject=f"S{i}@x",
        expected={"reserved": i},
        actual={"reserved": i + 1},
        detail="d",
        seqs=(i, i + 1),
        repaired=i % 2 == 0,
        repair_note="n" if i % 2 == 0 else None,
    )


async def test_a_run_keeps_its_findings_in_order_and_pages_them(store: ReconcileStore) -> None:
    await store.start(run(1))
    await store.add_findings("rec_0001", 1, [finding(1), finding(2)])
    await store.add_findings("rec_0001", 3, [finding(3)])
    started = await store.get("rec_0001")
    assert started is not None
    assert started.finished_at is None
    await store.finish("rec_0001", T0 + timedelta(hours=1), 3, 3, 1, Decimal("1"))
    done = await store.get("rec_0001", after=1, limit=1)
    assert done is not None
    assert done.findings == (finding(2),)
    assert (done.finished_at, done.levels_checked, done.differences, done.repaired) == (
        T0 + timedelta(hours=1),
        3,
        3,
        1,
    )
    assert done.discrepancy_rate == 1
    everything = await store.get("rec_0001", limit=100)
    assert everything is not None
    assert everything.findings == (finding(1), finding(2), finding(3))
    assert await store.get("rec_ffff") is None


async def test_runs_are_listed_newest_first_and_claims_are_kept(store: ReconcileStore) -> None:
    for n in (1, 2, 3):
        await store.start(run(n), ("key", f"k{n}", f"f{n}") if n < 3 else None)
    assert [r.id for r in await store.page(None, 2)] == ["rec_0003", "rec_0002"]
    assert [r.id for r in await store.page("rec_0002", 2)] == ["rec_0001"]
    assert await store.latest_start() == T0 + timedelta(minutes=3)
    claimed = await store.claimed("key", "k2")
    assert claimed is not None
    assert claimed == (replace(run(2), findings=()), "f2")
    assert await store.claimed("other", "k2") is None
    with pytest.raises(errors.Conflict):
        await store.start(run(4), ("key", "k1", "f9"))
