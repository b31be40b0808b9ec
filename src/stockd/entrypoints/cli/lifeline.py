"""Processes that `stockd serve` starts end when it ends, even when it is
killed outright (SIGKILL, a crash) and cannot end them itself: left over,
they would keep its port, and their database would be gone (the embedded
PostgreSQL's watchdog stops it).

A daemon thread watches the parent process id; when the parent dies the
process is handed to another parent (init), and the thread asks its own
process to stop as SIGTERM would, so it shuts down the usual way. Polling
getppid() is one system call; Linux's PR_SET_PDEATHSIG would do without it,
but not on macOS, and not in processes uvicorn spawns."""

from __future__ import annotations

import os
import signal
import threading
import time

_EVERY_SECONDS = 0.5


def end_with_parent() -> None:
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_EVERY_SECONDS)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="end-with-parent", daemon=True).start()
