"""A bad setting is one line on stderr naming it, and exit code 2, for every command."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.server import cli_env, stockd

COMMANDS = [
    ("serve",),
    ("status",),
    ("db", "upgrade"),
    ("keys", "list"),
    ("keys", "create", "--scope", "read"),
    ("keys", "revoke", "abc"),
    ("import", "skus", "skus.csv"),
    ("ledger", "verify"),
    ("worker", "all"),
    ("bench", "quote"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_bad_port_is_one_line_naming_the_setting_and_exit_code_2(
    command: tuple[str, ...], tmp_path: Path
) -> None:
    (tmp_path / "skus.csv").write_text("sku,product_id,name\n")
    env = cli_env(None, tmp_path / "home", STOCKD_PORT="abc")
    result = stockd(*command, env=env, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        'stockd: bad setting STOCKD_PORT: "abc" is not a whole number'
    ]
    assert not (tmp_path / "home").exists(), "nothing may start on a bad setting"


def test_production_without_a_database_url_says_so_in_one_line(tmp_path: Path) -> None:
    result = stockd("serve", env=cli_env(None, tmp_path, STOCKD_ENV="production"))
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("stockd: bad setting STOCKD_ENV: ")
    assert "production needs STOCKD_DATABASE_URL" in line


def test_every_bad_setting_gets_its_own_line(tmp_path: Path) -> None:
    env = cli_env(None, tmp_path, STOCKD_PORT="0", STOCKD_ENV="prod", STOCKD_POOL_MAX_SIZE="x")
    result = stockd("status", env=env)
    assert result.returncode == 2
    assert sorted(result.stderr.strip().splitlines()) == [
        "stockd: bad setting STOCKD_ENV: \"prod\" is not one of 'development', 'test' or"
        " 'production'",
        'stockd: bad setting STOCKD_POOL_MAX_SIZE: "x" is not a whole number',
        "stockd: bad setting STOCKD_PORT: must be at least 1, not 0",
    ]


def test_a_bad_transit_table_or_horizon_is_one_line_naming_it(tmp_path: Path) -> None:
    for setting, value, says in (
        ("STOCKD_PROMISE_TRANSIT_DAYS", "{DE: 1}", "Invalid JSON"),
        ("STOCKD_PROMISE_TRANSIT_DAYS", '{"DE": {"FR": -1}}', "must be at least 0, not -1"),
        ("STOCKD_ATP_DEFAULT_DAYS", "400", "exceeds STOCKD_ATP_MAX_DAYS (366)"),
    ):
        result = stockd("status", env=cli_env(None, tmp_path, **{setting: value}))
        assert result.returncode == 2, result.stderr
        [line] = result.stderr.strip().splitlines()
        assert line.startswith(f"stockd: bad setting {setting}: "), line
        assert says in line


def test_the_relay_worker_without_a_nats_url_says_what_it_needs(tmp_path: Path) -> None:
    result = stockd("worker", "relay", env=cli_env("postgresql://unused/db", tmp_path))
    assert result.returncode == 2
    assert "STOCKD_NATS_URL" in result.stderr
