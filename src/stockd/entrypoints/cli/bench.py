"""`stockd bench …`: benchmarks that print tables (figures are never asserted)."""

from __future__ import annotations

import os
import platform
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from stockd.entrypoints.cli.output import AsJson, console, print_json

app = typer.Typer(help="Benchmarks.", no_args_is_help=True)
out = console()
err = console(stderr=True)


def machine() -> str:
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()},"
        f" {platform.system()} {platform.release()}"
    )


@app.command()
def quote(
    runs: Annotated[int, typer.Option(min=2, help="Timed runs per row (at least 2).")] = 50,
    as_json: AsJson = False,
) -> None:
    """Plan a 20-line order over 2,000 locations, in-process, every strategy."""
    from stockd.bench.quote import run

    rows = run(runs)
    if as_json:
        print_json({"machine": machine(), "rows": [asdict(row) for row in rows]})
        return
    table = Table(
        "stock layout", "step", "median ms", "p90 ms", title=f"quote planning ({machine()})"
    )
    for row in rows:
        table.add_row(row.scenario, row.strategy, f"{row.median_ms:.2f}", f"{row.p90_ms:.2f}")
    out.print(table)


@app.command("run")
def run_workloads(
    workload: Annotated[
        list[str] | None,
        typer.Option(
            "--workload",
            "-w",
            help="flash_sale, flash_sale_channel, flash_sale_exact, spread, mixed, reads.",
        ),
    ] = None,
    seconds: Annotated[int, typer.Option(help="Seconds per run.")] = 15,
    processes: Annotated[int, typer.Option(help="Server worker processes (both systems).")] = 2,
    connections: Annotated[int, typer.Option(help="Concurrent HTTP connections.")] = 64,
    skus: Annotated[
        int, typer.Option(help="SKUs for spread/mixed/reads (x 10 locations).")
    ] = 100_000,
    markdown: Annotated[
        Path | None, typer.Option(help="Also write the table as Markdown to this file.")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """stockd against naive, occ_retry and for_update baselines, over HTTP with wrk."""
    from stockd.bench.data import Shape
    from stockd.bench.run import WORKLOADS, run

    chosen = tuple(workload or WORKLOADS)
    # With --json, stdout carries the document alone; progress goes to stderr.
    say = err.print if as_json else out.print
    rows = run(chosen, seconds, processes, connections, Shape(skus=skus), say=say)
    if as_json:
        print_json({"machine": machine(), "rows": [asdict(row) for row in rows]})
    header = (
        "workload",
        "system",
        "rate",
        "stockd ×",
        "p50 ms",
        "p99 ms",
        "max ms",
        "errors",
        "oversold",
        "ledger",
        "wrk cpu",
        "notes",
    )
    title = f"stockd bench ({machine()}, {processes} server processes, {connections} connections)"
    table = Table(*header, title=title)
    lines = []
    for row in rows:
        ours = next(r for r in rows if r.workload == row.workload and r.system == "stockd")
        ratio = f"{ours.rate / row.rate:.1f}x" if row.system != "stockd" and row.rate else ""
        cells = (
            row.workload,
            row.system,
            f"{row.rate:,.0f} {row.unit}" if row.rate else row.unit,
            ratio,
            f"{row.p50_ms:.1f}",
            f"{row.p99_ms:.1f}",
            f"{row.max_ms:.0f}",
            str(row.errors),
            "" if row.oversold is None else str(row.oversold),
            row.ledger,
            f"{row.generator_cpu:.2f}",
            "; ".join(row.notes),
        )
        table.add_row(*cells)
        lines.append("| " + " | ".join(cells) + " |")
    if not as_json:
        # On a terminal, wider than most on purpose: the notes would fold into many lines.
        (Console(width=220) if out.is_terminal else out).print(table)
    if markdown is not None:
        markdown.write_text(
            f"{title}\n\n| {' | '.join(header)} |\n|{'---|' * len(header)}\n"
            + "\n".join(lines)
            + "\n"
        )


@app.command()
def atp(
    variants: Annotated[int, typer.Option(min=1, help="Variants of the one product.")] = 5_000,
    transfers: Annotated[
        int, typer.Option(min=0, help="Transfers in flight of the measured variant.")
    ] = 20,
    purchase_orders: Annotated[
        int, typer.Option(min=0, help="Open purchase orders with the measured variant.")
    ] = 200,
    weeks: Annotated[int, typer.Option(min=1, help="Weeks of capacity in each pool.")] = 52,
    requests: Annotated[int, typer.Option(min=10, help="Timed requests of each kind.")] = 2_000,
    as_json: AsJson = False,
) -> None:
    """ATP and a promise for one variant of a product with VARIANTS variants,
    beside its availability, over HTTP (one `stockd serve`, on a database of
    its own: STOCKD_BENCH_SERVER_URL, or an embedded server)."""
    from stockd.bench.atp import Shape, run

    say = err.print if as_json else out.print
    shape = Shape(
        variants=variants, transfers=transfers, purchase_orders=purchase_orders, weeks=weeks
    )
    rows, loaded = run(shape, requests, say=say)
    if as_json:
        print_json(
            {
                "machine": machine(),
                "shape": asdict(shape),
                "load_seconds": loaded,
                "rows": [asdict(r) for r in rows],
            }
        )
        return
    table = Table(
        "request",
        "requests",
        "p50 ms",
        "p99 ms",
        "max ms",
        "mean ms",
        title=f"ATP and promise, {variants:,} variants, one at a time ({machine()})",
    )
    for r in rows:
        table.add_row(
            r.request,
            str(r.requests),
            f"{r.p50_ms:.2f}",
            f"{r.p99_ms:.2f}",
            f"{r.max_ms:.1f}",
            f"{r.mean_ms:.2f}",
        )
    out.print(table)


@app.command()
def staleness(
    changes: Annotated[int, typer.Option(min=10, help="Changes made and timed.")] = 300,
    as_json: AsJson = False,
) -> None:
    """Two nodes with the read caches on (PostgreSQL, Redis): how long a
    change through one takes to be seen through the other."""
    from stockd.bench.staleness import run

    say = err.print if as_json else out.print
    found = run(changes, say=say)
    if as_json:
        print_json({"machine": machine(), **asdict(found)})
        return
    table = Table(
        "changes",
        "p50 ms",
        "p99 ms",
        "max ms",
        "reads / change",
        "B's lag p50 ≤ ms",
        title=f"staleness across two nodes ({machine()})",
    )
    table.add_row(
        str(found.changes),
        f"{found.p50_ms:.1f}",
        f"{found.p99_ms:.1f}",
        f"{found.max_ms:.1f}",
        f"{found.reads_per_change:.1f}",
        "" if found.lag_p50_ms is None else f"{found.lag_p50_ms:g}",
    )
    out.print(table)


@app.command()
def relay(
    server_url: Annotated[
        str,
        typer.Option(
            envvar="STOCKD_BENCH_SERVER_URL", help="A PostgreSQL server to create a database on."
        ),
    ],
    nats_url: Annotated[
        str, typer.Option(envvar="STOCKD_NATS_URL", help="NATS with JetStream.")
    ] = "nats://127.0.0.1:4222",
    rate: Annotated[float, typer.Option(min=1, help="Events offered per second.")] = 1000,
    seconds: Annotated[float, typer.Option(min=1, help="How long to offer them.")] = 20,
    as_json: AsJson = False,
) -> None:
    """Commit → JetStream consumer latency through `stockd worker relay`."""
    import asyncio

    from stockd.bench.relay import measure

    row = asyncio.run(measure(server_url, nats_url, rate, seconds))
    if as_json:
        print_json({"machine": machine(), **asdict(row)})
        return
    table = Table(
        "offered/s",
        "achieved/s",
        "events",
        "received",
        "p50 ms",
        "p99 ms",
        "max ms",
        title=f"relay: commit → JetStream consumer ({machine()})",
    )
    table.add_row(
        f"{row.offered_per_second:.0f}",
        f"{row.achieved_per_second:.0f}",
        str(row.events),
        str(row.received),
        f"{row.p50_ms:.1f}",
        f"{row.p99_ms:.1f}",
        f"{row.max_ms:.1f}",
    )
    out.print(table)


@app.command()
def reconcile(
    levels: Annotated[int, typer.Option(min=10, help="Levels to build (SKUs × 10 locations).")] = (
        1_000_000
    ),
    drift_every: Annotated[
        int, typer.Option(min=1, help="One level in this many is changed behind the ledger.")
    ] = 1000,
    as_json: AsJson = False,
) -> None:
    """Time `stockd reconcile` (report, --apply, report) over LEVELS levels
    built in SQL, on a database of its own (STOCKD_BENCH_SERVER_URL, or an
    embedded server)."""
    from stockd.bench.reconcile import run

    drifted, loaded, rows = run(levels, drift_every)
    if as_json:
        print_json(
            {
                "machine": machine(),
                "drifted": drifted,
                "load_seconds": loaded,
                "rows": [asdict(r) for r in rows],
            }
        )
        return
    table = Table(
        "run",
        "levels",
        "differences",
        "repaired",
        "seconds",
        "levels/s",
        "peak RSS MB",
        "exit",
        title=f"stockd reconcile over {levels:,} levels, {drifted} drifted ({machine()})",
    )
    for r in rows:
        table.add_row(
            r.mode,
            f"{r.levels:,}",
            str(r.differences),
            str(r.repaired),
            f"{r.seconds:.1f}",
            f"{r.levels_per_second:,.0f}",
            f"{r.peak_rss_mb:.0f}",
            str(r.exit_code),
        )
    out.print(table)
    out.print(f"loaded in {loaded:.1f}s")
