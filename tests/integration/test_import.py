"""`stockd import`, on the fake and on PostgreSQL: what a CSV changes, and how
its problems are reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from stockd.bootstrap import Container
from stockd.domain.catalog import PolicyKind, ShippingCost, StockPolicy
from stockd.domain.quantities import Quantities
from stockd.entrypoints.cli import importer
from stockd.entrypoints.cli.importer import Kind
from stockd.service.queries import EventFilter
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
    movements = await backend.reads.events(
        0, 10, EventFilter(sku="A", families=frozenset({"stock"}))
    )
    assert movements == []


async def test_locations_carry_what_allocation_uses(backend: Container, tmp_path: Path) -> None:
    report = await run(
        backend,
        Kind.LOCATIONS,
        tmp_path,
        "id,name,type,lat,lon,ships,pickup,shipping_cost_fixed,shipping_cost_per_km_unit\n"
        "berlin,Berlin DC,warehouse,52.52,13.405,true,false,4.5,0.002\n"
        "shop,Shop,store,52.5,13.4,yes,yes,1,0\n",
    )
    assert report.bad == []
    berlin = await backend.reads.location("berlin")
    assert berlin is not None
    assert (berlin.ships, berlin.pickup) == (True, False)
    assert berlin.shipping_cost == ShippingCost(4.5, 0.002)
    shop = await backend.reads.location("shop")
    assert shop is not None
    assert (shop.ships, shop.pickup, shop.shipping_cost) == (True, True, ShippingCost(1, 0))

    # Columns left out change nothing.
    await run(backend, Kind.LOCATIONS, tmp_path, "id,name,priority\nberlin,Berlin,7\n")
    berlin = await backend.reads.location("berlin")
    assert berlin is not None
    assert (berlin.name, berlin.priority, berlin.ships, berlin.pickup) == (
        "Berlin",
        7,
        True,
        False,
    )
    assert berlin.shipping_cost == ShippingCost(4.5, 0.002)


@pytest.mark.parametrize(
    ("kind", "header", "problem"),
    [
        (
            Kind.SKUS,
            "SKU,Product_ID,title",
            'unknown column "title"; missing column "name"',
        ),
        (
            Kind.LEVELS,
            "sku,location,onhand",
            'unknown column "onhand" (did you mean "on_hand"?); give at least one of'
            " on_hand, damaged, quality_control, safety_stock, incoming",
        ),
        (
            Kind.LOCATIONS,
            "id,name,shipping_cost_fixed",
            '"shipping_cost_fixed" needs "shipping_cost_per_km_unit" beside it',
        ),
        (Kind.SKUS, "sku,sku,product_id,name", 'column "sku" appears twice'),
        (Kind.SKUS, "", "the file is empty; its first line must name the columns"),
    ],
)
async def test_a_wrong_header_is_reported_once_in_the_files_own_words(
    backend: Container, tmp_path: Path, kind: Kind, header: str, problem: str
) -> None:
    rows = "".join("\nA,P,Name" for _ in range(5)) if header else ""
    with pytest.raises(importer.BadHeader) as raised:
        await run(backend, kind, tmp_path, header + rows)
    assert str(raised.value) == problem
    assert await backend.reads.skus(None, 10) == []


async def test_bad_cells_are_reported_in_plain_words_by_column(
    backend: Container, tmp_path: Path
) -> None:
    await seed(backend.bus, skus={"A": 0}, locations={"x": 1})
    levels = await run(
        backend,
        Kind.LEVELS,
        tmp_path,
        "sku,location,On Hand,damaged\nA,x,abc,\nA,x,-3,\nA,x,1.5,\nA,x,4,2\n,x,4,\n",
    )
    assert levels.bad == [
        (2, 'On Hand: "abc" is not a whole number'),
        (3, "On Hand: must be at least 0, not -3"),
        (4, 'On Hand: "1.5" is not a whole number'),
        (6, "sku: a value is required"),
    ]
    assert levels.imported == 1
    locations = await run(
        backend,
        Kind.LOCATIONS,
        tmp_path,
        "id,name,lat,lon,active,priority\na,A,north,1,true,1\nb,B,1,1,maybe,1\nc,C,1,1,true,-1\n",
    )
    assert locations.bad == [
        (2, 'lat: "north" is not a number'),
        (3, 'active: "maybe" is not true or false'),
        (4, "priority: must be at least 0, not -1"),
    ]
