"""Checks on the (sku, quantity) lines of shipments, returns, transfers and sales."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from stockd import errors
from stockd.domain.catalog import Sku
from stockd.domain.commands import SkuQuantity
from stockd.domain.quantities import Level, LevelKey
from stockd.service import overdue
from stockd.service.handlers.references import archived_skus
from stockd.service.ports import UnitOfWork


def unique_skus(lines: Sequence[SkuQuantity]) -> None:
    first: dict[str, int] = {}
    dupes = []
    for i, line in enumerate(lines):
        if first.setdefault(line.sku, i) != i:
            dupes.append({"index": i, "detail": f"same SKU {line.sku!r} as line {first[line.sku]}"})
    if dupes:
        raise errors.DuplicateLines("each SKU may appear once; merge the quantities", errors=dupes)


async def known_skus(uow: UnitOfWork, lines: Sequence[SkuQuantity]) -> dict[str, Sku]:
    """The SKUs of `lines`, which must all exist (else 422 unknown_reference).
    Archived ones are known: their stock may still be moved and returned."""
    found = await uow.catalog.skus({x.sku for x in lines})
    missing = [
        {"index": i, "detail": f"unknown SKU {x.sku!r}"}
        for i, x in enumerate(lines)
        if x.sku not in found
    ]
    if missing:
        raise errors.UnknownReference(
            "; ".join(f"line {m['index']}: {m['detail']}" for m in missing), errors=missing
        )
    return found


async def sellable_skus(uow: UnitOfWork, lines: Sequence[SkuQuantity]) -> None:
    """`known_skus`, and none archived (else 422 naming them)."""
    problem = archived_skus((x.sku for x in lines), await known_skus(uow, lines))
    if problem is not None:
        raise problem


async def usable_location(uow: UnitOfWork, location_id: str, role: str = "location") -> None:
    """The location exists (else 422 unknown_reference), is not archived and
    is active (else 422)."""
    found = (await uow.catalog.locations([location_id])).get(location_id)
    if found is None:
        raise errors.UnknownReference(f"unknown {role} {location_id!r}")
    if found.archived:
        raise errors.InvalidRequest(f"{role} {location_id!r} is archived")
    if not found.active:
        raise errors.InvalidRequest(f"{role} {location_id!r} is inactive")


def problem(index: int, code: str, detail: str) -> dict[str, object]:
    return {"index": index, "code": code, "detail": detail}


def raise_beyond(problems: list[dict[str, object]]) -> None:
    if problems:
        raise errors.BeyondRecorded("; ".join(str(p["detail"]) for p in problems), errors=problems)


def require_available(
    levels: Mapping[LevelKey, Level], wanted: Mapping[LevelKey, int], what: str
) -> None:
    """Raise InsufficientStock unless every wanted level (locked) has the units
    free: never held units, never backorder allowance."""
    short = [
        {"sku": k.sku, "location": k.location, "requested": q, "available": _free(levels, k)}
        for k, q in wanted.items()
        if _free(levels, k) < q
    ]
    if short:
        raise overdue.shortage(
            f"not enough available {what}: " + ", ".join(str(s["sku"]) for s in short),
            short,
            (str(s["sku"]) for s in short),
        )


def _free(levels: Mapping[LevelKey, Level], key: LevelKey) -> int:
    level = levels.get(key)
    return 0 if level is None else level.available
