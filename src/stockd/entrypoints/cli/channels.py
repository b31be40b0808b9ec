"""`stockd channels list|create|pools|set-pools|availability|feed|rebalance`:
sales channels, a SKU's pools, what a channel may sell, its feed and
rebalancing, straight on the database (as `stockd keys` does)."""

from __future__ import annotations

import re
from typing import Annotated

import typer
from rich.table import Table

from stockd import errors
from stockd.bootstrap import Container, rebalance_policy
from stockd.domain.channels import Channel, ChannelKind, PoolShare
from stockd.domain.commands import CreateChannel, SetChannelPools
from stockd.entrypoints.cli.direct import fail, run
from stockd.entrypoints.cli.keys import actor
from stockd.entrypoints.cli.output import AsJson, console, print_json
from stockd.service.channel_book import MAX_CHANNELS
from stockd.service.context import Context
from stockd.service.feed import FeedCursor, feed_page
from stockd.service.pools import SkuPools, channel_availability, sku_pools

app = typer.Typer(help="Sales channels and each SKU's channel pools.", no_args_is_help=True)
out = console()

_POOL = re.compile(r"^(?P<channel>[^=]+)=(?P<number>\d{1,12})(?P<pct>%?)$")


@app.command("list")
def list_channels(as_json: AsJson = False) -> None:
    """List the channels, by id."""
    found = run(lambda c: c.reads.channels(None, MAX_CHANNELS))
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
        fail(str(e))
    made = run(lambda c: c.bus.handle(CreateChannel(channel), _context()))
    out.print(f"created channel {made.id}", markup=False, highlight=False)


@app.command()
def pools(
    sku: Annotated[str, typer.Argument(help="The SKU code.")], as_json: AsJson = False
) -> None:
    """A SKU's pools and the units each stands for now."""
    found = run(lambda c: _pools(c, sku))
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
            fail(f"{text!r}: write CHANNEL=N% for a share or CHANNEL=N for fixed units")
        number = int(found["number"])
        try:
            shares.append(
                PoolShare(found["channel"], share_pct=number)
                if found["pct"]
                else PoolShare(found["channel"], units=number)
            )
        except ValueError as e:
            fail(f"{text!r}: {e}")

    async def work(c: Container) -> SkuPools:
        await c.bus.handle(SetChannelPools(sku, tuple(shares)), _context())
        return await _pools(c, sku)

    _show(run(work), as_json)


@app.command()
def availability(
    channel_id: Annotated[str, typer.Argument(help="The channel's id.")],
    sku: Annotated[str, typer.Argument(help="The SKU code.")],
    as_json: AsJson = False,
) -> None:
    """What the channel may sell of the SKU now, and what it is shown."""
    found = run(lambda c: channel_availability(c.reads, c.availability, channel_id, sku))
    if as_json:
        print_json(found.as_dict())
        return
    a = found.allowance
    out.print(
        f"{channel_id} / {sku}: sellable {found.sellable}, advertised {found.advertised}"
        f" (own pool {a.pool}: {a.outstanding} out, {a.free} free;"
        f" shared free {a.shared_free}; borrowable {a.borrowable})",
        markup=False,
        highlight=False,
    )


@app.command()
def feed(
    channel_id: Annotated[str, typer.Argument(help="The channel's id.")],
    cursor: Annotated[
        str | None, typer.Option(help="The cursor the last page printed (none: from the start).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    as_json: AsJson = False,
) -> None:
    """One page of the channel's availability feed, and the cursor to poll with next."""
    page = run(
        lambda c: feed_page(
            c.reads,
            c.availability,
            channel_id,
            None if cursor is None else FeedCursor.parse(cursor),
            limit,
        )
    )
    items = [
        {
            "sku": x.figure.sku,
            "advertised": x.figure.advertised,
            "sellable": x.figure.sellable,
            "seq": x.seq,
        }
        for x in page.items
    ]
    if as_json:
        print_json({"items": items, "next_cursor": page.next.token()})
        return
    table = Table("sku", "advertised", "sellable", "seq")
    for x in items:
        table.add_row(x["sku"], str(x["advertised"]), str(x["sellable"]), str(x["seq"]))
    if items:
        out.print(table, markup=False)
    out.print(f"next cursor: {page.next.token()}", markup=False, highlight=False)


@app.command("rebalance")
def rebalance_pools(
    sku: Annotated[
        list[str] | None, typer.Option(help="Only this SKU (repeat); default: all with pools.")
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="Say what would move; move nothing.")] = False,
    as_json: AsJson = False,
) -> None:
    """Split percentage pools again by sales velocity where a channel runs short."""
    report = run(
        lambda c: c.bus.handle(
            rebalance_policy(c.settings).command(sku, dry_run=dry_run), _context()
        )
    )
    if as_json:
        print_json(report.as_dict())
        return
    verb = "would move" if dry_run else "moved"
    out.print(
        f"{report.checked} SKUs checked, {report.short} short of a pool;"
        f" {verb} {sum(1 for m in report.moves if m.applied or dry_run)}",
        markup=False,
        highlight=False,
    )
    table = Table("sku", "before", "after", "sold in window")
    for m in report.moves:
        table.add_row(
            m.sku,
            _shares(m.before),
            _shares(m.after),
            " ".join(f"{c}={n}" for c, n in m.velocities.items()),
        )
    if report.moves:
        out.print(table, markup=False)


def _shares(shares: tuple[PoolShare, ...]) -> str:
    return " ".join(
        f"{p.channel}={p.share_pct}%" if p.share_pct is not None else f"{p.channel}={p.units}"
        for p in shares
    )


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


def _context() -> Context:
    return Context(actor=actor())
