# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Stamps record what is installed: `make run` needs stockd and its
# dependencies only; the test and lint tools (the `dev` extra) come with the
# first target that needs them, even after a `make run`.
RUNTIME := $(VENV)/.installed
DEV := $(VENV)/.installed-dev

.PHONY: run test lint typecheck unit install clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUNTIME)

$(DEV): $(RUNTIME)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(DEV)

install: $(DEV)

run: $(RUNTIME)
	$(BIN)/stockd serve

lint: $(DEV)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/lint-imports

typecheck: $(DEV)
	$(BIN)/mypy --strict src

test: lint typecheck
	$(BIN)/pytest

bench: $(RUNTIME)
	$(BIN)/stockd bench quote
	$(BIN)/stockd bench run --markdown bench-results.md

unit: $(DEV)
	$(BIN)/pytest tests/unit

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
