"""The settings of a CLI command; a bad one ends it with one line per
problem on stderr and exit code 2 (a usage error), never a traceback."""

from __future__ import annotations

import functools
import sys

import typer
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from stockd.config import Settings
from stockd.entrypoints.cli.wording import refusal

# Their values are never echoed: a key, or a URL that may hold a password.
SECRET = frozenset({"bootstrap_admin_key", "database_url"})


@functools.cache
def load() -> Settings:
    try:
        return Settings()
    except ValidationError as e:
        for error in e.errors():
            print(f"stockd: bad setting {_explain(error)}", file=sys.stderr)
        raise typer.Exit(2) from None


def _explain(error: ErrorDetails) -> str:
    if not error["loc"]:
        # Checks across settings (config.Settings._safe) name them in their message.
        return refusal(error)
    name = str(error["loc"][0])
    return f"STOCKD_{name.upper()}: {refusal(error, show_input=name not in SECRET)}"
