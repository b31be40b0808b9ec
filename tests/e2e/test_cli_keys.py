"""`stockd keys`: guarding the last way in."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from tests.e2e.server import cli_env, free_port, start, stockd, stop


def key_id(token: str) -> str:
    return token.split("_")[1]


def active(env: dict[str, str]) -> set[str]:
    keys = json.loads(stockd("keys", "list", "--json", env=env).stdout)
    return {k["id"] for k in keys if k["revoked_at"] is None}


def test_revoking_the_last_active_admin_key_needs_force(fresh_db: str, tmp_path: Path) -> None:
    env = cli_env(fresh_db, tmp_path)
    first = key_id(stockd("keys", "create", "--scope", "admin", env=env).stdout.strip())
    reader = key_id(stockd("keys", "create", "--scope", "read", env=env).stdout.strip())

    refused = stockd("keys", "revoke", first, env=env)
    assert refused.returncode == 1
    [message] = refused.stderr.strip().splitlines()
    assert "last active admin key" in message
    assert "--force" in message
    assert first in active(env)

    assert stockd("keys", "revoke", reader, env=env).returncode == 0, "other keys need no force"
    second = key_id(stockd("keys", "create", "--scope", "admin", env=env).stdout.strip())
    assert stockd("keys", "revoke", first, env=env).returncode == 0, "another admin remains"

    assert stockd("keys", "revoke", second, env=env).returncode == 1
    forced = stockd("keys", "revoke", second, "--force", env=env)
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert active(env) == set()


def test_serve_with_a_revoked_bootstrap_key_says_so_in_one_line(
    fresh_db: str, tmp_path: Path
) -> None:
    bootstrap = "sk_boot_" + secrets.token_urlsafe(24)
    env = cli_env(fresh_db, tmp_path, STOCKD_BOOTSTRAP_ADMIN_KEY=bootstrap)
    process, _ = start(env, tmp_path / "first.log")
    stop(process)
    keys = json.loads(stockd("keys", "list", "--json", env=env).stdout)
    [installed] = [k["id"] for k in keys if k["name"] == "bootstrap"]
    assert stockd("keys", "revoke", installed, "--force", env=env).returncode == 0

    again = stockd("serve", "--port", str(free_port()), env=env, timeout=60)
    assert again.returncode == 2
    [line] = again.stderr.strip().splitlines()
    assert "STOCKD_BOOTSTRAP_ADMIN_KEY" in line
    assert "revoked" in line
    assert installed in line
    assert bootstrap not in line
