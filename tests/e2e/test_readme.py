"""The README's walk-through works as written against a real server."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.e2e.server import LiveServer

README = Path(__file__).parents[2] / "README.md"


def walkthrough() -> str:
    text = README.read_text()
    block = re.search(r"<!-- walkthrough -->\s*```sh\n(.*?)```\s*<!-- /walkthrough -->", text, re.S)
    assert block, "README lost its walk-through markers"
    return block.group(1)


def test_the_readme_walkthrough_runs_as_written(live: LiveServer, tmp_path: Path) -> None:
    run = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", walkthrough()],
        cwd=tmp_path,
        env={"STOCKD": live.url, "KEY": live.admin_key, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert '"available":8' in out
    assert '"committed":2' in out
    for event in ("stock.adjusted", "reservation.created", "reservation.committed"):
        assert f'"type":"{event}"' in out
