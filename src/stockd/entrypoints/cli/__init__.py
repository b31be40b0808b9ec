"""The `stockd` command line."""

from __future__ import annotations

from stockd.entrypoints.cli.main import app
from stockd.entrypoints.cli.signals import end_by_received_signal


def main() -> None:
    try:
        app()
    finally:
        end_by_received_signal()


__all__ = ["app", "main"]
