"""`stockd events tail`: the event stream, live, in a terminal.

From NATS JetStream when STOCKD_NATS_URL is set (the relay's stream, through
an ordered consumer), else from the ledger (`following.follow`). One line per
event for people, or with `--json` one JSON document per line: the
CloudEvents document from NATS, the event as `GET /v1/events` shows it from
the ledger."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
import typer

from stockd.adapters.nats.jetstream import follow_stream
from stockd.bootstrap import Container
from stockd.config import Settings
from stockd.domain.cloudevents import subject_of
from stockd.domain.events import document, split_types
from stockd.entrypoints.cli.database import database, with_container
from stockd.entrypoints.cli.direct import fail
from stockd.entrypoints.cli.output import AsJson
from stockd.entrypoints.cli.settings import load as load_settings
from stockd.service.following import follow
from stockd.service.queries import EventFilter

app = typer.Typer(help="The event stream.", no_args_is_help=True)


@app.command("tail")
def tail(
    types: Annotated[
        list[str] | None,
        typer.Option(
            "--type",
            help="An event type, or a family such as order.*; repeat for more.",
        ),
    ] = None,
    sku: Annotated[str | None, typer.Option(help="Only events about this SKU.")] = None,
    start: Annotated[
        int | None,
        typer.Option("--from", min=0, help="Start after this seq (default: only new events)."),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Print events as they commit, until Ctrl-C: from NATS JetStream when
    STOCKD_NATS_URL is set, else from the ledger."""
    settings = load_settings()
    exact, families, unknown = split_types(types or ())
    if unknown:
        fail(
            f"unknown event type(s) {', '.join(repr(u) for u in unknown)}; give types such as"
            " 'reservation.created' or families such as 'order.*' (docs/events.md)"
        )
    only = EventFilter(exact, families, sku)
    with contextlib.suppress(KeyboardInterrupt):
        if settings.nats_url:
            asyncio.run(_print(_from_nats(settings, only, start, as_json)))
        else:
            with database(settings) as url:
                with_container(
                    settings, url, lambda c: _print(_from_ledger(c, only, start, as_json))
                )


async def _print(lines: AsyncIterator[str]) -> None:
    async for line in lines:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


async def _from_ledger(
    c: Container, only: EventFilter, start: int | None, as_json: bool
) -> AsyncIterator[str]:
    after = start if start is not None else await c.reads.ledger_head()
    async for page in follow(c.reads, c.watch, after, only=only):
        for record in page:
            encoded = orjson.dumps(document(record.seq, record.event), option=orjson.OPT_UTC_Z)
            yield encoded.decode() if as_json else line(orjson.loads(encoded))


async def _from_nats(
    settings: Settings, only: EventFilter, start: int | None, as_json: bool
) -> AsyncIterator[str]:
    assert settings.nats_url is not None
    async for _, body in follow_stream(
        settings.nats_url, settings.nats_stream, subject(only), start
    ):
        envelope = orjson.loads(body)
        event = envelope["data"]
        if _wanted(only, event):
            yield body.decode() if as_json else line(event)


def subject(only: EventFilter) -> str:
    """The subject to ask NATS for: one type or family narrows it there;
    several are picked out here (NATS 2.9 filters one subject a consumer)."""
    if len(only.types) + len(only.families) == 1:
        if only.types:
            return subject_of(next(iter(only.types)))
        return subject_of(next(iter(only.families))) + ".>"
    return subject_of(">")


def _wanted(only: EventFilter, event: dict[str, Any]) -> bool:
    kind = str(event["type"])
    if (only.types or only.families) and not (
        kind in only.types or kind.split(".", 1)[0] in only.families
    ):
        return False
    return only.sku is None or event["sku"] == only.sku


def line(event: dict[str, Any]) -> str:
    """One readable line: seq, time, type, SKU, location, what moved."""
    moved = " ".join(f"{state}{n:+d}" for state, n in (event.get("delta") or {}).items())
    parts = [
        str(event["seq"]),
        str(event["at"]),
        str(event["type"]),
        event.get("sku") or "-",
        event.get("location") or "-",
    ]
    return "  ".join([*parts, moved] if moved else parts)
