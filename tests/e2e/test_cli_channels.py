"""`stockd channels`: channels and pools from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.server import cli_env, stockd


def test_channels_and_pools_from_the_command_line(fresh_db: str, tmp_path: Path) -> None:
    env = cli_env(fresh_db, tmp_path)
    (tmp_path / "skus.csv").write_text("sku,product_id,name\nA,P,Shirt\n")
    assert stockd("import", "skus", str(tmp_path / "skus.csv"), env=env).returncode == 0
    made = stockd("channels", "create", "web", "Own site", "--kind", "web", env=env)
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == "created channel web"
    args = ("--kind", "marketplace", "--priority", "2", "--buffer", "5")
    assert stockd("channels", "create", "amazon", "Amazon", *args, env=env).returncode == 0
    listed = json.loads(stockd("channels", "list", "--json", env=env).stdout)
    assert [(c["id"], c["safety_buffer_pct"]) for c in listed] == [("amazon", 5), ("web", 0)]

    pools = stockd("channels", "set-pools", "A", "web=50%", "amazon=3", "--json", env=env)
    assert pools.returncode == 0, pools.stderr
    assert json.loads(pools.stdout) == {
        "sku": "A",
        "sellable": 0,
        "pools": [
            {"channel": "amazon", "share_pct": None, "units": 3, "resolved": 0},
            {"channel": "web", "share_pct": 50, "units": None, "resolved": 0},
        ],
        "defaults": False,
        "shared": 0,
    }
    shown = stockd("channels", "pools", "A", env=env)
    assert "web" in shown.stdout
    assert "50%" in shown.stdout


def test_bad_channels_and_pools_are_one_line_and_change_nothing(
    fresh_db: str, tmp_path: Path
) -> None:
    env = cli_env(fresh_db, tmp_path)
    (tmp_path / "skus.csv").write_text("sku,product_id,name\nA,P,Shirt\n")
    stockd("import", "skus", str(tmp_path / "skus.csv"), env=env)
    stockd("channels", "create", "web", "Own site", env=env)
    for args, says in (
        (("channels", "create", "x", "X", "--buffer", "70"), "safety_buffer_pct"),
        (("channels", "create", "web", "Again"), "already exists"),
        (("channels", "set-pools", "A", "web=70%", "web=40%"), "more than one pool"),
        (("channels", "set-pools", "A", "web=10%", "ebay=40%"), "unknown channel 'ebay'"),
        (("channels", "set-pools", "A", "web=half"), "CHANNEL=N%"),
        (("channels", "set-pools", "A", "web=101%"), "share_pct"),
        (("channels", "set-pools", "NOPE", "web=1"), "does not exist"),
        (("channels", "pools", "NOPE"), "does not exist"),
    ):
        result = stockd(*args, env=env)
        assert result.returncode == 1, (args, result.stdout)
        [line] = result.stderr.strip().splitlines()
        assert says in line, (args, line)
    assert json.loads(stockd("channels", "pools", "A", "--json", env=env).stdout)["defaults"]
