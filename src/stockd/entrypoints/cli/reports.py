"""`stockd sources add|list` and `stockd report --source S FILE.csv`: external
stock reports from the command line, straight on the database (as `stockd
count` does); the same rules as `POST /v1/sources` and
`POST /v1/stock-reports` (docs/counts-and-reports.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from stockd.bootstrap import Container
from stockd.domain.commands import RegisterSource, ReportStock
from stockd.domain.corrections import Policy, ReportLine, Source
from stockd.domain.quantities import LevelKey
from stockd.entrypoints.cli import csv_lines
from stockd.entrypoints.cli.direct import run
from stockd.entrypoints.cli.keys import actor
from stockd.entrypoints.cli.output import AsJson, console, print_json
from stockd.service import correction_queries
from stockd.service.context import Context
from stockd.service.handlers.reports import ReportResult

out = console()
HEADER = ("sku", "location", "quantity", "observed_at")

sources_app = typer.Typer(help="Sources of external stock reports.", no_args_is_help=True)


@sources_app.command("add")
def add(
    source_id: Annotated[str, typer.Argument(metavar="ID", help="The source's id (`pos-berlin`).")],
    priority: Annotated[int, typer.Option(help="Higher wins under the priority policy.")] = 0,
    policy: Annotated[
        Policy, typer.Option(help="How its figures settle against other sources'.")
    ] = Policy.LAST_WRITE_WINS,
    as_json: AsJson = False,
) -> None:
    """Register a source that may report figures."""

    async def work(c: Container) -> Source:
        cmd = RegisterSource(Source(source_id, priority, policy, datetime.now(UTC)))
        found: Source = await c.bus.handle(cmd, Context(actor=actor()))
        return found

    source: Source = run(work)
    if as_json:
        print_json(_source(source))
    else:
        out.print(f"source {source.id}: priority {source.priority}, {source.policy}", markup=False)


@sources_app.command("list")
def list_sources(as_json: AsJson = False) -> None:
    """Every registered source."""

    async def work(c: Container) -> list[Source]:
        return await correction_queries.sources(c.bus.uow)

    found: list[Source] = run(work)
    rows = [_source(s) for s in sorted(found, key=lambda s: s.id)]
    if as_json:
        print_json({"items": rows})
        return
    table = Table("id", "priority", "policy", "created_at", title="sources")
    for row in rows:
        table.add_row(*(str(v) for v in row.values()))
    out.print(table, markup=False)


def report(
    path: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, help="CSV with columns sku,location,quantity,observed_at."
        ),
    ],
    source: Annotated[str, typer.Option(help="The registered source that observed them.")],
    as_json: AsJson = False,
) -> None:
    """Record a stock report: each line's figure settles against the other
    sources' under the level's policy (applied, ignored or superseded, and
    why); all lines or none."""
    lines = _read(path, source)

    async def work(c: Container) -> ReportResult:
        cmd = ReportStock(
            source=source,
            lines=lines,
            window=timedelta(seconds=c.settings.report_window_seconds),
            max_age=timedelta(hours=c.settings.correction_max_age_hours),
        )
        result: ReportResult = await c.bus.handle(cmd, Context(actor=actor()))
        return result

    result: ReportResult = run(work)
    rows = [
        {
            "sku": x.line.key.sku,
            "location": x.line.key.location,
            "quantity": x.line.quantity,
            "outcome": x.outcome,
            "adjustment": x.adjustment,
            "on_hand": x.on_hand,
            "why": x.why,
        }
        for x in result.lines
    ]
    if as_json:
        print_json({"source": result.source, "lines": rows})
        return
    table = Table(*rows[0].keys(), title=f"report from {result.source}")
    for row in rows:
        table.add_row(*(str(v) for v in row.values()))
    out.print(table, markup=False)


def _source(s: Source) -> dict[str, object]:
    return {
        "id": s.id,
        "priority": s.priority,
        "policy": str(s.policy),
        "created_at": s.created_at.isoformat(),
    }


def _read(path: Path, source: str) -> tuple[ReportLine, ...]:
    return csv_lines.bounded(
        [
            ReportLine(
                source,
                LevelKey(sku, location),
                csv_lines.whole_number(quantity, f"{path}: line {number}"),
                csv_lines.instant(observed, f"line {number}: observed_at"),
            )
            for number, (sku, location, quantity, observed) in csv_lines.lines(path, HEADER)
        ],
        path,
        "report",
    )
