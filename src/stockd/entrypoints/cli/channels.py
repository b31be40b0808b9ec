"""`stockd channels list|create|pools|set-pools`: sales channels and a SKU's
pools, straight on the database (as `stockd keys` does)."""

from __future__ import annotations

import re
from typing import Annotated, Any, NoReturn

import typer
from rich.table import Table

from stockd import errors
from stockd.bootstrap import Container
from stockd.domain.channels import Channel, ChannelKind, PoolShare
from stockd.domain.commands import CreateChannel, SetChannelPools
from stockd.entrypoints.cli.database import database, with_container
from stockd.entrypoints.cli.keys import actor
from stockd.entrypoints.cli.output import AsJson, console, print_json
from stockd.entrypoints.cli.settings import load as load_settings
from stockd.service.channel_book import MAX_CHANNELS
from stockd.service.context import Context
from stockd.service.pools import SkuPools, sku_pools

app = typer.Typer(help="Sales channels and each SKU's channel pools.", no_args_is_help=True)
out = console()
err = console(stderr=True)

_POOL = re.compile(r"^(?P<channel>[^=]+)=(?P<number>\d{1,12})(?P<pct>%?)$")


@app.command("list")
def list_channels(as_json: AsJson = False) -> None:
    """List the channels, by id."""
    found = _run(lambda c: c.reads.channels(None, MAX_CHANNELS))
    if as_json:
        print_json([c.as_dict() for c in found])
        return
    table = Table("id", "name", "kind", "priority", "buffer %", "default %", "waterfall", "active")
    for c in found:
        table.add_row(
            c.id,
            c.name,
            c.kind.value,
            str(c.priority),
            str(c.safety_buffer_pct),
            "" if c.default_share_pct is None else str(c.default_share_pct),
            "yes" if c.waterfall else "no",
            "yes" if c.active else "no",
        )
    out.print(table, markup=False)


@app.command()
def create(
    channel_id: Annotated[str, typer.Argument(help="The channel's id (a code).")],
    name: Annotated[str, typer.Argument(help="Its name.")],
    kind: Annotated[ChannelKind, typer.Option(help="web, marketplace, store or other.")] = (
        ChannelKind.OTHER
    ),
    priority: Annotated[int, typer.Option(help="1 is the most important.")] = 1,
    buffer: Annotated[int, typer.Option(help="Safety buffer, percent (0-50).")] = 0,
    default_share: Annotated[
        int | None, typer.Option(help="Percent pool of SKUs without pools of their own.")
    ] = None,
    waterfall: Annotated[
        bool, typer.Option(help="May take from lower-priority channels' pools.")
    ] = True,
) -> None:
    """Create a channel."""
    try:
        channel = Channel(channel_id, name, kind, priority, buffer, default_share, waterfall)
    except ValueError as e:
        _fail(str(e))
    made = _run(lambda c: c.bus.handle(CreateChannel(channel), _context()))
    out.print(f"created channel {made.id}", markup=False, highlight=False)


@app.command()
def pools(
    sku: Annotated[str, typer.Argument(help="The SKU code.")], as_json: AsJson = False
) -> None:
    """A SKU's pools and the units each stands for now."""
    found = _run(lambda c: _pools(c, sku))
    _show(found, as_json)


@app.command("set-pools")
def set_pools(
    sku: Annotated[str, typer.Argument(help="The SKU code.")],
    given: Annotated[
        list[str] | None,
        typer.Argument(
            help="CHANNEL=N% (a share) or CHANNEL=N (fixed units), e.g. web=50% amazon=30%"
            " stores=20. None: back to the channels' default shares.",
            show_default=False,
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Replace a SKU's pools, all or nothing."""
    shares = []
    for text in given or []:
        found = _POOL.match(text)
        if found is None:
            _fail(f"{text!r}: write CHANNEL=N% for a share or CHANNEL=N for fixed units")
        number = int(found["number"])
        try:
            shares.append(
                PoolShare(found["channel"], share_pct=number)
                if found["pct"]
                else PoolShare(found["channel"], units=number)
            )
        except ValueError as e:
            _fail(f"{text!r}: {e}")

    async def work(c: Container) -> SkuPools:
        await c.bus.handle(SetChannelPools(sku, tuple(shares)), _context())
        return await _pools(c, sku)

    _show(_run(work), as_json)


async def _pools(c: Container, sku: str) -> SkuPools:
    found = await sku_pools(c.reads, sku)
    if found is None:
        raise errors.NotFound(f"SKU {sku!r} does not exist")
    return found


def _show(found: SkuPools, as_json: bool) -> None:
    document = found.as_dict()
    if as_json:
        print_json(document)
        return
    how = " (the channels' default shares)" if found.defaults else ""
    out.print(f"{found.sku}: {found.sellable} sellable{how}", markup=False, highlight=False)
    table = Table("channel", "share", "units now")
    for r in document["pools"]:
        share = f"{r['share_pct']}%" if r["share_pct"] is not None else f"{r['units']} fixed"
        table.add_row(r["channel"], share, str(r["resolved"]))
    table.add_row("(shared)", "", str(found.pools.shared))
    out.print(table, markup=False)


def _run(work: Any) -> Any:
    settings = load_settings()
    with database(settings) as url:
        try:
            return with_container(settings, url, work)
        except errors.StockdError as e:
            _fail(e.detail)


def _fail(message: str) -> NoReturn:
    err.print(message, markup=False, highlight=False)
    raise typer.Exit(1)


def _context() -> Context:
    return Context(actor=actor())
