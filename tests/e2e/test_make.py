"""The Makefile installs what each target needs (read with `make -n`, nothing runs)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A fresh clone as far as make can tell: the Makefile and pyproject.toml."""
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def planned(clone: Path, target: str) -> str:
    """The commands `make TARGET` would run, without running them."""
    done = subprocess.run(
        ["make", "-n", target], cwd=clone, capture_output=True, text=True, check=True
    )
    return done.stdout


def pretend_ran(clone: Path, target: str) -> None:
    """Leave behind what `make TARGET` leaves: the venv's python and the stamps."""
    for line in planned(clone, target).splitlines():
        if line.startswith("touch "):
            stamp = clone / line.removeprefix("touch ").strip()
            stamp.parent.mkdir(parents=True, exist_ok=True)
            stamp.touch()
    python = clone / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True, exist_ok=True)
    python.touch()


def test_make_run_installs_stockd_without_the_dev_tools(clone: Path) -> None:
    plan = planned(clone, "run")
    assert "-m venv .venv" in plan
    assert "pip install --quiet -e ." in plan
    assert "[dev]" not in plan
    assert "stockd serve" in plan


def test_make_test_after_make_run_installs_the_dev_tools(clone: Path) -> None:
    pretend_ran(clone, "run")
    plan = planned(clone, "test")
    assert "-m venv" not in plan
    assert "pip install --quiet -e '.[dev]'" in plan
    assert "pytest" in plan


def test_make_run_after_make_test_installs_nothing(clone: Path) -> None:
    pretend_ran(clone, "test")
    plan = planned(clone, "run")
    assert "pip install" not in plan
    assert "stockd serve" in plan


def test_make_test_from_a_fresh_clone_creates_the_venv_with_the_dev_tools(clone: Path) -> None:
    plan = planned(clone, "test")
    assert "-m venv .venv" in plan
    assert "pip install --quiet -e '.[dev]'" in plan
