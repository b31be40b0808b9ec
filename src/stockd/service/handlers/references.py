"""Checking that the SKUs and locations a request names exist (and, for
new holds, orders and sales, are not archived)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence

from stockd import errors
from stockd.domain.catalog import Sku
from stockd.service.ports import UnitOfWork


async def unknown_references(
    uow: UnitOfWork, refs: Sequence[tuple[str, str | None]]
) -> dict[int, str]:
    """For each (sku, location) pair that names something missing, by index, why."""
    skus = await uow.catalog.skus({sku for sku, _ in refs})
    locations = await uow.catalog.locations({loc for _, loc in refs if loc is not None})
    return missing_references(refs, skus, locations)


def missing_references(
    refs: Sequence[tuple[str, str | None]], skus: Collection[str], locations: Collection[str]
) -> dict[int, str]:
    """`unknown_references` against SKUs and locations already looked up."""
    missing: dict[int, str] = {}
    for index, (sku, location) in enumerate(refs):
        problems = []
        if sku not in skus:
            problems.append(f"unknown SKU {sku!r}")
        if location is not None and location not in locations:
            problems.append(f"unknown location {location!r}")
        if problems:
            missing[index] = " and ".join(problems)
    return missing


def archived_skus(codes: Iterable[str], skus: Mapping[str, Sku]) -> errors.InvalidRequest | None:
    """A 422 naming the archived SKUs among `codes` (all in `skus`), if any."""
    archived = sorted({code for code in codes if skus[code].archived})
    if not archived:
        return None
    return errors.InvalidRequest(
        f"SKU(s) {', '.join(archived)} are archived: no longer held, ordered or sold",
        skus=archived,
    )
