"""The `stockd` command line.

Nothing is imported here but on demand: each API worker process of
`stockd serve --processes N` imports `stockd.entrypoints.cli.served_asgi`,
and with it this package; it needs none of the commands (the whole command
line cost each worker about 30 MB of memory)."""

from __future__ import annotations

from typing import Any


def main() -> None:
    from stockd.entrypoints.cli.main import app
    from stockd.entrypoints.cli.signals import end_by_received_signal

    try:
        app()
    finally:
        end_by_received_signal()


def __getattr__(name: str) -> Any:
    if name == "app":
        from stockd.entrypoints.cli.main import app

        return app
    raise AttributeError(name)


__all__ = ["app", "main"]
