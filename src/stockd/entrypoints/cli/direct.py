"""Commands that work straight on the database (`stockd channels`, `stockd
webhooks`): run one piece of work with a container, and fail plainly."""

from __future__ import annotations

from typing import Any, NoReturn

import typer

from stockd import errors
from stockd.entrypoints.cli.database import database, with_container
from stockd.entrypoints.cli.output import console
from stockd.entrypoints.cli.settings import load as load_settings

err = console(stderr=True)


def run(work: Any) -> Any:
    """`await work(container)` on the configured database; a refusal is
    printed (with each issue of an invalid request) and exits 1."""
    settings = load_settings()
    with database(settings) as url:
        try:
            return with_container(settings, url, work)
        except errors.InvalidRequest as e:
            fail("; ".join(f"{i.field}: {i.detail}" if i.field else i.detail for i in e.issues))
        except errors.StockdError as e:
            fail(e.detail)


def fail(message: str) -> NoReturn:
    err.print(message, markup=False, highlight=False)
    raise typer.Exit(1)
