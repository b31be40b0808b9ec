"""docs/channels.md runs as written against a real server (with its
workers: the webhook worker delivers to the page's own receiver), and every
figure it documents is the one the server answers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import serving
from tests.e2e.doc_pages import run_page
from tests.e2e.server import LiveServer

PAGE = Path(__file__).parents[2] / "docs" / "channels.md"
VOLATILE = re.compile(r"res_|wh_|whsec_|msg_|^\d{4}-\d\d-\d\dT|^[A-Za-z0-9_-]{20,}$")
"""Documented values that differ from run to run (ids, secrets, times, cursors)."""


@pytest.fixture(scope="module")
def server(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serving(
        pg_server_url,
        tmp_path_factory.mktemp("channels_doc"),
        "stockd_doc",
        STOCKD_WEBHOOKS_ALLOW_PRIVATE="true",
        STOCKD_WEBHOOKS_INTERVAL_SECONDS="0.1",
        STOCKD_WEBHOOKS_COALESCE_SECONDS="0.2",
    ) as found:
        yield found


def test_the_channels_walkthrough_runs_as_written(server: LiveServer, tmp_path: Path) -> None:
    assert run_page(PAGE, server, tmp_path, VOLATILE) > 50
