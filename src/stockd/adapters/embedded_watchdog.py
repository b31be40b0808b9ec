"""A watchdog that lets go of the embedded PostgreSQL for a process that died.

A process that starts or joins the embedded server also starts this watchdog
(`python -m stockd.adapters.embedded_watchdog PGDATA OWNER_PID`) with a pipe
on its stdin that only the owner holds open. When the owner ends, however it
ends (a clean exit, SIGKILL, a crash, the OOM killer), the kernel closes the
pipe and the watchdog reads end-of-file. It then lets go of the owner's
handle and stops the server if no live process uses it. (After a clean exit
the owner has let go already, and there is nothing left to do.)

It runs in a session of its own so that Ctrl-C or a closed terminal, which
signal the owner's whole process group, do not stop it before it is needed.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import IO

from stockd.adapters import embedded_handles

log = logging.getLogger(__name__)


class Watchdog:
    """The owner's side: the watchdog process and the pipe it waits on."""

    def __init__(self, pgdata: Path, log: IO[bytes]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", __name__, str(pgdata), str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )

    def release(self, timeout: float = 30) -> None:
        """The owner is done with the server (and has let go of it itself):
        end the watchdog, which checks that and leaves."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def watch(pgdata: Path, owner: int) -> None:
    while os.read(sys.stdin.fileno(), 4096):
        pass  # the owner never writes; only end-of-file matters
    if embedded_handles.release(pgdata, owner):
        log.info("process %s was the last to use PostgreSQL, which is now stopped", owner)


if __name__ == "__main__":
    # stderr is the owner's postgres.log (embedded.LOG_FORMAT, not imported:
    # embedded imports this module).
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s",
    )
    watch(Path(sys.argv[1]), int(sys.argv[2]))
