"""The README's walk-through works as written against a real server."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.e2e.server import LiveServer

README = Path(__file__).parents[2] / "README.md"


def block(name: str, language: str = "sh") -> str:
    text = README.read_text()
    found = re.search(rf"<!-- {name} -->\s*```{language}\n(.*?)```\s*<!-- /{name} -->", text, re.S)
    assert found, f"README lost its {name} markers"
    return found.group(1)


def documents(out: str) -> list[dict[str, Any]]:
    """The JSON documents curl printed back to back."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while at < len(out):
        if out[at].isspace():
            at += 1
            continue
        doc, at = decoder.raw_decode(out, at)
        found.append(doc)
    return found


def test_the_readme_walkthrough_runs_as_written(live: LiveServer, tmp_path: Path) -> None:
    run = subprocess.run(
        [
            "bash",
            "-euo",
            "pipefail",
            "-c",
            block("walkthrough") + block("orders") + block("upkeep"),
        ],
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
    assert '"reason":"3.0 km away, 3 available"' in out
    orders, upkeep = out.split('{"id":"cnt_', 1)
    final = documents(orders)[-1]
    assert final["status"] == "cancelled"
    line = {s["location"]: s["lines"][0] for s in final["shipments"]}
    assert (line["hamburg"]["shipped"], line["hamburg"]["returned"]) == (3, 1)
    assert line["berlin"]["cancelled"] == 2
    assert [e["type"] for e in final["events"]] == [
        "order.placed",
        "order.allocated",
        "order.allocated",
        "order.shipped",
        "order.status_changed",
        "order.cancelled",
        "order.status_changed",
        "order.returned",
    ]
    count, reconciliation = documents('{"id":"cnt_' + upkeep.split("stockd_")[0])
    assert [(x["sku"], x["outcome"]) for x in count["lines"]] == [("TSHIRT-M", "applied")]
    assert "expected" not in count["lines"][0] or count["lines"][0]["expected"] is None  # blind
    assert (reconciliation["levels_checked"], reconciliation["differences"]) == (2, 0)
    assert "stockd_units_oversold 0.0" in upkeep
    assert re.search(r"\bstockd_holds_granted_total [1-9]", upkeep), upkeep[-600:]
    assert '"status":"ok"' in upkeep.splitlines()[-1]


def test_the_readme_python_client_walkthrough_runs_as_written(
    empty_live: LiveServer, tmp_path: Path
) -> None:
    run = subprocess.run(
        [sys.executable, "-c", block("python-walkthrough", "python")],
        cwd=tmp_path,
        env={"STOCKD": empty_live.url, "KEY": empty_live.admin_key, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert lines[:2] == ["8 2", "shipped"]
    assert [line.split()[1] for line in lines[2:7]] == [
        "sku.created",
        "stock.adjusted",
        "reservation.created",
        "reservation.committed",
        "order.shipped",
    ]
    assert lines[7].startswith("insufficient_stock (ShortLine(sku='TSHIRT-M'")
    assert "available=8" in lines[7]
    assert lines[8:] == ["berlin 8 8"]
