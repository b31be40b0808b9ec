"""`stockd import`, on the fake and on PostgreSQL: what a CSV changes, and how
its problems are reported."""

from __future__ import annotations

from pathlib import Path

from stockd.bootstrap import Container
from stockd.domain.catalog import PolicyKind, StockPolicy
from stockd.domain.quantities import Quantities
from stockd.entrypoints.cli import importer
from stockd.entrypoints.cli.importer import Kind
from tests.support import T0, seed


async def run(backend: Container, kind: Kind, tmp_path: Path, text: str) -> importer.Report:
    path = tmp_path / f"{kind.value}.csv"
    path.write_text(text)
    return await importer.run(backend, kind, path, "test")


async def quantities(backend: Container, sku: str, location: str) -> Quantities | None:
    levels = await backend.reads.levels(T0, sku=sku, location=location, after=None, limit=10)
    return levels[0].quantities if levels else None


async def test_a_sku_import_without_policy_columns_keeps_the_policy(
    backend: Container, tmp_path: Path
) -> None:
    first = await run(
        backend,
        Kind.SKUS,
        tmp_path,
        "sku,product_id,name,policy,backorder_cap\nA,P,A,backorder,5\n",
    )
    assert (first.imported, first.bad) == (1, [])
    again = await run(backend, Kind.SKUS, tmp_path, "sku,product_id,name\nA,P,Renamed\n")
    assert (again.imported, again.bad) == (1, [])
    sku = await backend.reads.sku("A")
    assert sku is not None
    assert sku.name == "Renamed"
    assert sku.policy == StockPolicy(PolicyKind.BACKORDER, 5)


async def test_a_sku_import_switching_to_deny_drops_the_cap(
    backend: Container, tmp_path: Path
) -> None:
    await run(
        backend,
        Kind.SKUS,
        tmp_path,
        "sku,product_id,name,policy,backorder_cap\nA,P,A,backorder,5\n",
    )
    report = await run(
        backend, Kind.SKUS, tmp_path, "sku,product_id,name,policy,backorder_cap\nA,P,A,deny,\n"
    )
    assert report.bad == []
    sku = await backend.reads.sku("A")
    assert sku is not None
    assert sku.policy == StockPolicy()


async def test_a_level_row_is_all_or_nothing_and_good_rows_still_apply(
    backend: Container, tmp_path: Path
) -> None:
    await seed(backend.bus, skus={"A": 0, "B": 0}, locations={"x": 1})
    report = await run(
        backend,
        Kind.LEVELS,
        tmp_path,
        "sku,location,on_hand,safety_stock\n"
        "A,x,10,\n"  # good
        "A,x,0,20\n"  # bad as a whole: its on_hand must not apply
        "A,x,,5\n"  # good given the rows before it that applied
        "B,x,7,1\n",  # good
    )
    assert [line for line, _ in report.bad] == [3]
    assert report.imported == 3
    a = await quantities(backend, "A", "x")
    assert a is not None
    assert (a.on_hand, a.safety_stock) == (10, 5)
    b = await quantities(backend, "B", "x")
    assert b is not None
    assert (b.on_hand, b.safety_stock) == (7, 1)
    assert (await backend.reads.verify()).clean


async def test_a_level_row_that_fails_alone_leaves_its_level_untouched(
    backend: Container, tmp_path: Path
) -> None:
    await seed(backend.bus, skus={"A": 0}, locations={"x": 1})
    report = await run(
        backend, Kind.LEVELS, tmp_path, "sku,location,on_hand,safety_stock\nA,x,10,20\n"
    )
    assert [line for line, _ in report.bad] == [2]
    assert report.imported == 0
    assert await quantities(backend, "A", "x") in (None, Quantities())
    events = await backend.reads.events(0, 10, sku="A", location=None)
    assert events == []
