"""The latest schema revision is read from the migration scripts without
loading Alembic, and agrees with Alembic's own answer."""

from __future__ import annotations

from alembic.script import ScriptDirectory

from stockd.adapters.postgres import migrate


def test_the_head_read_from_the_scripts_is_alembics_head() -> None:
    scripts = ScriptDirectory.from_config(migrate._config("postgresql://"))
    assert migrate.head() == scripts.get_current_head()
