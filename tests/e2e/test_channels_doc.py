"""docs/channels.md runs as written against a real server (with its
workers: the webhook worker delivers to the page's own receiver), and every
figure it documents is the one the server answers."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import serving
from tests.e2e.server import LiveServer

PAGE = Path(__file__).parents[2] / "docs" / "channels.md"
MARK = "@@stockd-doc-command@@"
VOLATILE = re.compile(r"res_|wh_|whsec_|msg_|^\d{4}-\d\d-\d\dT|^[A-Za-z0-9_-]{20,}$")
"""Documented values that differ from run to run (ids, secrets, times, cursors)."""


def commands(page: str) -> list[tuple[str, str]]:
    """Each command of the page's `sh` blocks with the answer documented
    under it (comment lines; empty when none)."""
    found: list[tuple[str, str]] = []
    for block in re.findall(r"```sh\n(.*?)```", page, re.S):
        command: list[str] = []
        answer: list[str] = []
        heredoc: str | None = None
        for line in block.splitlines():
            if heredoc is not None:
                command.append(line)
                if line.strip() == heredoc:
                    heredoc = None
                continue
            if line.startswith("#"):
                answer.append(line.lstrip("# "))
                continue
            continued = command and (
                command[-1].endswith("\\") or "".join(command).count("'") % 2 == 1
            )
            if continued:
                command.append(line)
                continue
            if command:
                found.append(("\n".join(command), "\n".join(answer)))
            command, answer = ([line], []) if line.strip() else ([], [])
            marker = re.search(r"<<'?(\w+)'?", line)
            if marker:
                heredoc = marker.group(1)
        if command:
            found.append(("\n".join(command), "\n".join(answer)))
    return found


def documented(answer: str) -> list[str]:
    """The `"key":value` pairs of a documented answer worth checking."""
    pairs = re.findall(r'"(\w+)":(-?\d+|true|false|null|"[^"]*")', answer)
    return [f'"{k}":{v}' for k, v in pairs if not VOLATILE.search(v.strip('"'))]


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
    steps = commands(PAGE.read_text())
    script = ["trap 'kill $(jobs -p) 2>/dev/null || true' EXIT"]
    for i, (command, _) in enumerate(steps):
        script += [f"echo '{MARK}{i}'", command]
    bin_dir = Path(sys.executable).parent
    run = subprocess.run(
        ["bash", "-uo", "pipefail", "-c", "\n".join(script)],
        cwd=tmp_path,
        env={
            "STOCKD": server.url,
            "KEY": server.admin_key,
            "PATH": f"{bin_dir}:/usr/bin:/bin",
            "STOCKD_DATABASE_URL": server.database_url,
            "STOCKD_HOME": str(tmp_path / "home"),
            "HOME": os.environ.get("HOME", str(tmp_path)),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    outputs = re.split(rf"{MARK}\d+\n", run.stdout)[1:]
    assert len(outputs) == len(steps)
    checked = 0
    for (command, answer), output in zip(steps, outputs, strict=True):
        compact = re.sub(r"\s+", "", output)
        for pair in documented(answer):
            wanted = re.sub(r"\s+", "", pair)
            assert wanted in compact, f"{command}\n  documents {pair}\n  answered {output}"
            checked += 1
        if "ledger verify" in command:
            assert ": clean" in output
    assert checked > 50
