"""docs/future-stock.md runs as written against a real server, and every
figure it documents that does not move with the day (weeks, dates, ids) is
the one the server answers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import serving
from tests.e2e.doc_pages import run_page
from tests.e2e.server import LiveServer

PAGE = Path(__file__).parents[2] / "docs" / "future-stock.md"
VOLATILE = re.compile(r"slot_|\d{4}-W\d\d|\d{4}-\d\d-\d\d|^[0-9a-f]{16}$")
"""Documented values that differ from run to run: booking ids, request ids,
and anything naming a week or a date (the page books weeks from today)."""


@pytest.fixture(scope="module")
def server(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serving(pg_server_url, tmp_path_factory.mktemp("future_doc"), "stockd_doc") as found:
        yield found


def test_the_future_stock_walkthrough_runs_as_written(server: LiveServer, tmp_path: Path) -> None:
    assert run_page(PAGE, server, tmp_path, VOLATILE) > 100
