"""Running a docs page's shell walk-through against a real server: each
command of its `sh` blocks in one bash session, in order, and each
documented answer (the comment lines under a command) checked pair by pair
against what the server answered."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.e2e.server import LiveServer

MARK = "@@stockd-doc-command@@"


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


def documented(answer: str, volatile: re.Pattern[str]) -> list[str]:
    """The `"key":value` pairs of a documented answer worth checking: those
    whose value `volatile` does not find (ids, secrets, times…)."""
    pairs = re.findall(r'"(\w+)":(-?\d+(?:\.\d+)?|true|false|null|"[^"]*")', answer)
    return [f'"{k}":{v}' for k, v in pairs if not volatile.search(v.strip('"'))]


def run_page(page: Path, server: LiveServer, workdir: Path, volatile: re.Pattern[str]) -> int:
    """Runs every command of `page` against `server` (as `$STOCKD`, `$KEY`,
    and the `stockd` CLI on its database), asserts each documented pair is
    in its command's answer, and returns how many pairs it checked."""
    steps = commands(page.read_text())
    script = ["trap 'kill $(jobs -p) 2>/dev/null || true' EXIT"]
    for i, (command, _) in enumerate(steps):
        script += [f"echo '{MARK}{i}'", command]
    bin_dir = Path(sys.executable).parent
    run = subprocess.run(
        ["bash", "-uo", "pipefail", "-c", "\n".join(script)],
        cwd=workdir,
        env={
            "STOCKD": server.url,
            "KEY": server.admin_key,
            "PATH": f"{bin_dir}:/usr/bin:/bin",
            "STOCKD_DATABASE_URL": server.database_url,
            "STOCKD_HOME": str(workdir / "home"),
            "HOME": os.environ.get("HOME", str(workdir)),
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
        for pair in documented(answer, volatile):
            wanted = re.sub(r"\s+", "", pair)
            assert wanted in compact, f"{command}\n  documents {pair}\n  answered {output}"
            checked += 1
        if "ledger verify" in command:
            assert ": clean" in output
    return checked
