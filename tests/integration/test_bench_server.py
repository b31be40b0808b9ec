"""`stockd bench run` stops the embedded PostgreSQL it started, and removes
the servers' home it made.

It restarts that server with bigger buffers, after which the wheel's handle
knows only the first postmaster: the bench stops the server itself (a run
once left it running with its data directory deleted)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import psutil
import pytest


def bench_servers() -> list[psutil.Process]:
    return [
        p
        for p in psutil.process_iter(["cmdline"])
        if "stockd-bench-pg-" in " ".join(p.info["cmdline"] or [])
    ]


def homes() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("stockd-bench-[!p]*"))


def test_a_bench_run_leaves_no_postgresql_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STOCKD_BENCH_SERVER_URL", raising=False)
    before = {p.pid for p in bench_servers()}
    homes_before = homes()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "stockd",
            "bench",
            "run",
            "-w",
            "flash_sale",
            "--seconds",
            "1",
            "--skus",
            "10",
            "--processes",
            "1",
            "--connections",
            "4",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    left = [p for p in bench_servers() if p.pid not in before and p.is_running()]
    assert left == []
    assert homes() - homes_before == set(), "the servers' home (logs) is removed"
