"""`stockd import skus|locations|levels FILE.csv`.

The header is checked first (import_columns); a wrong one imports nothing.
Each row is then checked with the same schemas the API uses. Bad rows are
reported with their line numbers and skipped; good rows are kept. SKUs and
locations that exist are updated in the columns the file has; level columns
set the counted value of each state, and a level row applies whole or not at
all.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

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
from stockd.entrypoints.cli.import_columns import (
    LEVEL_STATES,
    BadCell,
    BadHeader,
    Header,
    Kind,
    check_header,
    read_cells,
)
from stockd.entrypoints.cli.wording import refusal
from stockd.service.context import Context

__all__ = ["BadHeader", "Kind", "Report", "check", "count_rows", "run"]

CHUNK = 500
M = TypeVar("M", SkuCreate, LocationCreate)


@dataclass
class Report:
    rows: int = 0
    imported: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Row:
    line: int
    cells: list[str]


def check(kind: Kind, path: Path) -> Header:
    """The file's header, or BadHeader."""
    with path.open(newline="", encoding="utf-8-sig") as f:
        return check_header(kind, next(csv.reader(f), None))


def read_rows(path: Path) -> Iterator[Row]:
    """The rows after the header; rows with nothing in them are skipped."""
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        next(reader, None)
        for cells in reader:
            if any(c.strip() for c in cells):
                yield Row(reader.line_num, cells)


def count_rows(path: Path) -> int:
    return sum(1 for _ in read_rows(path))


def parse(kind: Kind, header: Header, row: Row) -> SkuCreate | LocationCreate | list[ChangeIn]:
    """The row as API input, or BadCell saying what is wrong in the file's words."""
    values = read_cells(kind, header, row.cells)
    if kind is Kind.SKUS:
        return _validated(SkuCreate, values, header)
    if kind is Kind.LOCATIONS:
        return _validated(LocationCreate, _nest_shipping_cost(values, header), header)
    states = [s for s in LEVEL_STATES if s in values]
    if not states:
        raise BadCell(f"no quantity given; fill in any of {', '.join(LEVEL_STATES)}")
    changes, problems = [], []
    for state in states:
        change: dict[str, Any] = {"state": state, "set": values[state], "reason": "import"}
        change |= {k: values[k] for k in ("sku", "location") if k in values}
        try:
            changes.append(ChangeIn.model_validate(change))
        except ValidationError as e:
            # `set` is the state's own column in the file.
            problems += _explain(e, header, {"set": state})
    if problems:
        raise BadCell("; ".join(dict.fromkeys(problems)))
    return changes


def _validated(model: type[M], values: dict[str, Any], header: Header) -> M:
    try:
        return model.model_validate(values)
    except ValidationError as e:
        raise BadCell("; ".join(_explain(e, header))) from None


def _explain(
    e: ValidationError, header: Header, renamed: dict[str, str] | None = None
) -> list[str]:
    """Each problem, prefixed with its column as the file spells it; a
    nested field (`shipping_cost.fixed`) is its flattened column."""
    problems = []
    for error in e.errors():
        name = "_".join(str(part) for part in error["loc"])
        name = (renamed or {}).get(name, name)
        problems.append(f"{header.spelling(name)}: {refusal(error)}" if name else refusal(error))
    return problems


def _nest_shipping_cost(values: dict[str, Any], header: Header) -> dict[str, Any]:
    """The two shipping-cost columns as the API's `shipping_cost` object."""
    fixed = values.pop("shipping_cost_fixed", None)
    per_km_unit = values.pop("shipping_cost_per_km_unit", None)
    if (fixed is None) != (per_km_unit is None):
        raise BadCell(
            f"give both {header.spelling('shipping_cost_fixed')} and"
            f" {header.spelling('shipping_cost_per_km_unit')}, or neither"
        )
    if fixed is not None:
        values["shipping_cost"] = {"fixed": fixed, "per_km_unit": per_km_unit}
    return values


async def run(
    container: Container, kind: Kind, path: Path, actor: str, progress: Any = None
) -> Report:
    """Import the file; BadHeader (before anything changes) if its header is wrong."""
    header = check(kind, path)
    report = Report()
    ctx = Context(actor=actor)
    pending: list[tuple[Row, list[ChangeIn]]] = []
    for row in read_rows(path):
        report.rows += 1
        try:
            parsed = parse(kind, header, row)
        except BadCell as e:
            report.bad.append((row.line, str(e)))
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
    container: Container, parsed: SkuCreate | LocationCreate, row: Row, ctx: Context, report: Report
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
    for item in sorted(refusals, key=lambda r: r.index):
        failed.setdefault(owner[item.index], item.detail)
    return failed
