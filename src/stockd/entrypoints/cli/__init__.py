"""The `stockd` command line."""

from __future__ import annotations

from stockd.entrypoints.cli.main import app


def main() -> None:
    app()


__all__ = ["app", "main"]
