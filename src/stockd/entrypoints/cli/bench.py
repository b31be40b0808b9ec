"""`stockd bench …`: benchmarks that print tables (figures are never asserted)."""

from __future__ import annotations

import os
import platform
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="Benchmarks.", no_args_is_help=True)
out = Console()


def machine() -> str:
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()},"
        f" {platform.system()} {platform.release()}"
    )


@app.command()
def quote(
    runs: Annotated[int, typer.Option(help="Timed runs per row.")] = 50,
) -> None:
    """Plan a 20-line order over 2,000 locations, in-process, every strategy."""
    from stockd.bench.quote import run

    rows = run(runs)
    table = Table(
        "stock layout", "step", "median ms", "p90 ms", title=f"quote planning ({machine()})"
    )
    for row in rows:
        table.add_row(row.scenario, row.strategy, f"{row.median_ms:.2f}", f"{row.p90_ms:.2f}")
    out.print(table)
