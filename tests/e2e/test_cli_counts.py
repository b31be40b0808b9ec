"""`stockd count`: a physical count from a CSV file."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.e2e.server import cli_env, stockd


def test_a_count_from_a_csv_file_sets_on_hand_and_shows_expected_on_request(
    fresh_db: str, tmp_path: Path
) -> None:
    env = cli_env(fresh_db, tmp_path)
    (tmp_path / "skus.csv").write_text("sku,product_id,name\nA,P,Shirt\nB,P,Shirt B\n")
    (tmp_path / "locations.csv").write_text("id,name\nx,Store X\n")
    (tmp_path / "levels.csv").write_text("sku,location,on_hand\nA,x,10\n")
    for kind in ("skus", "locations", "levels"):
        assert stockd("import", kind, str(tmp_path / f"{kind}.csv"), env=env).returncode == 0
    (tmp_path / "count.csv").write_text("SKU,Quantity\nA,7\nB,3\n")
    at = datetime.now(UTC).isoformat()  # after the import, before the command runs
    done = stockd(
        "count", str(tmp_path / "count.csv"), "--location", "x", "--counted-at", at,
        "--show-expected", "--json", env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = json.loads(done.stdout)["lines"]
    assert [(x["sku"], x["outcome"], x["expected"], x["adjustment"]) for x in lines] == [
        ("A", "applied", 10, -3),
        ("B", "applied", 0, 3),
    ]
    blind = stockd("count", str(tmp_path / "count.csv"), "--location", "x", "--json", env=env)
    assert "expected" not in json.loads(blind.stdout)["lines"][0]
    assert stockd("ledger", "verify", env=env).returncode == 0


def test_a_bad_count_file_is_one_line_and_counts_nothing(fresh_db: str, tmp_path: Path) -> None:
    env = cli_env(fresh_db, tmp_path)
    (tmp_path / "locations.csv").write_text("id,name\nx,Store X\n")
    stockd("import", "locations", str(tmp_path / "locations.csv"), env=env)
    for text, says in (
        ("sku,qty\nA,1\n", "the header must be sku,quantity"),
        ("sku,quantity\nA,many\n", "line 2: quantity 'many' is not a whole number"),
        ("sku,quantity\nNOPE,1\n", "unknown SKU 'NOPE'"),
    ):
        (tmp_path / "count.csv").write_text(text)
        done = stockd("count", str(tmp_path / "count.csv"), "--location", "x", env=env)
        assert done.returncode == 1
        assert says in done.stderr, done.stderr


def test_sources_and_a_stock_report_from_a_csv_file(fresh_db: str, tmp_path: Path) -> None:
    """`stockd sources add|list` and `stockd report`: the same rules as
    over HTTP (a late figure from the same source is superseded by the
    newer one already in; a bad file is one line and records nothing)."""
    env = cli_env(fresh_db, tmp_path)
    (tmp_path / "skus.csv").write_text("sku,product_id,name\nA,P,Shirt\n")
    (tmp_path / "locations.csv").write_text("id,name\nx,Store X\n")
    for kind in ("skus", "locations"):
        assert stockd("import", kind, str(tmp_path / f"{kind}.csv"), env=env).returncode == 0
    added = stockd("sources", "add", "pos-x", "--priority", "5", "--json", env=env)
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["policy"] == "last_write_wins"
    listed = json.loads(stockd("sources", "list", "--json", env=env).stdout)
    assert [(s["id"], s["priority"]) for s in listed["items"]] == [("pos-x", 5)]

    now = datetime.now(UTC).replace(microsecond=0)
    newer, older = now.isoformat(), (now - timedelta(minutes=5)).isoformat()
    (tmp_path / "report.csv").write_text(f"sku,location,quantity,observed_at\nA,x,6,{newer}\n")
    done = stockd("report", str(tmp_path / "report.csv"), "--source", "pos-x", "--json", env=env)
    assert done.returncode == 0, done.stderr
    [line] = json.loads(done.stdout)["lines"]
    assert (line["outcome"], line["on_hand"]) == ("applied", 6)
    (tmp_path / "late.csv").write_text(f"sku,location,quantity,observed_at\nA,x,2,{older}\n")
    late = stockd("report", str(tmp_path / "late.csv"), "--source", "pos-x", "--json", env=env)
    assert late.returncode == 0, late.stderr
    [line] = json.loads(late.stdout)["lines"]
    assert (line["outcome"], line["on_hand"]) == ("superseded", 6)

    for text, says in (
        ("sku,location,quantity\nA,x,1\n", "the header must be sku,location,quantity,observed_at"),
        (f"sku,location,quantity,observed_at\nA,x,1,{now:%Y-%m-%d %H:%M}\n", "needs its offset"),
    ):
        (tmp_path / "bad.csv").write_text(text)
        bad = stockd("report", str(tmp_path / "bad.csv"), "--source", "pos-x", env=env)
        assert bad.returncode == 1
        assert says in bad.stderr, bad.stderr
    unknown = stockd("report", str(tmp_path / "report.csv"), "--source", "nobody", env=env)
    assert unknown.returncode == 1
    assert "nobody" in unknown.stderr
    assert stockd("ledger", "verify", env=env).returncode == 0
