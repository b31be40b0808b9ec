"""`stockd webhooks list|create|show|update|delete|rotate-secret|deliveries|replay`:
webhook subscriptions and their deliveries, straight on the database (as
`stockd channels` does)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import typer
from rich.table import Table

from stockd.bootstrap import Container
from stockd.domain.commands import (
    CreateWebhook,
    DeleteWebhook,
    ReplayWebhook,
    RotateWebhookSecret,
    UpdateWebhook,
)
from stockd.domain.webhooks import Webhook
from stockd.entrypoints.cli.direct import fail, run
from stockd.entrypoints.cli.keys import actor
from stockd.entrypoints.cli.output import AsJson, console, print_json
from stockd.service.context import Context
from stockd.service.webhooks import MAX_WEBHOOKS, Webhooks

app = typer.Typer(help="Webhook subscriptions and their deliveries.", no_args_is_help=True)
out = console()

WebhookArg = Annotated[str, typer.Argument(help="The webhook's id (wh_…).")]
EventsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--event",
        "-e",
        help="An event type to send (repeat): ledger types, families as order.*,"
        " stock.out_of_stock, stock.back_in_stock, stock.low, availability.changed.",
    ),
]
Status = Literal["pending", "failed", "delivered", "dead"]


def _hooks(c: Container) -> Webhooks:
    if c.webhooks is None:
        raise RuntimeError("webhooks need PostgreSQL")
    return c.webhooks


def _context() -> Context:
    return Context(actor=actor())


def _print(webhook: Webhook, as_json: bool, secret: str | None = None) -> None:
    document = webhook.as_dict() | ({"secret": secret} if secret else {})
    if as_json:
        print_json(document)
        return
    for name, value in document.items():
        out.print(f"{name}: {value}", markup=False, highlight=False)


@app.command("list")
def list_webhooks(as_json: AsJson = False) -> None:
    """List the subscriptions."""
    found = run(lambda c: _hooks(c).store.page(None, MAX_WEBHOOKS))
    if as_json:
        print_json([w.as_dict() for w in found])
        return
    table = Table("id", "url", "events", "channel", "active")
    for w in found:
        table.add_row(w.id, w.url, ",".join(w.events), w.channel or "", "yes" if w.active else "no")
    out.print(table, markup=False)


@app.command()
def create(
    url: Annotated[str, typer.Argument(help="Where to POST (http or https).")],
    events: EventsOpt = None,
    channel: Annotated[str | None, typer.Option(help="Figures for this channel.")] = None,
    sku: Annotated[list[str] | None, typer.Option(help="Only this SKU (repeat).")] = None,
    low_stock_threshold: Annotated[int | None, typer.Option(min=1)] = None,
    description: Annotated[str | None, typer.Option()] = None,
    as_json: AsJson = False,
) -> None:
    """Subscribe an endpoint; prints its signing secret (shown only now)."""
    webhook = Webhook(
        id="",
        url=url,
        events=tuple(events or ()),
        channel=channel,
        skus=tuple(sku) if sku else None,
        low_stock_threshold=low_stock_threshold,
        description=description,
    )

    async def work(c: Container) -> tuple[Webhook, str]:
        await _hooks(c).check_url(url)
        made: tuple[Webhook, str] = await c.bus.handle(CreateWebhook(webhook), _context())
        return made

    made, secret = run(work)
    _print(made, as_json, secret)


@app.command()
def show(webhook_id: WebhookArg, as_json: AsJson = False) -> None:
    """One subscription."""
    _print(run(lambda c: _hooks(c).get(webhook_id)), as_json)


@app.command()
def update(
    webhook_id: WebhookArg,
    url: Annotated[str | None, typer.Option(help="A new URL.")] = None,
    events: EventsOpt = None,
    active: Annotated[
        bool | None, typer.Option("--active/--paused", help="Send, or hold messages back.")
    ] = None,
    low_stock_threshold: Annotated[int | None, typer.Option(min=1)] = None,
    as_json: AsJson = False,
) -> None:
    """Change a subscription (only what is given)."""
    fields: dict[str, Any] = {}
    if url is not None:
        fields["url"] = url
    if events:
        fields["events"] = tuple(events)
    if active is not None:
        fields["active"] = active
    if low_stock_threshold is not None:
        fields["low_stock_threshold"] = low_stock_threshold

    async def work(c: Container) -> Webhook:
        if url is not None:
            await _hooks(c).check_url(url)
        saved: Webhook = await c.bus.handle(UpdateWebhook(webhook_id, fields), _context())
        return saved

    _print(run(work), as_json)


@app.command()
def delete(webhook_id: WebhookArg) -> None:
    """Unsubscribe (its delivery log goes too)."""
    run(lambda c: c.bus.handle(DeleteWebhook(webhook_id), _context()))
    out.print(f"deleted webhook {webhook_id}", markup=False, highlight=False)


@app.command("rotate-secret")
def rotate_secret(webhook_id: WebhookArg) -> None:
    """A new signing secret (the old one signs beside it for the grace period)."""
    secret = run(
        lambda c: c.bus.handle(
            RotateWebhookSecret(webhook_id, _hooks(c).policy.secret_grace_seconds), _context()
        )
    )
    out.print(secret, markup=False, highlight=False)


@app.command()
def deliveries(
    webhook_id: WebhookArg,
    status: Annotated[Status | None, typer.Option(help="Only this status.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    as_json: AsJson = False,
) -> None:
    """Its latest deliveries, newest first."""
    found = run(lambda c: _hooks(c).deliveries(webhook_id, status, None, limit))
    if as_json:
        print_json(
            [
                {k: getattr(d, k) for k in d.__dataclass_fields__ if k != "payload"}
                | {"payload": d.payload}
                for d in found
            ]
        )
        return
    table = Table("id", "message", "type", "sku", "status", "attempts", "last status", "error")
    for d in found:
        table.add_row(
            str(d.id),
            d.message_id,
            d.type,
            d.sku or "",
            d.status,
            str(d.attempts),
            "" if d.last_status is None else str(d.last_status),
            d.last_error or "",
        )
    out.print(table, markup=False)


@app.command()
def replay(
    webhook_id: WebhookArg,
    from_seq: Annotated[
        int | None, typer.Option(min=0, help="Every message from this ledger event on.")
    ] = None,
) -> None:
    """Send again: the dead letters, or every message from --from-seq on."""
    what = "dead letters" if from_seq is None else f"messages from seq {from_seq} on"
    queued = run(lambda c: c.bus.handle(ReplayWebhook(webhook_id, from_seq), _context()))
    if queued == 0 and from_seq is None:
        fail("no dead letters to replay")
    out.print(f"queued {queued} {what}", markup=False, highlight=False)
