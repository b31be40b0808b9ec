"""`stockd bench atp` runs end to end on a small product (its figures are
recorded in docs/benchmarks.md, never asserted)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def test_the_atp_benchmark_times_atp_promise_and_availability(
    pg_server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STOCKD_BENCH_SERVER_URL", pg_server_url)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "stockd",
            "bench",
            "atp",
            "--variants",
            "30",
            "--transfers",
            "3",
            "--purchase-orders",
            "4",
            "--weeks",
            "6",
            "--requests",
            "10",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    found = json.loads(done.stdout)
    assert [r["request"] for r in found["rows"]] == [
        "GET /v1/availability/{sku}",
        "GET /v1/atp/{sku}",
        "POST /v1/promise",
    ]
    assert all(r["requests"] == 10 for r in found["rows"])
    assert found["shape"]["variants"] == 30
