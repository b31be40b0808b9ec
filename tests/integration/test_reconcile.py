# ruff: noqa: E501  (the table of drifts reads best one a line)
"""The reconciler finds each kind of drift injected behind stockd's back
(test-only SQL), names it, and its repair — compensating ledger events —
brings `stockd ledger verify` and a second run back to clean."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import asyncpg
import pytest

from stockd.adapters.postgres.comparisons import Scope
from stockd.adapters.postgres.reconcile.checks import CHECKS, Check, skus_in
from stockd.bootstrap import Container, reconciler
from stockd.domain.channels import Channel, ChannelKind, PoolShare
from stockd.domain.commands import (
    CreateChannel,
    CreateTransfer,
    LineRequest,
    PlaceOrder,
    Reserve,
    SetChannelPools,
    SkuQuantity,
)
from stockd.domain.events import (
    ChannelCounterCorrected,
    DriftFound,
    ReconcileCorrected,
    StockAdjusted,
    document,
)
from stockd.domain.quantities import LevelKey, Quantities
from stockd.domain.reconciliation import Finding, Run
from stockd.service.queries import EventFilter
from stockd.service.reconciliation import Reconciler
from tests.support import ADMIN, T0, seed

X = LevelKey("A", "x")


def the_reconciler(db: Container) -> Reconciler:
    found = reconciler(db)
    assert found is not None
    return found


async def history(db: Container) -> dict[str, str]:
    """A and B at x and y; a hold through amazon, a hold through no channel,
    an order through web, a transfer from y to x in transit. Clean."""
    await seed(
        db.bus,
        skus={"A": 0, "B": 0},
        locations={"x": 1, "y": 2},
        stock={("A", "x"): 20, ("A", "y"): 20, ("B", "x"): 5},
    )
    for c in (
        Channel("web", "Web", ChannelKind.WEB, 1),
        Channel("amazon", "Amazon", ChannelKind.MARKETPLACE, 2),
    ):
        await db.bus.handle(CreateChannel(c), ADMIN)
    await db.bus.handle(
        SetChannelPools("A", (PoolShare("web", 50), PoolShare("amazon", 50))), ADMIN
    )
    amazon = await db.bus.handle(Reserve((LineRequest("A", 3, "x"),), channel="amazon"), ADMIN)
    plain = await db.bus.handle(Reserve((LineRequest("B", 2, "x"),)), ADMIN)
    await db.bus.handle(
        PlaceOrder("O1", "f", lines=(LineRequest("A", 4, "x"),), channel="web"), ADMIN
    )
    transfer = await db.bus.handle(CreateTransfer("y", "x", (SkuQuantity("A", 5),)), ADMIN)
    assert (await db.reads.verify()).clean
    return {"amazon": amazon.id, "plain": plain.id, "transfer": transfer.id}


async def findings(db: Container, run: Run) -> list[tuple[str, str]]:
    r = the_reconciler(db)
    found = await r.store.get(run.id, limit=1000)
    assert found is not None
    return [(f.check, f.subject) for f in found.findings]


DRIFTS = [
    # (name, test-only SQL, the findings it causes)
    ("level edited behind the ledger", "UPDATE levels SET on_hand = on_hand + 5, damaged = 1 WHERE sku = 'A' AND location = 'x'", [("replay", "A@x")]),
    ("level row deleted", "DELETE FROM levels WHERE sku = 'B' AND location = 'x'", [("replay", "B@x"), ("holds", "B@x")]),
    ("hold released without events", "UPDATE reservations SET status = 'released' WHERE id = '{amazon}'", [("holds", "A@x"), ("channels", "A through amazon")]),
    ("hold of no channel released without events", "UPDATE reservations SET status = 'released' WHERE id = '{plain}'", [("holds", "B@x")]),
    ("hold moved to another channel", "UPDATE reservations SET channel = 'web' WHERE id = '{amazon}'", [("channels", "A through amazon"), ("channels", "A through web")]),
    ("order line's committed changed", "UPDATE order_lines SET committed = committed - 1, cancelled = cancelled + 1", [("orders", "A@x"), ("channels", "A through web")]),
    ("transfer line changed", "UPDATE transfer_lines SET received = 2", [("transfers", "transfer {transfer}: A@x")]),
    ("channel counter changed", "UPDATE channel_stock SET outstanding = outstanding + 3 WHERE channel = 'amazon'", [("channels", "A through amazon")]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "statement", "expected"), DRIFTS, ids=[d[0] for d in DRIFTS])
async def test_each_drift_is_found_named_and_repaired_until_verify_and_a_second_run_are_clean(
    db: Container,
    raw: asyncpg.Connection,
    name: str,
    statement: str,
    expected: list[tuple[str, str]],
) -> None:
    ids = await history(db)
    await raw.execute(statement.format(**ids))
    expected = [(c, s.format(**ids)) for c, s in expected]
    r = the_reconciler(db)

    report, _ = await r.run(apply=False, actor="test")
    assert await findings(db, report) == expected
    assert (report.differences, report.repaired, report.levels_checked) == (
        len(expected),
        0,
        3 if "deleted" not in name else 2,
    )
    assert not (await db.reads.verify()).clean  # a dry run changes nothing

    repaired, _ = await r.run(apply=True, actor="test")
    assert await findings(db, repaired) == expected
    assert repaired.repaired == repaired.differences == len(expected)
    assert (await db.reads.verify()).discrepancies == ()
    again, _ = await r.run(apply=False, actor="test")
    assert again.clean
    assert again.discrepancy_rate == 0


async def test_a_level_edited_behind_the_ledger_is_recorded_then_taken_back(
    db: Container, raw: asyncpg.Connection
) -> None:
    await history(db)
    before = await raw.fetchrow(
        "SELECT on_hand, damaged FROM levels WHERE sku = 'A' AND location = 'x'"
    )
    await raw.execute("UPDATE levels SET on_hand = on_hand + 5 WHERE sku = 'A' AND location = 'x'")
    run, _ = await the_reconciler(db).run(apply=True, actor="test")
    events = await raw.fetch(
        "SELECT type, d_on_hand, on_hand, data->>'reconciliation_id' AS rec FROM ledger_events"
        " WHERE type LIKE 'reconcile.%' ORDER BY seq"
    )
    assert [
        (e["type"], e["d_on_hand"], e["on_hand"] - before["on_hand"], e["rec"]) for e in events
    ] == [
        ("reconcile.found", 5, 5, run.id),
        ("reconcile.corrected", -5, 0, run.id),
    ]
    assert (
        await raw.fetchval("SELECT on_hand FROM levels WHERE sku = 'A' AND location = 'x'")
        == before["on_hand"]
    )


async def test_the_report_counts_levels_and_the_rate_and_a_sku_filter_limits_the_run(
    db: Container, raw: asyncpg.Connection
) -> None:
    await history(db)
    await raw.execute("UPDATE levels SET on_hand = on_hand + 1")
    r = the_reconciler(db)
    run, _ = await r.run(apply=False, actor="test")
    assert (run.levels_checked, run.differences, float(run.discrepancy_rate)) == (3, 3, 1.0)
    only_b, _ = await r.run(apply=False, actor="test", skus=["B"])
    assert (only_b.levels_checked, only_b.differences) == (1, 1)
    assert await findings(db, only_b) == [("replay", "B@x")]
    latest = await raw.fetchrow(
        "SELECT discrepancy_rate, finished_at FROM reconciliations ORDER BY finished_at DESC LIMIT 1"
    )
    assert latest["finished_at"] is not None
    assert latest["discrepancy_rate"] == 1


async def test_a_run_walks_many_chunks_and_finds_drift_in_each(
    db: Container, raw: asyncpg.Connection
) -> None:
    await seed(db.bus, skus={f"S{i:02}": 0 for i in range(30)}, locations={"x": 1, "y": 2},
               stock={(f"S{i:02}", loc): 3 for i in range(30) for loc in ("x", "y")})  # fmt: skip
    await raw.execute(
        "UPDATE levels SET safety_stock = 1 WHERE sku IN ('S00', 'S13', 'S29') AND location = 'y'"
    )
    r = the_reconciler(db)
    r.examiner.chunk_size = 7  # type: ignore[attr-defined]
    chunks = [c async for c in r.examiner.chunks(None)]
    assert len(chunks) >= 8
    seen: list[tuple[int, int]] = []
    run, _ = await r.run(
        apply=True, actor="test", progress=lambda done, total: seen.append((done, total))
    )
    assert (run.levels_checked, run.differences, run.repaired) == (60, 3, 3)
    assert seen[-1] == (60, 60)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert (await db.reads.verify()).clean


async def test_incoming_below_what_is_in_transit_is_raised_to_cover_it(db: Container) -> None:
    await history(db)
    async with db.bus.uow() as uow:  # as an adjustment wrote it before the rule on incoming
        after = await uow.levels.apply(X, Quantities(incoming=-2), T0)
        assert after is not None
        await uow.ledger.append(
            [
                StockAdjusted(
                    key=X,
                    delta=Quantities(incoming=-2),
                    after=after.quantities,
                    at=T0,
                    actor="test",
                )
            ]
        )
        await uow.commit()
    r = the_reconciler(db)
    run, _ = await r.run(apply=True, actor="test")
    assert await findings(db, run) == [("incoming", "A@x")]
    assert run.repaired == 1
    assert (await db.reads.verify()).clean
    assert (await r.run(apply=False, actor="test"))[0].clean


async def test_events_written_on_a_drifted_level_before_the_repair_are_explained_by_it(
    db: Container, raw: asyncpg.Connection
) -> None:
    """A hold taken on a level changed behind the ledger's back records the
    change in its `after`: `ledger verify` reports that chain until the
    reconciler's `reconcile.found` explains it."""
    await history(db)
    await raw.execute("UPDATE levels SET on_hand = on_hand + 5 WHERE sku = 'A' AND location = 'x'")
    await db.bus.handle(Reserve((LineRequest("A", 1, "x"),), channel="web"), ADMIN)
    checks = {d.check for d in (await db.reads.verify()).discrepancies}
    assert checks == {"replay", "chain"}
    await the_reconciler(db).run(apply=True, actor="test")
    assert (await db.reads.verify()).discrepancies == ()


async def test_repair_events_read_back_with_their_run_and_check(
    db: Container, raw: asyncpg.Connection
) -> None:

    await history(db)
    await raw.execute("UPDATE levels SET on_hand = on_hand + 2 WHERE sku = 'B'")
    await raw.execute(
        "UPDATE channel_stock SET outstanding = outstanding + 3 WHERE channel = 'amazon'"
    )
    run, _ = await the_reconciler(db).run(apply=True, actor="test")
    found = [
        r
        for r in await db.reads.events(0, 1000, EventFilter())
        if r.event.type.startswith("reconcile.")
    ]
    events = [r.event for r in found]
    assert [type(e) for e in events] == [DriftFound, ReconcileCorrected, ChannelCounterCorrected]
    drift, corrected, counter = events
    assert isinstance(drift, DriftFound)
    assert isinstance(corrected, ReconcileCorrected)
    assert (drift.reconciliation_id, drift.check, drift.delta.on_hand) == (run.id, "replay", 2)
    assert (corrected.reconciliation_id, corrected.delta.on_hand) == (run.id, -2)
    assert isinstance(counter, ChannelCounterCorrected)
    assert (counter.sku, counter.channel, counter.found, counter.restored) == ("A", "amazon", 6, 3)
    shown = document(found[1].seq, corrected)
    assert shown["data"] == {"reconciliation_id": run.id, "check": "replay"}
    assert shown["delta"] == {"on_hand": -2}


async def test_a_check_plugs_in_as_one_more_entry_and_sees_each_chunks_skus(
    db: Container, raw: asyncpg.Connection
) -> None:
    """The shape another check (channel drift) has: a name, a `find` over a
    chunk, a `repair` (or None); findings it reports count like any other."""
    await history(db)
    seen: list[list[str]] = []

    async def every_sku_b(conn: Any, scope: Scope, args: Sequence[Any]) -> list[Finding]:
        skus = await skus_in(conn, scope, args)
        seen.append(skus)
        return [replace(f, check="odd") for f in [finding_about(s) for s in skus if s == "B"]]

    r = the_reconciler(db)
    r.examiner.checks = (*CHECKS, Check("odd", every_sku_b, None))  # type: ignore[attr-defined]
    r.examiner.chunk_size = 1  # type: ignore[attr-defined]
    run, _ = await r.run(apply=True, actor="test")
    assert seen == [["A"], ["B"]]
    assert await findings(db, run) == [("odd", "B@x")]
    stored = await r.store.get(run.id)
    assert stored is not None
    assert (stored.repaired, stored.findings[0].repair_note) == (0, "this check only reports")


def finding_about(sku: str) -> Finding:
    return Finding("odd", sku, "x", None, f"{sku}@x", {"n": 1}, {"n": 2}, "odd one")
