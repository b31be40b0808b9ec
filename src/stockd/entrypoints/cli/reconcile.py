"""`stockd reconcile`: compare every level with what should explain it,
report each difference, and repair with `--apply`."""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from stockd import errors
from stockd.bootstrap import Container
from stockd.bootstrap import reconciler as build_reconciler
from stockd.domain.reconciliation import Finding, Run
from stockd.entrypoints.cli.database import database, with_container
from stockd.entrypoints.cli.output import AsJson, console
from stockd.entrypoints.cli.settings import load as load_settings
from stockd.service.reconciliation import Reconciler

out = console()
err = console(stderr=True)
PAGE = 1000
"""Findings read back from the store at a time (a report of any size is
printed in bounded memory)."""


def reconcile(
    apply: Annotated[
        bool, typer.Option("--apply", help="Repair what it finds (default: only report).")
    ] = False,
    sku: Annotated[
        list[str] | None,
        typer.Option("--sku", help="Only this SKU (repeat for more); default: every SKU."),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Compare the levels with the ledger, the holds, the orders, the transfers
    and the channels' counters; report every difference. Exit 1 when there
    were any (also with --apply, which reports what it repaired)."""
    settings = load_settings()
    actor = f"cli:{getpass.getuser()}"
    with (
        database(settings) as url,
        Progress(
            TextColumn("reconciling levels"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            disable=not err.is_terminal,  # a log or a pipe gets the report, not a bar
        ) as progress,
    ):
        task = progress.add_task("levels", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        async def work(c: Container) -> Run | str:
            found = build_reconciler(c)
            assert found is not None  # the CLI always runs over PostgreSQL
            try:
                run, _ = await found.run(
                    apply=apply, actor=actor, skus=sku or None, progress=advance
                )
            except errors.UnknownReference as e:
                return str(e)
            progress.stop()
            await _report(found, run, as_json)
            return run

        result = with_container(settings, url, work)
    if isinstance(result, str):
        err.print(f"stockd reconcile: {result}", markup=False, highlight=False)
        raise typer.Exit(2)
    if not result.clean:
        raise typer.Exit(1)


async def _findings(reconciler: Reconciler, run_id: str) -> AsyncIterator[Finding]:
    after = 0
    while True:
        page = await reconciler.store.get(run_id, after, PAGE)
        if page is None or not page.findings:
            return
        for f in page.findings:
            yield f
        after += len(page.findings)


async def _report(reconciler: Reconciler, run: Run, as_json: bool) -> None:
    if as_json:
        # Streamed: the findings are written as they are read back.
        head = json.dumps(run.as_dict(), indent=2, default=_rfc3339)
        sys.stdout.write(head[: head.rindex('"findings": [')] + '"findings": [')
        first = True
        async for f in _findings(reconciler, run.id):
            sys.stdout.write(("\n    " if first else ",\n    ") + json.dumps(f.as_dict()))
            first = False
        sys.stdout.write(("\n  " if not first else "") + "]\n}\n")
        return
    verb = "checked and repaired" if run.apply else "checked"
    out.print(
        f"reconcile {run.id}: {run.levels_checked} levels {verb}, {run.differences}"
        f" differences (discrepancy rate {_percent(run)}), {run.repaired} repaired",
        markup=False,
        highlight=False,
    )
    if run.clean:
        return
    table = Table(
        "check", "where", "expected", "actual", "detail", "events", "repair", title="differences"
    )
    async for f in _findings(reconciler, run.id):
        table.add_row(
            f.check,
            f.subject,
            _quantities(f.expected),
            _quantities(f.actual),
            f.detail,
            _seqs(f.seqs),
            ("repaired: " if f.repaired else "") + (f.repair_note or "-"),
        )
    out.print(table, markup=False, highlight=False)


def _rfc3339(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _percent(run: Run) -> str:
    return f"{float(run.discrepancy_rate) * 100:.4g}%"


def _quantities(q: Any) -> str:
    return ", ".join(f"{k} {v}" for k, v in q.items())


def _seqs(seqs: Sequence[int]) -> str:
    return ", ".join(str(s) for s in seqs) or "-"
