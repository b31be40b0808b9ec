"""What commands print: tables for people, JSON for programs.

Rich fits a table into the terminal's width; when stdout is a pipe or a file
there is no terminal, and rich would fit it into 80 columns, folding or
cutting cells a program then misreads. So off a terminal a table keeps its
natural width. Every listing also takes `--json`."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console

# Wide enough for any row, and no wider: rich pads nothing unless asked.
_NATURAL_WIDTH = 100_000

AsJson = Annotated[bool, typer.Option("--json", help="Print JSON (for programs) instead of text.")]


def console(*, stderr: bool = False) -> Console:
    """Rich output on stdout (or stderr), folded only to fit a terminal."""
    terminal = Console(stderr=stderr)
    return terminal if terminal.is_terminal else Console(stderr=stderr, width=_NATURAL_WIDTH)


def print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=2, default=str) + "\n")
