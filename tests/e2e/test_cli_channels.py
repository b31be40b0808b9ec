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


def test_availability_feed_and_rebalancing_from_the_command_line(
    fresh_db: str, tmp_path: Path
) -> None:
    env = cli_env(fresh_db, tmp_path)
    (tmp_path / "skus.csv").write_text("sku,product_id,name\nA,P,Shirt\nB,P,Shirt\n")
    assert stockd("import", "skus", str(tmp_path / "skus.csv"), env=env).returncode == 0
    stockd("channels", "create", "web", "Own site", "--buffer", "10", env=env)
    shown = stockd("channels", "availability", "web", "A", "--json", env=env)
    assert json.loads(shown.stdout)["advertised"] == 0, shown.stderr
    page = json.loads(stockd("channels", "feed", "web", "--limit", "1", "--json", env=env).stdout)
    assert [x["sku"] for x in page["items"]] == ["A"]
    rest = stockd("channels", "feed", "web", "--cursor", page["next_cursor"], "--json", env=env)
    assert [x["sku"] for x in json.loads(rest.stdout)["items"]] == ["B"]
    bad = stockd("channels", "feed", "web", "--cursor", "nope", env=env)
    assert bad.returncode == 1
    assert "cursor" in bad.stderr
    stockd("channels", "set-pools", "A", "web=50%", env=env)
    report = stockd("channels", "rebalance", "--dry-run", "--json", env=env)
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["checked"] == 1


def test_webhooks_from_the_command_line(fresh_db: str, tmp_path: Path) -> None:
    env = cli_env(fresh_db, tmp_path)
    made = stockd(
        "webhooks", "create", "http://93.184.215.14/hook", "-e", "order.*", "--json", env=env
    )
    assert made.returncode == 0, made.stderr
    hook = json.loads(made.stdout)
    assert hook["secret"].startswith("whsec_")
    listed = json.loads(stockd("webhooks", "list", "--json", env=env).stdout)
    assert [w["id"] for w in listed] == [hook["id"]]
    paused = stockd("webhooks", "update", hook["id"], "--paused", "--json", env=env)
    assert json.loads(paused.stdout)["active"] is False
    rotated = stockd("webhooks", "rotate-secret", hook["id"], env=env)
    assert rotated.stdout.startswith("whsec_")
    assert stockd("webhooks", "deliveries", hook["id"], "--json", env=env).stdout.strip() == "[]"
    replayed = stockd("webhooks", "replay", hook["id"], "--from-seq", "1", env=env)
    assert replayed.stdout.strip() == "queued 0 messages from seq 1 on"
    refused = stockd("webhooks", "create", "http://127.0.0.1/hook", "-e", "order.*", env=env)
    assert refused.returncode == 1
    assert "url: its host '127.0.0.1' resolves to 127.0.0.1" in refused.stderr
    unknown = stockd("webhooks", "create", "http://93.184.215.14/x", "-e", "nope", env=env)
    assert "events: unknown event type(s) 'nope'" in unknown.stderr
    assert stockd("webhooks", "delete", hook["id"], env=env).returncode == 0
    gone = stockd("webhooks", "show", hook["id"], env=env)
    assert gone.returncode == 1
    assert "does not exist" in gone.stderr
