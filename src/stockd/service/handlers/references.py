"""Checking that the SKUs and locations a request names exist (and, for
new holds, orders and sales, are not archived)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from stockd import errors
from stockd.domain.catalog import Sku
from stockd.errors import Issue
from stockd.service.ports import UnitOfWork


async def unknown_references(
    uow: UnitOfWork, refs: Sequence[tuple[str, str | None]], items: str
) -> list[Issue]:
    """Each SKU or location of the (sku, location) pairs that names something
    missing, with the field that names it (`{items}[i].sku`)."""
    skus = await uow.catalog.skus({sku for sku, _ in refs})
    locations = await uow.catalog.locations({loc for _, loc in refs if loc is not None})
    return missing_references(refs, skus, locations, items)


def missing_references(
    refs: Sequence[tuple[str, str | None]],
    skus: Collection[str],
    locations: Collection[str],
    items: str = "lines",
) -> list[Issue]:
    """`unknown_references` against SKUs and locations already looked up."""
    missing: list[Issue] = []
    for index, (sku, location) in enumerate(refs):
        if sku not in skus:
            missing.append(Issue(f"unknown SKU {sku!r}", f"{items}[{index}].sku", index))
        if location is not None and location not in locations:
            missing.append(
                Issue(f"unknown location {location!r}", f"{items}[{index}].location", index)
            )
    return missing


def unknown(issues: Sequence[Issue]) -> str:
    """The problem's summary of unknown references: `line 2: unknown SKU 'X'; …`."""
    return "; ".join(f"line {i.index}: {i.detail}" for i in issues[:10])


def archived_skus(
    codes: Sequence[str], skus: Mapping[str, Sku], items: str = "lines"
) -> errors.InvalidRequest | None:
    """A 422 naming each line whose SKU (in `skus`) is archived, if any."""
    archived = [
        Issue(f"SKU {code!r} is archived: no longer held, ordered or sold", f"{items}[{i}].sku", i)
        for i, code in enumerate(codes)
        if skus[code].archived
    ]
    return errors.InvalidRequest(*archived) if archived else None
