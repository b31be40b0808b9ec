"""Monitoring's service-layer parts over the in-memory fakes: refusals
counted where they are decided, holds counted once per hold, the store's
figures read at most once a second, and a scrape that answers while the
store does not."""

from __future__ import annotations

import asyncio
import dataclasses

import httpx
import pytest
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from stockd import errors
from stockd.adapters.clock import SystemClock
from stockd.adapters.memory import MemoryStore
from stockd.adapters.memory.monitoring import MemoryFigures, MemoryHoldMetrics
from stockd.adapters.prometheus import (
    HOLDS_EXPIRED,
    HOLDS_GRANTED,
    LATENCY_BUCKETS,
    RequestFigures,
    count_committed,
    exposition,
)
from stockd.bootstrap import build_in_memory, message_bus
from stockd.config import Settings
from stockd.domain.commands import LineRequest, Reserve
from stockd.domain.events import ReservationExpired, Reserved, StockAdjusted
from stockd.domain.quantities import LevelKey, Quantities
from stockd.entrypoints.api.app import create_app
from stockd.service.monitoring import CachedFigures
from stockd.service.ports import StoreFigures
from stockd.service.readiness import Dependency, check_all
from tests.support import ADMIN, T0, seed


@pytest.mark.parametrize("batch", [1, 64])
async def test_refusals_are_counted_by_code_with_or_without_group_commit(batch: int) -> None:
    store, metrics = MemoryStore(), MemoryHoldMetrics()
    settings = Settings(group_commit_max_batch=batch, _env_file=None)  # type: ignore[call-arg]
    bus = message_bus(store.uow, settings, SystemClock(), metrics)
    await seed(bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 2})
    await bus.handle(Reserve((LineRequest("A", 2),)), ADMIN)
    for sku in ("A", "A", "NOPE"):
        with pytest.raises(errors.StockdError):
            await bus.handle(Reserve((LineRequest(sku, 1),)), ADMIN)
    assert metrics.refusals == {"insufficient_stock": 2, "unknown_reference": 1}
    assert sum(metrics.batches) == (4 if batch > 1 else 0), "each hold decided in one batch"


def test_a_hold_of_several_lines_is_counted_once() -> None:
    def moved(kind: type[Reserved] | type[ReservationExpired], hold: str, sku: str) -> object:
        q = Quantities(reserved=1)
        return kind(at=T0, actor="t", reservation_id=hold, key=LevelKey(sku, "x"), delta=q, after=q)

    granted, expired = HOLDS_GRANTED._value.get(), HOLDS_EXPIRED._value.get()
    adjusted = StockAdjusted(
        at=T0, actor="t", key=LevelKey("A", "x"), delta=Quantities(), after=Quantities()
    )
    count_committed(
        [
            moved(Reserved, "r1", "A"),
            moved(Reserved, "r1", "B"),
            moved(Reserved, "r2", "A"),
            adjusted,
        ]  # type: ignore[list-item]
    )
    count_committed([moved(ReservationExpired, "r0", "A"), moved(ReservationExpired, "r0", "B")])  # type: ignore[list-item]
    assert HOLDS_GRANTED._value.get() - granted == 2
    assert HOLDS_EXPIRED._value.get() - expired == 1


class Counting:
    def __init__(self, figures: StoreFigures | None = None) -> None:
        self.reads = 0
        self.answer = figures

    async def figures(self) -> StoreFigures:
        self.reads += 1
        if self.answer is None:
            raise ConnectionRefusedError("the database is down")
        return self.answer


FIGURES = StoreFigures(
    ledger_head=7,
    relay_cursors={"nats": 5},
    webhook_cursors={},
    deliveries={},
    oversold_units=0,
    discrepancy_rate=None,
)


async def test_the_stores_figures_are_read_at_most_once_a_second() -> None:
    reader = Counting(FIGURES)
    cached = CachedFigures(reader, ttl=0.2)
    found = await asyncio.gather(*(cached.get() for _ in range(5)))
    assert found == [FIGURES] * 5
    assert reader.reads == 1
    await asyncio.sleep(0.25)
    await cached.get()
    assert reader.reads == 2


async def test_a_store_that_does_not_answer_in_time_gives_no_figures() -> None:
    class Slow:
        async def figures(self) -> StoreFigures:
            await asyncio.sleep(10)
            raise AssertionError("not reached")

    assert await CachedFigures(Slow(), timeout=0.05).get() is None


async def test_a_scrape_while_the_store_is_down_still_answers_without_its_figures() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    container = build_in_memory(settings)
    down = dataclasses.replace(container, figures=CachedFigures(Counting(None)))
    up = dataclasses.replace(container, figures=CachedFigures(MemoryFigures(MemoryStore()), ttl=0))

    async def scrape(c: object) -> dict[str, float]:
        app = create_app(c, workers=False)  # type: ignore[arg-type]
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            r = await client.get("/metrics")
        assert r.status_code == 200
        return {
            s.name: s.value
            for family in text_string_to_metric_families(r.text)
            for s in family.samples
            if not s.labels
        }

    figures = await scrape(down)
    assert figures["stockd_store_up"] == 0
    assert "stockd_ledger_head_seq" not in figures
    assert "stockd_units_oversold" not in figures
    figures = await scrape(up)
    assert figures["stockd_store_up"] == 1
    assert figures["stockd_units_oversold"] == 0


async def test_readyz_is_503_while_a_required_dependency_is_down() -> None:
    async def refused() -> str:
        raise ConnectionRefusedError("connection refused")

    async def answers() -> str:
        return "PONG"

    async def hangs() -> str:
        await asyncio.sleep(10)
        return "late"

    container = build_in_memory(Settings(_env_file=None))  # type: ignore[call-arg]
    down = dataclasses.replace(
        container,
        dependencies=(
            Dependency("database", True, refused),
            Dependency("redis", False, answers),
        ),
    )
    app = create_app(down, workers=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        r = await client.get("/readyz")
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["status"] == "down"
    assert "ConnectionRefusedError" in body["checks"]["database"]["detail"]
    assert body["checks"]["redis"]["status"] == "ok"

    [slow] = await check_all([Dependency("nats", False, hangs)], within=0.05)
    assert (slow.ok, slow.detail) == (False, "no answer within 0.05s")


def test_requests_gathered_then_flushed_read_as_if_each_were_observed() -> None:
    """`RequestFigures` adds its counts and durations to the request metrics
    as `Counter.inc` and `Histogram.observe` per request would: the same
    buckets (a duration on a bound falls in that bound's bucket), count and
    sum; a second flush adds nothing."""
    durations = [0.0004, 0.001, 0.0011, 0.003, 0.003, 0.2, 7.0, 42.0]
    reference = CollectorRegistry()
    observed = Histogram("d", "d", buckets=LATENCY_BUCKETS, registry=reference)
    for seconds in durations:
        observed.observe(seconds)
    figures = RequestFigures()
    for seconds in durations:
        figures.record("GET", "/flushed", 200, seconds)
    figures.record("GET", "/flushed", 404, 0.01)

    def samples(text: str, name: str) -> dict[str, float]:
        """`suffix le=… status=…` → value, for route `/flushed` (or unlabelled)."""
        return {
            " ".join(
                [s.name.removeprefix(name)]
                + [f"{k}={v}" for k, v in sorted(s.labels.items()) if k in ("le", "status")]
            ): s.value
            for family in text_string_to_metric_families(text)
            if family.name == name
            for s in family.samples
            if s.labels.get("route", "/flushed") == "/flushed" and not s.name.endswith("_created")
        }

    assert samples(exposition().decode(), "stockd_http_requests") == {}
    figures.flush()
    after = exposition().decode()
    assert samples(after, "stockd_http_requests") == {
        "_total status=200": 8,
        "_total status=404": 1,
    }
    flushed = samples(after, "stockd_http_request_duration_seconds")
    want = samples(generate_latest(reference).decode(), "d")
    assert {k: v for k, v in flushed.items() if k.startswith("_bucket")} == {
        k: v + (1 if float(k.split("=")[1]) >= 0.01 else 0)  # the 404's 10 ms
        for k, v in want.items()
        if k.startswith("_bucket")
    }
    assert flushed["_count"] == want["_count"] + 1
    assert flushed["_sum"] == pytest.approx(want["_sum"] + 0.01)
    figures.flush()
    assert exposition().decode() == after
