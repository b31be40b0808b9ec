"""The level invariants are one rule in three places: the domain
(`Quantities.violations`), the conditions the write statements use
(`levels.keeps_invariants`, built from the `AVAILABLE` formula) and the
table's CHECK constraints. Random quantities must get the same verdict from
all three."""

from __future__ import annotations

import asyncpg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stockd.adapters.postgres.levels import keeps_invariants
from stockd.adapters.postgres.rows import COUNTERS
from stockd.domain.quantities import AVAILABLE, FOR_SALE, Quantities

counter = st.integers(min_value=-3, max_value=12)
quantities = st.builds(Quantities, *(counter for _ in COUNTERS))
floors = st.sampled_from([0, -2, -5])


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(q=quantities, floor=floors)
async def test_the_store_and_the_domain_agree_on_every_invariant(
    raw: asyncpg.Connection, q: Quantities, floor: int
) -> None:
    values = {c: str(getattr(q, c)) for c in COUNTERS}
    sql_verdict = await raw.fetchval(f"SELECT {keeps_invariants(values, str(floor))}")
    async with raw.transaction():
        await raw.execute(
            "CREATE TEMP TABLE IF NOT EXISTS level_checks (LIKE levels INCLUDING CONSTRAINTS)"
            " ON COMMIT DELETE ROWS"
        )
    try:
        async with raw.transaction():
            await raw.execute(
                f"INSERT INTO level_checks (sku, location, {', '.join(COUNTERS)},"
                " floor, version, updated_at)"
                f" VALUES ('A', 'x', {', '.join(values[c] for c in COUNTERS)}, $1, 1, now())",
                floor,
            )
        table_verdict = True
    except asyncpg.CheckViolationError:
        table_verdict = False
    domain_verdict = not q.violations(floor)
    assert sql_verdict == table_verdict == domain_verdict


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=quantities)
async def test_derived_quantities_are_the_same_in_python_and_sql(
    raw: asyncpg.Connection, q: Quantities
) -> None:
    values = {c: str(getattr(q, c)) for c in COUNTERS}
    available, for_sale = await raw.fetchrow(
        f"SELECT {AVAILABLE.sql(values.__getitem__)}, {FOR_SALE.sql(values.__getitem__)}"
    )
    assert (available, for_sale) == (q.available, q.for_sale)
