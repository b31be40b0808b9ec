"""`stockd events tail`, run as a user runs it: from the ledger, and from NATS."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import serving
from tests.e2e.server import LiveServer, cli_env
from tests.nats_server import NatsServer

pytestmark = pytest.mark.slow

_pending: dict[int, bytes] = {}
"""What was read from each tail's stdout past its last whole line."""


@contextmanager
def tailing(env: dict[str, str], *args: str) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "stockd", "events", "tail", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        assert process.stdout is not None
        _pending.pop(process.stdout.fileno(), None)


def read_lines(process: subprocess.Popen[bytes], n: int, within: float = 20) -> list[str]:
    """The next `n` lines the tail prints (read unbuffered: a buffered
    reader would keep lines that select() then no longer sees)."""
    assert process.stdout is not None
    fd = process.stdout.fileno()
    deadline = time.monotonic() + within
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while _pending.get(fd, b"").count(b"\n") < n:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                break
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            _pending[fd] = _pending.get(fd, b"") + chunk
    *lines, rest = _pending.get(fd, b"").split(b"\n")
    taken = lines[:n]
    _pending[fd] = b"\n".join([*lines[n:], rest])
    assert len(taken) == n, (taken, process.stderr.read() if process.poll() is not None else "")
    return [x.decode() for x in taken]


def ends_quietly_on_sigterm(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(15)
    assert process.returncode in (0, -signal.SIGTERM)
    assert process.stderr is not None
    assert b"Traceback" not in process.stderr.read()


def make(http: httpx.Client, sku: str) -> None:
    r = http.post("/v1/skus", json={"sku": sku, "product_id": "P", "name": sku})
    assert r.status_code == 201, r.text


def adjust(http: httpx.Client, sku: str, units: int) -> None:
    change = {"sku": sku, "location": "tail", "state": "on_hand", "delta": units, "reason": "r"}
    r = http.post("/v1/adjustments", json={"changes": [change]})
    assert r.status_code == 200, r.text


def until_it_prints(process: subprocess.Popen[bytes], http: httpx.Client, sku: str) -> None:
    """A tail of new events starts at the head as it finds it: adjust `sku`
    until a line shows it is reading."""
    for _ in range(40):
        adjust(http, sku, 1)
        try:
            read_lines(process, 1, within=0.5)
            return
        except AssertionError:
            continue
    raise AssertionError("the tail printed nothing")


def ledger_head(http: httpx.Client) -> int:
    """The last seq (the live server is shared: its ledger spans many pages)."""
    head = 0
    while True:
        page = http.get("/v1/events", params={"after": head, "limit": 1000}).json()
        if not page["items"]:
            return head
        head = page["next_after"]


def lines_until(process: subprocess.Popen[bytes], ending: str) -> list[str]:
    lines = read_lines(process, 1)
    while not lines[-1].endswith(ending):
        lines += read_lines(process, 1)
    return lines


def test_events_tail_prints_new_events_from_the_ledger(
    live: LiveServer, tmp_path: Path, unique: str
) -> None:
    env = cli_env(live.database_url, tmp_path)
    sku = f"T-{unique}"
    with httpx.Client(base_url=live.url, headers=live.headers) as http:
        http.post("/v1/locations", json={"id": "tail", "name": "Tail"})
        head = ledger_head(http)
        make(http, sku)
        with (
            tailing(env, "--type", "stock.*", "--sku", sku) as plain,
            tailing(env, "--json", "--from", str(head), "--type", "sku.created") as as_json,
        ):
            until_it_prints(plain, http, sku)
            adjust(http, sku, 3)
            text = lines_until(plain, "on_hand+3")[-1]
            (created,) = [json.loads(x) for x in read_lines(as_json, 1)]
            ends_quietly_on_sigterm(as_json)
            ends_quietly_on_sigterm(plain)
    assert (created["type"], created["sku"]) == ("sku.created", sku)
    assert created["seq"] > head
    seq, at, kind, level_sku, location, moved = text.split("  ")
    assert (kind, level_sku, location, moved) == ("stock.adjusted", sku, "tail", "on_hand+3")
    assert int(seq) > created["seq"]
    assert at.endswith("Z")


def test_events_tail_reads_the_relays_stream_from_nats(
    pg_server_url: str, nats_server: NatsServer, tmp_path: Path
) -> None:
    (tmp_path / "serve").mkdir()
    with serving(
        pg_server_url, tmp_path / "serve", "stockd_tail", STOCKD_NATS_URL=nats_server.url
    ) as server:
        env = cli_env(server.database_url, tmp_path, STOCKD_NATS_URL=nats_server.url)
        with httpx.Client(base_url=server.url, headers=server.headers) as http:
            http.post("/v1/locations", json={"id": "tail", "name": "Tail"})
            make(http, "EARLY")
            make(http, "LATE")
            with (
                tailing(env, "--json", "--from", "0", "--type", "sku.*") as as_json,
                tailing(env, "--sku", "LATE") as plain,
            ):
                created = [json.loads(x) for x in read_lines(as_json, 2)]
                until_it_prints(plain, http, "LATE")
                adjust(http, "LATE", 2)
                text = lines_until(plain, "on_hand+2")[-1]
                ends_quietly_on_sigterm(as_json)
                ends_quietly_on_sigterm(plain)
    assert [c["specversion"] for c in created] == ["1.0", "1.0"]
    assert [(c["type"], c["subject"]) for c in created] == [
        ("stockd.sku.created", "EARLY"),
        ("stockd.sku.created", "LATE"),
    ]
    assert [int(c["id"]) for c in created] == [c["data"]["seq"] for c in created]
    assert int(created[0]["id"]) < int(created[1]["id"])
    assert text.split("  ")[2:] == ["stock.adjusted", "LATE", "tail", "on_hand+2"]
