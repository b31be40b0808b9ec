"""`stockd keys create|list|revoke`."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer
from rich.table import Table

from stockd import errors
from stockd.bootstrap import Container
from stockd.domain.commands import RevokeApiKey
from stockd.entrypoints.cli.database import database, with_container
from stockd.entrypoints.cli.output import AsJson, console, print_json
from stockd.entrypoints.cli.settings import load as load_settings
from stockd.service.auth import Scope
from stockd.service.context import Context
from stockd.service.keys import create_key

app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
out = console()
err = console(stderr=True)


@app.command()
def create(
    scope: Annotated[
        list[Scope], typer.Option("--scope", "-s", help="read, write or admin; repeatable.")
    ],
    name: Annotated[str, typer.Option(help="What the key is for.")] = "cli",
) -> None:
    """Create a key and print it (shown only this once)."""

    async def work(c: Container) -> str:
        _, token = await create_key(c.bus, name, set(scope), actor=actor())
        return token

    settings = load_settings()
    with database(settings) as url:
        token = with_container(settings, url, work)
    print(token)


@app.command("list")
def list_keys(as_json: AsJson = False) -> None:
    """List keys (ids, names, scopes; never the keys themselves)."""
    settings = load_settings()
    with database(settings) as url:
        keys = with_container(settings, url, lambda c: c.keys.all())
    if as_json:
        print_json(
            [
                {
                    "id": k.id,
                    "name": k.name,
                    "scopes": sorted(k.scopes),
                    "created_at": k.created_at.isoformat(),
                    "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
                }
                for k in keys
            ]
        )
        return
    table = Table("id", "name", "scopes", "created", "revoked")
    for k in keys:
        table.add_row(
            k.id,
            k.name,
            ",".join(sorted(k.scopes)),
            k.created_at.isoformat(timespec="seconds"),
            k.revoked_at.isoformat(timespec="seconds") if k.revoked_at else "",
        )
    out.print(table, markup=False)


@app.command()
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id, from `keys list`.")],
    force: Annotated[
        bool, typer.Option("--force", help="Revoke it even if it is the last active admin key.")
    ] = False,
) -> None:
    """Revoke a key; requests with it fail within seconds.

    The last active admin key is kept unless --force: without one, nothing
    that needs the admin scope works until a new key is made here."""

    async def work(c: Container) -> str | None:
        try:
            await c.bus.handle(RevokeApiKey(key_id, force), Context(actor=actor()))
        except errors.NotFound as e:
            return e.detail
        except errors.LastAdminKey:
            return (
                f"refusing to revoke {key_id}: it is the last active admin key. Create another"
                " first (stockd keys create --scope admin), or pass --force."
            )
        return None

    settings = load_settings()
    with database(settings) as url:
        refused = with_container(settings, url, work)
    if refused is not None:
        err.print(refused, markup=False, highlight=False)
        raise typer.Exit(1)
    out.print(f"revoked {key_id}", markup=False, highlight=False)


def actor() -> str:
    """Who the ledger names for changes made from the command line (keys,
    channels)."""
    return f"cli:{getpass.getuser()}"
