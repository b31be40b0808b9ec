"""`stockd import` as a user runs it: what it says about a file it cannot take."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.server import cli_env, stockd


def test_a_wrong_header_is_one_line_in_the_files_words_and_imports_nothing(
    fresh_db: str, tmp_path: Path
) -> None:
    env = cli_env(fresh_db, tmp_path)
    skus = tmp_path / "skus.csv"
    skus.write_text("SKU,Product,Name\n" + "".join(f"S{i},P,Shirt\n" for i in range(20)))
    result = stockd("import", "skus", str(skus), env=env)
    assert result.returncode == 1
    assert result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert line == (
        f'stockd: {skus}: unknown column "Product" (did you mean "product_id"?);'
        ' missing column "product_id"'
    )
    status = json.loads(stockd("status", "--json", env=env).stdout)
    assert status["skus"] == 0


def test_bad_numbers_are_reported_in_plain_words(fresh_db: str, tmp_path: Path) -> None:
    env = cli_env(fresh_db, tmp_path)
    (tmp_path / "l.csv").write_text("id,name,priority\nx,X,first\n")
    result = stockd("import", "locations", str(tmp_path / "l.csv"), env=env)
    assert result.returncode == 1
    assert 'line 2: priority: "first" is not a whole number' in result.stdout
    assert "invalid literal" not in result.stdout + result.stderr
