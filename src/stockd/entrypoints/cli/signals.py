"""Stopping a command by signal runs its clean-up, as Ctrl-C does.

Python turns SIGINT into KeyboardInterrupt, so `finally` blocks and context
managers run (letting go of the embedded PostgreSQL, ending child
processes). SIGTERM (`kill`, service managers, container stops) and SIGHUP
(a closed terminal) would kill the process on the spot instead. Here they
raise SystemExit, with the exit status a shell reports for a signal.

uvicorn catches SIGINT and SIGTERM while it serves, shuts down gracefully,
puts these handlers back and raises the signal again, which lands here."""

from __future__ import annotations

import signal
from types import FrameType

GRACEFUL = (signal.SIGTERM, signal.SIGHUP)


def exit_cleanly_on_signals() -> None:
    for sig in GRACEFUL:
        signal.signal(sig, _exit)


def _exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)
