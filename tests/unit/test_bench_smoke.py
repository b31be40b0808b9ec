"""The quote benchmark runs (its figures are recorded in docs, never asserted)."""

from stockd.bench.quote import run
from stockd.domain.allocation import STRATEGIES


def test_the_quote_benchmark_times_every_strategy_and_the_baseline() -> None:
    rows = run(runs=2, n_locations=60)
    steps = {row.strategy for row in rows}
    assert set(STRATEGIES) <= steps
    assert "naive priority (baseline)" in steps
    assert all(row.median_ms >= 0 for row in rows)
