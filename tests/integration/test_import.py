"""`stockd import`, on the fake and on PostgreSQL: what a CSV changes, and how
its problems are reported."""

from __future__ import annotations

from pathlib import Path

from stockd.bootstrap import Container
from stockd.domain.catalog import PolicyKind, StockPolicy
from stockd.entrypoints.cli import importer
from stockd.entrypoints.cli.importer import Kind


async def run(backend: Container, kind: Kind, tmp_path: Path, text: str) -> importer.Report:
    path = tmp_path / f"{kind.value}.csv"
    path.write_text(text)
    return await importer.run(backend, kind, path, "test")


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
