"""`stockd keys create|list|revoke`."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer
from rich.table import Table

from stockd.adapters.clock import SystemClock
from stockd.bootstrap import Container
from stockd.entrypoints.cli.database import database, with_container
from stockd.entrypoints.cli.output import AsJson, console, print_json
from stockd.entrypoints.cli.settings import load as load_settings
from stockd.service.auth import Scope, create_key

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
        _, token = await create_key(c.keys, name, set(scope), SystemClock().now())
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


class Revocation(Enum):
    REVOKED = "revoked"
    NOT_FOUND = "not found"
    LAST_ADMIN = "last admin"


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

    async def work(c: Container) -> Revocation:
        keys = await c.keys.all()
        active = [k for k in keys if k.revoked_at is None]
        target = next((k for k in active if k.id == key_id), None)
        if target is None:
            return Revocation.NOT_FOUND
        admins = [k for k in active if Scope.ADMIN in k.scopes]
        if admins == [target] and not force:
            return Revocation.LAST_ADMIN
        done = await c.keys.revoke(key_id, SystemClock().now())
        return Revocation.REVOKED if done else Revocation.NOT_FOUND

    settings = load_settings()
    with database(settings) as url:
        outcome = with_container(settings, url, work)
    if outcome is Revocation.NOT_FOUND:
        err.print(f"no active key with id {key_id!r}", markup=False, highlight=False)
        raise typer.Exit(1)
    if outcome is Revocation.LAST_ADMIN:
        err.print(
            f"refusing to revoke {key_id}: it is the last active admin key. Create another"
            " first (stockd keys create --scope admin), or pass --force.",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(1)
    out.print(f"revoked {key_id}", markup=False, highlight=False)
