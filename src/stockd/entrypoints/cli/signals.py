"""Stopping a command by signal runs its clean-up, as Ctrl-C does.

Python turns SIGINT into KeyboardInterrupt, so `finally` blocks and context
managers run (letting go of the embedded PostgreSQL, ending child
processes). SIGTERM (`kill`, service managers, container stops) and SIGHUP
(a closed terminal) would kill the process on the spot instead. Here they
raise SystemExit; once the clean-up is done, `end_by_received_signal` ends
the process by that signal after all, so a service manager sees a process
stopped by SIGTERM (a clean stop), not one that failed with status 143.

uvicorn catches SIGINT and SIGTERM while it serves, shuts down gracefully,
puts these handlers back and raises the signal again, which lands here."""

from __future__ import annotations

import os
import signal
from types import FrameType

GRACEFUL = (signal.SIGTERM, signal.SIGHUP)
_received: list[int] = []


def exit_cleanly_on_signals() -> None:
    for sig in GRACEFUL:
        signal.signal(sig, _exit)


def end_by_received_signal() -> None:
    """If a signal stopped the command, end the process by it now."""
    if _received:
        signal.signal(_received[0], signal.SIG_DFL)
        os.kill(os.getpid(), _received[0])


def _exit(signum: int, frame: FrameType | None) -> None:
    _received.append(signum)
    raise SystemExit(128 + signum)
