"""`stockd import skus|locations|levels FILE.csv`.

Each row is checked with the same schemas the API uses. Bad rows are reported
with their line numbers and skipped; good rows are kept. SKUs and locations
that exist are updated; level columns set the counted value of each state.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from stockd import errors
from stockd.bootstrap import Container
from stockd.domain.commands import (
    Adjust,
    Command,
    CreateLocation,
    CreateSku,
    UpdateLocation,
    UpdateSku,
)
from stockd.entrypoints.api.schemas.catalog import LocationCreate, SkuCreate
from stockd.entrypoints.api.schemas.stock import ChangeIn
from stockd.service.context import Context

LEVEL_STATES = ("on_hand", "damaged", "quality_control", "safety_stock", "incoming")
CHUNK = 500


class Kind(StrEnum):
    SKUS = "skus"
    LOCATIONS = "locations"
    LEVELS = "levels"


@dataclass
class Report:
    rows: int = 0
    imported: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, str]


def read_rows(path: Path) -> Iterator[Row]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        for values in reader:
            yield Row(
                reader.line_num, {k.strip(): (v or "").strip() for k, v in values.items() if k}
            )


def _typed(
    values: dict[str, str], ints: Sequence[str], floats: Sequence[str], bools: Sequence[str]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, raw in values.items():
        if raw == "":
            continue
        if key in ints:
            out[key] = int(raw)
        elif key in floats:
            out[key] = float(raw)
        elif key in bools:
            if raw.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(f"{key}: expected true or false, got {raw!r}")
            out[key] = raw.lower() in ("true", "1", "yes")
        else:
            out[key] = raw
    return out


def _problem(e: Exception) -> str:
    if isinstance(e, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'row'}: {err['msg']}" for err in e.errors()
        )
    return str(e)


def parse(kind: Kind, row: Row) -> BaseModel | list[ChangeIn]:
    """The row as API input, or a ValueError/ValidationError saying what is wrong."""
    if kind is Kind.SKUS:
        return SkuCreate.model_validate(_typed(row.values, ("backorder_cap",), (), ()))
    if kind is Kind.LOCATIONS:
        return LocationCreate.model_validate(
            _typed(row.values, ("priority",), ("lat", "lon"), ("active",))
        )
    values = _typed(row.values, LEVEL_STATES, (), ())
    unknown = set(values) - {"sku", "location", *LEVEL_STATES}
    if unknown:
        raise ValueError(f"unknown column(s) {', '.join(sorted(unknown))}")
    states = [s for s in LEVEL_STATES if s in values]
    if not states:
        raise ValueError(f"no quantity columns; give any of {', '.join(LEVEL_STATES)}")
    return [
        ChangeIn.model_validate(
            {
                "sku": values.get("sku", ""),
                "location": values.get("location", ""),
                "state": state,
                "set": values[state],
                "reason": "import",
            }
        )
        for state in states
    ]


async def run(
    container: Container, kind: Kind, path: Path, actor: str, progress: Any = None
) -> Report:
    report = Report()
    ctx = Context(actor=actor)
    pending: list[tuple[Row, list[ChangeIn]]] = []
    for row in read_rows(path):
        report.rows += 1
        try:
            parsed = parse(kind, row)
        except (ValueError, ValidationError) as e:
            report.bad.append((row.line, _problem(e)))
        else:
            if isinstance(parsed, list):
                pending.append((row, parsed))
                if len(pending) >= CHUNK:
                    await _levels(container, pending, ctx, report)
                    pending.clear()
            else:
                await _upsert(container, parsed, row, ctx, report)
        if progress is not None:
            progress()
    if pending:
        await _levels(container, pending, ctx, report)
    report.bad.sort()
    return report


async def _upsert(
    container: Container, parsed: BaseModel, row: Row, ctx: Context, report: Report
) -> None:
    create: Command
    update: Command
    # An existing row changes only in the columns the file has: a column left
    # out must not reset the field to the schema's default.
    if isinstance(parsed, SkuCreate):
        create = CreateSku(parsed.to_domain())
        update = UpdateSku(
            parsed.sku, {k: getattr(parsed, k) for k in parsed.model_fields_set if k != "sku"}
        )
    else:
        assert isinstance(parsed, LocationCreate)
        location = parsed.to_domain()
        create = CreateLocation(location)
        update = UpdateLocation(
            parsed.id,
            {k: getattr(location, k) for k in parsed.model_fields_set if k != "id"},
        )
    try:
        try:
            await container.bus.handle(create, ctx)
        except errors.AlreadyExists:
            await container.bus.handle(update, ctx)
    except errors.StockdError as e:
        report.bad.append((row.line, e.detail))
    else:
        report.imported += 1


async def _levels(
    container: Container, rows: list[tuple[Row, list[ChangeIn]]], ctx: Context, report: Report
) -> None:
    """Apply level rows, each all or nothing, with the outcome of applying
    them one after another (but in few transactions).

    The rows go in one atomic Adjust. If it is refused nothing applied, and
    the refusals name the failed rows. A failed row is bad and a passing row
    is good, unless it touches a level that an earlier failed (or unsure) row
    touched: the failed row's other changes were in effect when it was tried,
    so it is unsure and is tried again, after the good rows went in."""
    while rows:
        changes = tuple(c.to_domain() for _, cs in rows for c in cs)
        try:
            await container.bus.handle(Adjust(changes), ctx)
        except errors.BulkRejected as e:
            failed = _failed_rows(rows, e.items)
        else:
            report.imported += len(rows)
            return
        good: list[tuple[Row, list[ChangeIn]]] = []
        unsure: list[tuple[Row, list[ChangeIn]]] = []
        tainted: set[tuple[str, str]] = set()
        for i, (row, cs) in enumerate(rows):
            levels = {(c.sku, c.location) for c in cs}
            if levels & tainted:
                unsure.append((row, cs))
            elif i in failed:
                report.bad.append((row.line, failed[i]))
            else:
                good.append((row, cs))
                continue
            tainted |= levels
        # The first failed row is never unsure, so each round settles a row at least.
        await _levels(container, good, ctx, report)
        rows = unsure


def _failed_rows(
    rows: list[tuple[Row, list[ChangeIn]]], refusals: Sequence[errors.ItemError]
) -> dict[int, str]:
    """Row index -> why its first refused change was refused."""
    owner = [i for i, (_, cs) in enumerate(rows) for _ in cs]
    failed: dict[int, str] = {}
    for refusal in sorted(refusals, key=lambda r: r.index):
        failed.setdefault(owner[refusal.index], refusal.detail)
    return failed
