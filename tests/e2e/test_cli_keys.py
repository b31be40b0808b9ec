"""`stockd keys`: guarding the last way in."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.server import cli_env, stockd


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
