"""Checks on the (sku, quantity) lines of shipments, returns, transfers and sales."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from stockd import errors
from stockd.domain.catalog import Location, Sku
from stockd.domain.commands import SkuQuantity
from stockd.domain.quantities import Level, LevelKey
from stockd.service import overdue
from stockd.service.handlers import references
from stockd.service.ports import UnitOfWork


def unique_skus(lines: Sequence[SkuQuantity]) -> None:
    first: dict[str, int] = {}
    dupes = []
    for i, line in enumerate(lines):
        if first.setdefault(line.sku, i) != i:
            detail = f"same SKU {line.sku!r} as line {first[line.sku]}"
            dupes.append(errors.Issue(detail, f"lines[{i}].sku", i))
    if dupes:
        raise errors.DuplicateLines(*dupes, detail="each SKU may appear once; merge the quantities")


async def known_skus(uow: UnitOfWork, lines: Sequence[SkuQuantity]) -> dict[str, Sku]:
    """The SKUs of `lines`, which must all exist (else 422 unknown_reference).
    Archived ones are known: their stock may still be moved and returned."""
    found = await uow.catalog.skus({x.sku for x in lines})
    missing = references.missing_references([(x.sku, None) for x in lines], found, ())
    if missing:
        raise errors.UnknownReference(*missing, detail=references.unknown(missing))
    return found


async def sellable_skus(uow: UnitOfWork, lines: Sequence[SkuQuantity]) -> None:
    """`known_skus`, and none archived (else 422 naming them)."""
    problem = references.archived_skus([x.sku for x in lines], await known_skus(uow, lines))
    if problem is not None:
        raise problem


async def known_location(uow: UnitOfWork, location_id: str, field: str = "location") -> Location:
    """The location named by `field`, which must exist (else 422
    unknown_reference)."""
    found = (await uow.catalog.locations([location_id])).get(location_id)
    if found is None:
        raise errors.UnknownReference(errors.Issue(f"unknown location {location_id!r}", field))
    return found


async def usable_location(uow: UnitOfWork, location_id: str, field: str = "location") -> None:
    """The location named by `field` exists (else 422 unknown_reference), is
    not archived and is active (else 422 invalid_request)."""
    found = await known_location(uow, location_id, field)
    if found.archived:
        raise errors.InvalidRequest(errors.Issue(f"location {location_id!r} is archived", field))
    if not found.active:
        raise errors.InvalidRequest(errors.Issue(f"location {location_id!r} is inactive", field))


def not_before(expected_at: datetime, now: datetime, field: str = "expected_at") -> None:
    """An ETA may be later today, not on a day already past (UTC): else 422."""
    if expected_at.astimezone(UTC).date() < now.astimezone(UTC).date():
        raise errors.InvalidRequest(
            errors.Issue(
                f"{errors.timestamp(expected_at)} is before today ({now.astimezone(UTC).date()})",
                field,
            )
        )


def problem(index: int, code: str, detail: str) -> errors.ItemError:
    return errors.ItemError(index, code, detail)


def raise_beyond(problems: Sequence[errors.ItemError]) -> None:
    if problems:
        raise errors.BeyondRecorded(problems)


def require_available(
    levels: Mapping[LevelKey, Level], wanted: Mapping[LevelKey, int], what: str
) -> None:
    """Raise InsufficientStock unless every wanted level (locked) has the units
    free: never held units, never backorder allowance."""
    short = [
        errors.ShortLine(k.sku, k.location, q, _free(levels, k))
        for k, q in wanted.items()
        if _free(levels, k) < q
    ]
    if short:
        raise overdue.shortage(
            f"not enough available {what}: " + ", ".join(x.sku for x in short), short
        )


def _free(levels: Mapping[LevelKey, Level], key: LevelKey) -> int:
    level = levels.get(key)
    return 0 if level is None else level.available
