"""Stock reports from external sources: each policy settles conflicting
figures from the set of lines alone, whatever order they arrive in, with
movements after a line's `observed_at` kept on top."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stockd import errors
from stockd.adapters.clock import ManualClock
from stockd.bootstrap import Container, build_in_memory
from stockd.config import Settings
from stockd.domain.adjustments import Change
from stockd.domain.commands import (
    Adjust,
    Command,
    CountedLine,
    RecordCount,
    RecordSale,
    RegisterSource,
    ReportStock,
    SetReportPolicy,
    SkuQuantity,
)
from stockd.domain.corrections import Policy, ReportLine, Source
from stockd.domain.quantities import LevelKey, State
from stockd.service.handlers.reports import ReportResult
from tests.support import ADMIN, RESET, T0, race, seed

WINDOW = timedelta(minutes=5)
MAX_AGE = timedelta(days=7)
NOW = T0 + timedelta(days=1)
PRIORITY = {"pos": 1, "market": 2, "3pl": 3}
AT_POLICY = {"lww": Policy.LAST_WRITE_WINS, "prio": Policy.PRIORITY, "cons": Policy.CONSERVATIVE}

Sent = tuple[str, int, int]
"""A line as sent: source, quantity, seconds after T0 it was observed."""


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def report(source: str, *lines: tuple[str, str, int, int]) -> ReportStock:
    return ReportStock(
        source,
        tuple(ReportLine(source, LevelKey(s, loc), q, at(t)) for s, loc, q, t in lines),
        WINDOW,
        MAX_AGE,
    )


def oracle(lines: set[Sent], policy: Policy) -> Sent:
    """The standing line, as docs/counts-and-reports.md states the rules."""

    def later(x: Sent) -> tuple[int, int, int, str]:
        return (x[2], PRIORITY[x[0]], -x[1], x[0])

    latest = max(lines, key=later)
    if policy is Policy.LAST_WRITE_WINS:
        return latest
    near = [x for x in lines if x[2] >= latest[2] - WINDOW.total_seconds()]
    if policy is Policy.PRIORITY:
        return max(near, key=lambda x: (PRIORITY[x[0]], *later(x)))
    return max(near, key=lambda x: (-x[1], *later(x)))


async def prepare(c: Container, skus: list[str]) -> None:
    await seed(c.bus, skus=dict.fromkeys(skus, 0), locations=dict.fromkeys(AT_POLICY, 1))
    for source, priority in PRIORITY.items():
        # every source says last_write_wins: the locations' overrides decide here
        await c.bus.handle(
            RegisterSource(Source(source, priority, Policy.LAST_WRITE_WINS, T0)), ADMIN
        )
    for location, policy in AT_POLICY.items():
        await c.bus.handle(SetReportPolicy(location, policy), ADMIN)
    assert isinstance(c.clock, ManualClock)
    c.clock.set(NOW)


async def on_hand(c: Container, sku: str, location: str) -> int:
    [found] = await c.reads.levels(c.clock.now(), sku=sku, location=location, after=None, limit=1)
    return found.quantities.on_hand


sent_lines = st.lists(
    st.tuples(st.sampled_from(sorted(PRIORITY)), st.integers(0, 30), st.integers(0, 900)),
    min_size=1,
    max_size=7,
)


async def arrive_in_every_order(c: Container, lines: list[Sent], data: st.DataObject) -> None:
    """Send the lines (and some again: duplicates) in three orders, one SKU
    per order, each line to the three locations at once; a receipt of 3
    units, after every observed_at, lands somewhere among them."""
    again = data.draw(st.lists(st.sampled_from(lines), max_size=3), label="duplicates")
    arrivals = [*lines, *again]
    orders = [data.draw(st.permutations(arrivals), label=f"order {i}") for i in range(3)]
    receipts = [data.draw(st.integers(0, len(arrivals)), label=f"receipt {i}") for i in range(3)]
    skus = [f"P{i}" for i in range(3)]
    await prepare(c, skus)
    for sku, order, receipt in zip(skus, orders, receipts, strict=True):
        for step, (source, q, t) in enumerate(order):
            if step == receipt:
                await receive(c, sku, 3)
            result: ReportResult = await c.bus.handle(
                report(source, *((sku, loc, q, t) for loc in AT_POLICY)), ADMIN
            )
            assert {x.outcome for x in result.lines} <= {"applied", "superseded", "ignored"}
        if receipt == len(order):
            await receive(c, sku, 3)
    for location, policy in AT_POLICY.items():
        expected = oracle(set(lines), policy)[1] + 3
        found = [await on_hand(c, sku, location) for sku in skus]
        assert found == [expected] * 3, (location, found, expected)
    assert (await c.reads.verify()).clean


async def receive(c: Container, sku: str, units: int) -> None:
    changes = tuple(
        Change(LevelKey(sku, loc), State.ON_HAND, "receipt", delta=units) for loc in AT_POLICY
    )
    await c.bus.handle(Adjust(changes), ADMIN)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=sent_lines, data=st.data())
async def test_the_standing_figure_depends_on_the_policy_not_the_order_on_the_fake(
    lines: list[Sent], data: st.DataObject
) -> None:
    c = build_in_memory(Settings(env="test", _env_file=None), ManualClock(T0))  # type: ignore[call-arg]
    await arrive_in_every_order(c, lines, data)


@pytest.fixture
def pg(pg_container: Container) -> Container:
    return pg_container


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(lines=sent_lines, data=st.data())
async def test_the_standing_figure_depends_on_the_policy_not_the_order_on_postgres(
    pg: Container, lines: list[Sent], data: st.DataObject
) -> None:
    assert pg.pool is not None
    await pg.pool.execute(RESET)
    await arrive_in_every_order(pg, lines, data)


async def test_each_line_says_applied_superseded_or_ignored_and_why(backend: Container) -> None:
    await prepare(backend, ["A"])
    first = await backend.bus.handle(report("pos", ("A", "lww", 10, 100)), ADMIN)
    assert [(x.outcome, x.adjustment) for x in first.lines] == [("applied", 10)]
    assert "latest figure" in first.lines[0].why
    late = await backend.bus.handle(report("3pl", ("A", "lww", 4, 50)), ADMIN)
    assert late.lines[0].outcome == "superseded"
    assert "pos's figure of 10" in late.lines[0].why
    dup = await backend.bus.handle(report("pos", ("A", "lww", 10, 100)), ADMIN)
    assert (dup.lines[0].outcome, dup.lines[0].adjustment) == ("ignored", 0)
    assert dup.lines[0].why.startswith("duplicate")
    low = await backend.bus.handle(
        report("pos", ("A", "cons", 9, 100), ("A", "cons", 7, 90)), ADMIN
    )
    assert [x.outcome for x in low.lines] == ["applied", "applied"]
    high = await backend.bus.handle(report("3pl", ("A", "cons", 12, 110)), ADMIN)
    assert high.lines[0].outcome == "superseded"
    assert "lowest figure" in high.lines[0].why
    assert await on_hand(backend, "A", "cons") == 7
    assert (await backend.reads.verify()).clean


async def test_a_later_count_stands_against_an_older_report(backend: Container) -> None:
    await prepare(backend, ["A"])
    count = RecordCount("lww", at(200), (CountedLine("A", 5),), WINDOW, MAX_AGE)
    await backend.bus.handle(count, ADMIN)
    older = await backend.bus.handle(report("pos", ("A", "lww", 40, 150)), ADMIN)
    assert older.lines[0].outcome == "superseded"
    assert "the count of 5" in older.lines[0].why
    newer = await backend.bus.handle(report("pos", ("A", "lww", 40, 250)), ADMIN)
    assert newer.lines[0].outcome == "applied"
    assert await on_hand(backend, "A", "lww") == 40


async def test_unknown_sources_and_future_lines_are_refused_whole(backend: Container) -> None:
    await prepare(backend, ["A"])
    with pytest.raises(errors.UnknownReference, match="unknown source 'nobody'"):
        await backend.bus.handle(report("nobody", ("A", "lww", 1, 10)), ADMIN)
    future = int((NOW - T0).total_seconds()) + 60
    with pytest.raises(errors.InvalidRequest, match="in the future") as caught:
        await backend.bus.handle(report("pos", ("A", "lww", 1, 10), ("A", "lww", 2, future)), ADMIN)
    assert [i.field for i in caught.value.issues] == ["lines[1].observed_at"]
    found = await backend.reads.levels(NOW, sku="A", location="lww", after=None, limit=1)
    assert found == []  # not even the level the first line would have created
    with pytest.raises(errors.AlreadyExists):
        await backend.bus.handle(RegisterSource(Source("pos", 9, Policy.PRIORITY, T0)), ADMIN)


async def test_concurrent_reports_for_the_same_levels_serialise_without_deadlock(
    db: Container, raw: asyncpg.Connection
) -> None:
    await prepare(db, ["A", "B", "C"])
    before = await raw.fetchval(
        "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
    )
    rng = random.Random(11)
    sent: list[Sent] = [
        (rng.choice(sorted(PRIORITY)), rng.randint(0, 30), rng.randint(0, 900)) for _ in range(40)
    ]
    requests = []
    for source, q, t in sent:
        skus = ["A", "B", "C"]
        rng.shuffle(skus)  # lines in any order: the locks are taken sorted
        requests.append(report(source, *((s, "prio", q, t) for s in skus)))

    results = await race(len(requests), lambda i: db.bus.handle(requests[i], ADMIN))
    assert not [r for r in results if isinstance(r, BaseException)], results
    after = await raw.fetchval(
        "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
    )
    assert after == before
    expected = oracle(set(sent), Policy.PRIORITY)[1]
    assert [await on_hand(db, s, "prio") for s in ("A", "B", "C")] == [expected] * 3
    assert (await db.reads.verify()).clean


async def test_counts_reports_and_sales_racing_on_one_level_settle_on_the_latest(
    db: Container,
) -> None:
    await prepare(db, ["A"])
    await receive(db, "A", 50)  # at NOW: before every correction below
    assert isinstance(db.clock, ManualClock)
    db.clock.set(NOW + timedelta(minutes=30))
    later = int((NOW - T0).total_seconds())
    work: list[Command] = [
        RecordSale("lww", f"r{i}", (SkuQuantity("A", 1),), f"fp{i}") for i in range(10)
    ]
    work += [
        RecordCount("lww", at(later + 300), (CountedLine("A", 40),), WINDOW, MAX_AGE),
        report("pos", ("A", "lww", 35, later + 180)),
        report("market", ("A", "lww", 38, later + 420)),  # the latest correction: it anchors
        report("3pl", ("A", "lww", 90, later + 60)),
    ]
    rng = random.Random(5)
    rng.shuffle(work)
    results = await race(len(work), lambda i: db.bus.handle(work[i], ADMIN))
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert await on_hand(db, "A", "lww") == 38 - 10  # the sales came after every correction
    assert (await db.reads.verify()).clean
