"""The `stockd` command: serve, db, keys, channels, webhooks, import, ledger, events, status,
worker."""

from __future__ import annotations

import asyncio
import getpass
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from stockd import __version__
from stockd.adapters.postgres import migrate
from stockd.bootstrap import Container
from stockd.entrypoints.cli import (
    bench,
    channels,
    events,
    importer,
    keys,
    reconcile,
    reports,
    serve,
    webhooks,
)
from stockd.entrypoints.cli import counts as counting
from stockd.entrypoints.cli.database import database, redacted, with_container
from stockd.entrypoints.cli.output import AsJson, console, print_json
from stockd.entrypoints.cli.settings import load as load_settings
from stockd.entrypoints.cli.signals import exit_cleanly_on_signals

app = typer.Typer(help="stockd: the inventory service that never oversells.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
ledger_app = typer.Typer(help="The stock ledger.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys.app, name="keys")
app.add_typer(channels.app, name="channels")
app.add_typer(webhooks.app, name="webhooks")
app.add_typer(ledger_app, name="ledger")
app.add_typer(events.app, name="events")
app.add_typer(reports.sources_app, name="sources")
app.add_typer(bench.app, name="bench")
out = console()
err = console(stderr=True)


def _print_version(asked: bool) -> None:
    if asked:
        print(__version__)
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        # Eager: answered while the arguments are parsed, before click asks
        # for the command that `stockd --version` alone does not name.
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print the version."
        ),
    ] = False,
) -> None:
    load_settings()  # every command refuses bad settings before it starts anything
    exit_cleanly_on_signals()


app.command()(serve.serve)
app.command()(serve.worker)
app.command("count")(counting.count)
app.command("report")(reports.report)
app.command()(reconcile.reconcile)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the schema migrations (also done by `serve`)."""
    settings = load_settings()
    with database(settings) as url:
        revision = asyncio.run(migrate.current_revision(url))
        out.print(f"database {redacted(url)} is at revision {revision}")


@app.command("import")
def import_csv(
    kind: Annotated[importer.Kind, typer.Argument(help="What the file holds.")],
    path: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="A CSV file with a header row.")
    ],
    as_json: AsJson = False,
) -> None:
    """Import SKUs, locations or levels from CSV; bad rows are reported by line.

    \b
    skus:      sku,product_id,name
               [,policy,backorder_cap]
    locations: id,name
               [,type,region,lat,lon,priority,active,ships,pickup,
                shipping_cost_fixed,shipping_cost_per_km_unit]
    levels:    sku,location and any of
               on_hand,damaged,quality_control,safety_stock,incoming

    Existing SKUs and locations change only in the columns the file has; an
    empty cell leaves that field as it is (or at its default when new). Level
    cells are counts: each sets that state. A level row applies whole or not
    at all. Column names ignore case ("On Hand" is on_hand). A wrong header
    imports nothing; otherwise bad rows are skipped and the good ones kept.
    Exits 1 when the header or any row was bad."""
    settings = load_settings()
    try:
        importer.check(kind, path)
    except importer.BadHeader as e:
        err.print(f"stockd: {path}: {e}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    total = importer.count_rows(path)
    actor = f"cli:{getpass.getuser()}"
    with (
        database(settings) as url,
        Progress(
            TextColumn(f"importing {kind.value}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err,
            disable=not err.is_terminal,  # a log or a pipe gets the report, not a bar
        ) as progress,
    ):
        task = progress.add_task("rows", total=total)
        report = with_container(
            settings,
            url,
            lambda c: importer.run(c, kind, path, actor, lambda: progress.advance(task)),
        )
    if as_json:
        print_json(
            {
                "kind": kind.value,
                "rows": report.rows,
                "imported": report.imported,
                "bad": [{"line": line, "problem": problem} for line, problem in report.bad],
            }
        )
    else:
        out.print(f"{report.imported} of {report.rows} rows imported, {len(report.bad)} bad")
        for line, problem in report.bad:
            out.print(f"  line {line}: {problem}", markup=False, highlight=False)
    if report.bad:
        raise typer.Exit(1)


@ledger_app.command("verify")
def ledger_verify(as_json: AsJson = False) -> None:
    """Replay the ledger against the levels and the holds; exit 1 on any discrepancy."""
    settings = load_settings()
    with database(settings) as url:
        report = with_container(settings, url, lambda c: c.reads.verify())
    if as_json:
        print_json(
            {
                "clean": report.clean,
                "events": report.events,
                "levels": report.levels,
                "discrepancies": [
                    {"check": d.check, "level": d.subject, "detail": d.detail}
                    for d in report.discrepancies
                ],
            }
        )
        if not report.clean:
            raise typer.Exit(1)
        return
    if report.clean:
        out.print(f"ledger verify: {report.events} events, {report.levels} levels: clean")
        return
    table = Table("check", "level", "discrepancy", title="ledger verify: discrepancies")
    for d in report.discrepancies:
        table.add_row(d.check, d.subject, d.detail)
    out.print(table)
    out.print(f"{len(report.discrepancies)} discrepancies over {report.events} events")
    raise typer.Exit(1)


@app.command()
def status(as_json: AsJson = False) -> None:
    """What the service holds: database, schema, counts, ledger head."""
    settings = load_settings()

    async def work(c: Container) -> dict[str, int]:
        stats = await c.reads.stats(c.clock.now())
        stats["api_keys"] = await c.keys.count_active()
        return stats

    with database(settings) as url:
        stats = with_container(settings, url, work)
        revision = asyncio.run(migrate.current_revision(url))
    if as_json:
        print_json(
            {
                "stockd": __version__,
                "database": redacted(url),
                "schema": revision,
                "latest_schema": migrate.head(),
                **stats,
            }
        )
        return
    table = Table("", "", show_header=False)
    table.add_row("stockd", __version__)
    table.add_row("database", redacted(url))
    table.add_row("schema", f"{revision} (latest {migrate.head()})")
    for name, value in stats.items():
        table.add_row(name.replace("_", " "), str(value))
    out.print(table, markup=False)
