"""`stockd count --location L FILE.csv`: a physical count from a CSV file,
straight on the database (as `stockd channels` does)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from stockd.bootstrap import Container
from stockd.domain.commands import CountedLine, RecordCount
from stockd.entrypoints.cli import csv_lines
from stockd.entrypoints.cli.direct import run
from stockd.entrypoints.cli.keys import actor
from stockd.entrypoints.cli.output import AsJson, console, print_json
from stockd.service.context import Context
from stockd.service.handlers.counts import CountResult

out = console()


def count(
    path: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV with columns sku,quantity.")
    ],
    location: Annotated[str, typer.Option(help="The location counted.")],
    counted_at: Annotated[
        str | None,
        typer.Option(help="When it was counted (RFC 3339 with offset); default: now."),
    ] = None,
    source: Annotated[str | None, typer.Option(help="Who counted (a team, a scanner).")] = None,
    show_expected: Annotated[
        bool, typer.Option(help="Show what stockd expected (the count is blind without it).")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Record a physical count: each SKU's on_hand becomes the counted figure
    as of --counted-at, with what moved since kept on top (all lines or
    none; docs/counts-and-reports.md)."""
    lines = _read(path)
    at = csv_lines.instant(counted_at, "--counted-at") if counted_at else datetime.now(UTC)

    async def work(c: Container) -> CountResult:
        cmd = RecordCount(
            location=location,
            counted_at=at,
            lines=lines,
            window=timedelta(seconds=c.settings.report_window_seconds),
            max_age=timedelta(hours=c.settings.correction_max_age_hours),
            source=source,
        )
        result: CountResult = await c.bus.handle(cmd, Context(actor=actor()))
        return result

    result: CountResult = run(work)
    rows = [
        {
            "sku": x.sku,
            "counted": x.counted,
            "outcome": x.outcome,
            **(
                {"expected": x.expected, "adjustment": x.adjustment, "short": x.short}
                if show_expected
                else {}
            ),
            "why": x.why,
        }
        for x in result.lines
    ]
    if as_json:
        print_json({"id": result.id, "location": result.location, "lines": rows})
        return
    table = Table(*rows[0].keys(), title=f"count {result.id} at {result.location}")
    for row in rows:
        table.add_row(*(str(v) for v in row.values()))
    out.print(table, markup=False)


def _read(path: Path) -> tuple[CountedLine, ...]:
    return csv_lines.bounded(
        [
            CountedLine(sku, csv_lines.whole_number(quantity, f"{path}: line {number}"))
            for number, (sku, quantity) in csv_lines.lines(path, ("sku", "quantity"))
        ],
        path,
        "count",
    )
